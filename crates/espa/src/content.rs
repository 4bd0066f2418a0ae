//! What goes on the eSPA's pages: cover, parties, payment schedule, clauses and the
//! signature page. Produces printpdf pages plus the positions `first_revision` needs.

use printpdf::{PaintMode, PdfPage};

use crate::EspaError;
use crate::blocks::{Block, Column, espa_blocks};
use crate::document::{EspaDocument, SignatureSlot};
use crate::fonts::{Face, Fonts};
use crate::layout::{CONTENT_WIDTH, Flow, MARGIN_X, PAGE_WIDTH, PageRect};

/// 28 mm, the reserved QR square.
const QR_SIZE: f32 = 79.37;
const BOX_WIDTH: f32 = 250.0;
const BOX_HEIGHT: f32 = 78.0;

/// Laid-out pages and where things are on them (page indices are 0-based within `pages`).
pub(crate) struct Laid {
    pub pages: Vec<PdfPage>,
    pub serial_origin: (f32, f32),
    pub signature_boxes: Vec<PageRect>,
    pub qr: PageRect,
    /// The blocks drawn (none for the signature pages of a portal PDF).
    pub blocks: Vec<Block>,
}

/// A reviewer line on the signature page: role and name with masked id.
pub(crate) struct ReviewerLine {
    pub role_label: String,
    pub name: String,
    pub masked_id: String,
}

pub(crate) fn lay_out_espa(fonts: &Fonts, doc: &EspaDocument) -> Result<Laid, EspaError> {
    let blocks = espa_blocks(doc)?;
    let mut flow = Flow::new(fonts);
    let qr = reserve_qr(&mut flow);
    for block in &blocks {
        draw(&mut flow, block);
    }
    flow.new_page();
    let reviewers: Vec<ReviewerLine> = doc
        .reviewers()
        .map(|p| ReviewerLine {
            role_label: p.role_label.clone(),
            name: p.name.clone(),
            masked_id: p.masked_id.clone(),
        })
        .collect();
    let signature_boxes = signature_section(&mut flow, &doc.signature_slots(), &reviewers);
    let total = flow.page_count();
    let header_right = format!("Kod Pemajuan {} · Unit {}", doc.project_code, doc.unit);
    let (pages, serial_origin) = flow.finish(&header_right, 1, total);
    Ok(Laid {
        pages,
        serial_origin,
        signature_boxes,
        qr,
        blocks,
    })
}

/// The signature page(s) appended to a portal PDF of `existing_pages` pages.
pub(crate) fn lay_out_signature_pages(
    fonts: &Fonts,
    slots: &[SignatureSlot],
    existing_pages: usize,
) -> Laid {
    let mut flow = Flow::new(fonts);
    let qr = reserve_qr(&mut flow);
    let signature_boxes = signature_section(&mut flow, slots, &[]);
    let total = existing_pages + flow.page_count();
    let (pages, serial_origin) = flow.finish("Halaman Tandatangan eSPA", existing_pages + 1, total);
    Laid {
        pages,
        serial_origin,
        signature_boxes,
        qr,
        blocks: Vec::new(),
    }
}

/// An empty square at the top right of the current page; nothing is drawn in it.
fn reserve_qr(flow: &mut Flow) -> PageRect {
    let x2 = PAGE_WIDTH - MARGIN_X;
    let y2 = flow.y;
    PageRect {
        page: flow.page_index(),
        x1: x2 - QR_SIZE,
        y1: y2 - QR_SIZE,
        x2,
        y2,
    }
}

/// One block of [`espa_blocks`] on the page.
fn draw(flow: &mut Flow, block: &Block) {
    match block {
        Block::Title(text) => flow.centered(Face::Bold, 20.0, text),
        Block::Subtitle(text) => flow.centered(Face::Regular, 11.0, text),
        Block::Caption(text) => flow.centered(Face::Regular, 9.0, text),
        Block::Heading(text) => section_heading(flow, text),
        Block::Paragraph(text) => flow.paragraph(Face::Regular, 9.5, 0.0, text),
        Block::Note(text) => flow.paragraph(Face::Regular, 8.5, 0.0, text),
        Block::Fields(rows) => {
            for (label, value) in rows {
                key_value(flow, label, value);
            }
        }
        Block::Table(t) => table(flow, &t.columns, &t.rows, t.total_row),
        Block::Clause {
            number,
            title,
            paragraphs,
        } => {
            let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
            flow.clause(number, title, &refs);
        }
        Block::Gap(points) => flow.space(*points),
        Block::PageBreak => flow.new_page(),
    }
}

fn section_heading(flow: &mut Flow, text: &str) {
    flow.ensure(40.0);
    flow.space(6.0);
    flow.paragraph(Face::Bold, 11.5, 0.0, text);
    let y = flow.y - 5.0;
    let canvas = flow.canvas();
    canvas.grey(0.45);
    canvas.line(MARGIN_X, y, MARGIN_X + CONTENT_WIDTH, y, 0.8);
    canvas.grey(0.0);
    flow.space(10.0);
}

fn key_value(flow: &mut Flow, label: &str, value: &str) {
    let value_x = 150.0;
    let lines = flow
        .fonts
        .wrap(Face::Regular, 10.0, value, CONTENT_WIDTH - value_x);
    let leading = 16.0;
    flow.ensure(leading * lines.len() as f32);
    flow.space(leading);
    let y = flow.y;
    flow.canvas().text(Face::Bold, 10.0, MARGIN_X, y, label);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            flow.space(leading);
        }
        let y = flow.y;
        flow.canvas()
            .text(Face::Regular, 10.0, MARGIN_X + value_x, y, line);
    }
}

/// A ruled table; rows wrap inside their cells, the header repeats after a page break.
fn table(flow: &mut Flow, columns: &[Column], rows: &[Vec<String>], bold_last_row: bool) {
    let size = 9.0;
    let leading = 12.5;
    let pad = 4.0;
    let header: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let mut need_header = true;
    for (i, row) in rows.iter().enumerate() {
        let face = if bold_last_row && i + 1 == rows.len() {
            Face::Bold
        } else {
            Face::Regular
        };
        let row_height = cells_height(flow.fonts, columns, row, face, size, leading, pad);
        let header_height =
            cells_height(flow.fonts, columns, &header, Face::Bold, size, leading, pad);
        let before = flow.page_index();
        flow.ensure(row_height + if need_header { header_height } else { 0.0 });
        if flow.page_index() != before {
            need_header = true;
        }
        if need_header {
            draw_row(
                flow,
                columns,
                &header,
                Face::Bold,
                Some(0.9),
                size,
                leading,
                pad,
            );
            need_header = false;
        }
        draw_row(flow, columns, row, face, None, size, leading, pad);
    }
    flow.space(6.0);
}

fn cells_height(
    fonts: &Fonts,
    columns: &[Column],
    row: &[String],
    face: Face,
    size: f32,
    leading: f32,
    pad: f32,
) -> f32 {
    let lines = columns
        .iter()
        .zip(row)
        .map(|(c, text)| {
            fonts
                .wrap(face, size, text, c.width - 2.0 * pad)
                .len()
                .max(1)
        })
        .max()
        .unwrap_or(1);
    lines as f32 * leading + 2.0 * pad
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    flow: &mut Flow,
    columns: &[Column],
    row: &[String],
    face: Face,
    fill: Option<f32>,
    size: f32,
    leading: f32,
    pad: f32,
) {
    let fonts = flow.fonts;
    let height = cells_height(fonts, columns, row, face, size, leading, pad);
    let top = flow.y;
    let bottom = top - height;
    let mut x = MARGIN_X;
    for (column, text) in columns.iter().zip(row) {
        let canvas = flow.canvas();
        if let Some(level) = fill {
            canvas.grey(level);
            canvas.rect(x, bottom, column.width, height, PaintMode::Fill, 0.5);
        }
        canvas.grey(0.55);
        canvas.rect(x, bottom, column.width, height, PaintMode::Stroke, 0.5);
        canvas.grey(0.0);
        for (n, line) in fonts
            .wrap(face, size, text, column.width - 2.0 * pad)
            .iter()
            .enumerate()
        {
            let y = top - pad - size - n as f32 * leading + 1.0;
            let line_x = if column.right {
                x + column.width - pad - fonts.width(face, size, line)
            } else {
                x + pad
            };
            canvas.text(face, size, line_x, y, line);
        }
        x += column.width;
    }
    flow.y = bottom;
}

/// Heading, one box per signing slot, then the reviewers without a box.
/// Returns each slot's box. Starts on the current page (which holds the QR square).
fn signature_section(
    flow: &mut Flow,
    slots: &[SignatureSlot],
    reviewers: &[ReviewerLine],
) -> Vec<PageRect> {
    let qr_bottom = flow.y - QR_SIZE;
    flow.space(10.0);
    flow.paragraph(Face::Bold, 15.0, 0.0, "HALAMAN TANDATANGAN");
    flow.paragraph(Face::Regular, 10.0, 0.0, "(Signature Page)");
    flow.y = flow.y.min(qr_bottom - 6.0);
    flow.space(6.0);
    flow.paragraph(
        Face::Regular,
        9.0,
        0.0,
        "Pihak-pihak menandatangani Perjanjian ini secara digital melalui Sistem HIMS mengikut \
         giliran tandatangan. Tandatangan, butiran penandatangan dan masa tandatangan dimasukkan \
         ke dalam kotak masing-masing semasa tandatangan dibuat.",
    );
    let mut boxes = Vec::with_capacity(slots.len());
    for slot in slots {
        flow.ensure(BOX_HEIGHT + 34.0);
        flow.space(22.0);
        let y = flow.y;
        let caption = format!("{} — {}", slot.label, slot.role_label);
        flow.canvas().text(Face::Bold, 10.0, MARGIN_X, y, &caption);
        flow.space(8.0);
        let top = flow.y;
        let bottom = top - BOX_HEIGHT;
        let canvas = flow.canvas();
        canvas.grey(0.35);
        canvas.rect(
            MARGIN_X,
            bottom,
            BOX_WIDTH,
            BOX_HEIGHT,
            PaintMode::Stroke,
            0.8,
        );
        canvas.grey(0.0);
        let text_x = MARGIN_X + BOX_WIDTH + 14.0;
        let detail_width = CONTENT_WIDTH - BOX_WIDTH - 14.0;
        let fonts = flow.fonts;
        let mut line_y = top - 12.0;
        for (face, text) in [
            (Face::Regular, "Nama:".to_string()),
            (Face::Bold, slot.name.clone()),
            (Face::Regular, format!("Peranan: {}", slot.role_label)),
            (
                Face::Regular,
                "Tarikh dan masa: semasa tandatangan".to_string(),
            ),
        ] {
            for line in fonts.wrap(face, 9.0, &text, detail_width) {
                flow.canvas().text(face, 9.0, text_x, line_y, &line);
                line_y -= 12.0;
            }
        }
        boxes.push(PageRect {
            page: flow.page_index(),
            x1: MARGIN_X,
            y1: bottom,
            x2: MARGIN_X + BOX_WIDTH,
            y2: top,
        });
        flow.y = bottom.min(line_y);
    }
    if !reviewers.is_empty() {
        flow.space(18.0);
        flow.paragraph(
            Face::Bold,
            10.0,
            0.0,
            "Pihak yang menyemak (tanpa tandatangan)",
        );
        for r in reviewers {
            flow.paragraph(
                Face::Regular,
                9.0,
                12.0,
                &format!("{}: {} ({})", r.role_label, r.name, r.masked_id),
            );
        }
    }
    boxes
}
