//! A small page-flow engine over printpdf operations: text runs, rules and boxes on A4
//! pages, paragraphs that wrap and break across pages, and the header and footer.
//! All coordinates are PDF points from the lower-left corner.

use printpdf::{
    Color, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfFontHandle, PdfPage, Point, Pt, Rect,
    TextItem,
};

use crate::fonts::{Face, Fonts};

pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 56.69; // 20 mm
const CONTENT_TOP: f32 = PAGE_HEIGHT - 70.87; // 25 mm
const CONTENT_BOTTOM: f32 = 70.87;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
pub(crate) const SERIAL_FONT_SIZE: f32 = 8.0;
const SERIAL_LABEL: &str = "No. Siri eSPA:";

/// A rectangle on a page, `[x1 y1 x2 y2]` in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PageRect {
    pub page: usize,
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

#[derive(Default)]
pub(crate) struct Canvas {
    ops: Vec<Op>,
}

impl Canvas {
    pub(crate) fn text(&mut self, face: Face, size: f32, x: f32, y: f32, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(face.font_id()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    pub(crate) fn grey(&mut self, level: f32) {
        let col = Color::Greyscale(Greyscale::new(level, None));
        self.ops.push(Op::SetFillColor { col: col.clone() });
        self.ops.push(Op::SetOutlineColor { col });
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let point = |x: f32, y: f32| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.push(Op::SetOutlineThickness { pt: Pt(width) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(x1, y1), point(x2, y2)],
                is_closed: false,
            },
        });
    }

    pub(crate) fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        mode: PaintMode,
        line_width: f32,
    ) {
        self.ops
            .push(Op::SetOutlineThickness { pt: Pt(line_width) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(mode),
                winding_order: None,
            },
        });
    }

    pub(crate) fn into_page(self) -> PdfPage {
        PdfPage::new(Mm(210.0), Mm(297.0), self.ops)
    }
}

/// Pages filled top to bottom; `y` is the baseline cursor on the current page.
pub(crate) struct Flow<'f> {
    pub(crate) fonts: &'f Fonts,
    pages: Vec<Canvas>,
    pub(crate) y: f32,
}

impl<'f> Flow<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Canvas::default()],
            y: CONTENT_TOP,
        }
    }

    pub(crate) fn page_index(&self) -> usize {
        self.pages.len() - 1
    }

    pub(crate) fn canvas(&mut self) -> &mut Canvas {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn new_page(&mut self) {
        self.pages.push(Canvas::default());
        self.y = CONTENT_TOP;
    }

    /// Starts a new page unless `height` more points fit on this one.
    pub(crate) fn ensure(&mut self, height: f32) {
        if self.y - height < CONTENT_BOTTOM {
            self.new_page();
        }
    }

    pub(crate) fn space(&mut self, height: f32) {
        self.y -= height;
    }

    /// Wrapped text at `indent` from the left margin; breaks across pages line by line.
    pub(crate) fn paragraph(&mut self, face: Face, size: f32, indent: f32, text: &str) {
        let leading = size * 1.45;
        for line in self.fonts.wrap(face, size, text, CONTENT_WIDTH - indent) {
            self.ensure(leading);
            self.y -= leading;
            let y = self.y;
            self.canvas().text(face, size, MARGIN_X + indent, y, &line);
        }
    }

    /// A numbered clause: bold heading, then its paragraphs, kept together with its first lines.
    pub(crate) fn clause(&mut self, number: &str, title: &str, paragraphs: &[&str]) {
        self.ensure(60.0);
        self.space(8.0);
        self.paragraph(Face::Bold, 10.5, 0.0, &format!("{number}. {title}"));
        for p in paragraphs {
            self.space(3.0);
            self.paragraph(Face::Regular, 9.5, 18.0, p);
        }
    }

    pub(crate) fn centered(&mut self, face: Face, size: f32, text: &str) {
        let leading = size * 1.4;
        self.ensure(leading);
        self.y -= leading;
        let x = (PAGE_WIDTH - self.fonts.width(face, size, text)) / 2.0;
        let y = self.y;
        self.canvas().text(face, size, x, y, text);
    }

    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Adds the header and footer to every page and returns the pages and the serial
    /// origin. Page numbers start at `first_number` out of `total`.
    pub(crate) fn finish(
        self,
        header_right: &str,
        first_number: usize,
        total: usize,
    ) -> (Vec<PdfPage>, (f32, f32)) {
        let fonts = self.fonts;
        let serial_origin = serial_origin(fonts);
        let pages = self
            .pages
            .into_iter()
            .enumerate()
            .map(|(i, mut canvas)| {
                decorate(&mut canvas, fonts, header_right, first_number + i, total);
                canvas.into_page()
            })
            .collect();
        (pages, serial_origin)
    }
}

fn header_baseline() -> f32 {
    PAGE_HEIGHT - 36.0
}

/// Where the serial value starts: right after the "No. Siri eSPA:" label.
fn serial_origin(fonts: &Fonts) -> (f32, f32) {
    let label = fonts.width(Face::Bold, SERIAL_FONT_SIZE, SERIAL_LABEL);
    (MARGIN_X + label + 4.0, header_baseline())
}

fn decorate(canvas: &mut Canvas, fonts: &Fonts, header_right: &str, number: usize, total: usize) {
    let top = header_baseline();
    canvas.grey(0.0);
    canvas.text(Face::Bold, SERIAL_FONT_SIZE, MARGIN_X, top, SERIAL_LABEL);
    let right_x = PAGE_WIDTH - MARGIN_X - fonts.width(Face::Regular, 8.0, header_right);
    canvas.text(Face::Regular, 8.0, right_x, top, header_right);
    canvas.grey(0.45);
    canvas.line(MARGIN_X, top - 6.0, PAGE_WIDTH - MARGIN_X, top - 6.0, 0.6);
    canvas.line(MARGIN_X, 52.0, PAGE_WIDTH - MARGIN_X, 52.0, 0.6);
    canvas.grey(0.25);
    let footer_left = "Sistem HIMS · Jabatan Perumahan Negara";
    canvas.text(Face::Regular, 7.5, MARGIN_X, 40.0, footer_left);
    let page_label = format!("Muka surat {number} / {total}");
    let x = PAGE_WIDTH - MARGIN_X - fonts.width(Face::Regular, 8.0, &page_label);
    canvas.text(Face::Regular, 8.0, x, 40.0, &page_label);
    canvas.grey(0.0);
}
