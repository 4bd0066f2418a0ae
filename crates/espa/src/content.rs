//! What goes on the eSPA's pages: cover, parties, payment schedule, clauses and the
//! signature page. Produces printpdf pages plus the positions `first_revision` needs.

use printpdf::{PaintMode, PdfPage};

use crate::EspaError;
use crate::clauses::{CLAUSES, RECITALS, SPECIFICATION};
use crate::document::{EspaDocument, SignatureSlot, format_percent, format_ringgit};
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
}

/// A reviewer line on the signature page: role and name with masked id.
pub(crate) struct ReviewerLine {
    pub role_label: String,
    pub name: String,
    pub masked_id: String,
}

pub(crate) fn lay_out_espa(fonts: &Fonts, doc: &EspaDocument) -> Result<Laid, EspaError> {
    let amounts = doc.stage_amounts_sen()?;
    let mut flow = Flow::new(fonts);
    let qr = reserve_qr(&mut flow);
    cover(&mut flow, doc);
    flow.new_page();
    parties(&mut flow, doc);
    recitals(&mut flow, doc);
    flow.new_page();
    schedule(&mut flow, doc, &amounts);
    clauses(&mut flow, doc);
    flow.new_page();
    specification(&mut flow);
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

fn cover(flow: &mut Flow, doc: &EspaDocument) {
    flow.space(18.0);
    flow.centered(Face::Bold, 20.0, "PERJANJIAN JUAL BELI");
    flow.centered(Face::Regular, 11.0, "(Sale and Purchase Agreement)");
    flow.space(6.0);
    flow.centered(
        Face::Regular,
        9.0,
        "Akta Pemajuan Perumahan (Kawalan dan Pelesenan) 1966",
    );
    flow.centered(
        Face::Regular,
        9.0,
        "Jadual H — Tanah dan Bangunan (Petak Strata)",
    );
    flow.space(36.0);
    section_heading(flow, "BUTIRAN PEMAJUAN DAN PETAK");
    let rows: [(&str, String); 8] = [
        ("Kod Pemajuan", doc.project_code.clone()),
        ("Nama Pemajuan", doc.project_name.clone()),
        ("Pemaju", doc.developer_name.clone()),
        ("Unit / No. Petak", doc.unit.clone()),
        ("Jenis Petak", doc.unit_type.clone()),
        (
            "Keluasan binaan",
            format!("{} meter persegi", doc.built_up_area_sqm),
        ),
        ("Harga Belian", format_ringgit(doc.price_sen)),
        (
            "Tarikh eSPA dijana",
            doc.created_at.format("%d/%m/%Y %H:%M UTC").to_string(),
        ),
    ];
    for (label, value) in rows {
        key_value(flow, label, &value);
    }
    flow.space(20.0);
    flow.paragraph(
        Face::Regular,
        9.5,
        0.0,
        "Perjanjian ini dibuat di antara Pemaju dan Pembeli yang dinamakan dalam Perjanjian ini \
         dan ditandatangani secara digital melalui Sistem HIMS, Jabatan Perumahan Negara, \
         Kementerian Perumahan dan Kerajaan Tempatan.",
    );
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

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

struct Column<'a> {
    header: &'a str,
    width: f32,
    align: Align,
}

/// A ruled table; rows wrap inside their cells, the header repeats after a page break.
fn table(flow: &mut Flow, columns: &[Column], rows: &[Vec<String>], bold_last_row: bool) {
    let size = 9.0;
    let leading = 12.5;
    let pad = 4.0;
    let header: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
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
            let line_x = match column.align {
                Align::Left => x + pad,
                Align::Right => x + column.width - pad - fonts.width(face, size, line),
            };
            canvas.text(face, size, line_x, y, line);
        }
        x += column.width;
    }
    flow.y = bottom;
}

fn parties(flow: &mut Flow, doc: &EspaDocument) {
    section_heading(flow, "PIHAK-PIHAK KEPADA PERJANJIAN (PARTIES)");
    let columns = [
        Column {
            header: "No.",
            width: 28.0,
            align: Align::Left,
        },
        Column {
            header: "Peranan",
            width: 130.0,
            align: Align::Left,
        },
        Column {
            header: "Nama",
            width: 150.0,
            align: Align::Left,
        },
        Column {
            header: "No. KP / Pasport",
            width: 100.0,
            align: Align::Left,
        },
        Column {
            header: "Tindakan",
            width: CONTENT_WIDTH - 408.0,
            align: Align::Left,
        },
    ];
    let rows: Vec<Vec<String>> = doc
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                (i + 1).to_string(),
                p.role_label.clone(),
                p.name.clone(),
                p.masked_id.clone(),
                if p.signs { "Tandatangan" } else { "Semakan" }.to_string(),
            ]
        })
        .collect();
    table(flow, &columns, &rows, false);
    flow.paragraph(
        Face::Regular,
        8.5,
        0.0,
        "Nombor kad pengenalan dan pasport dipaparkan secara bertopeng untuk melindungi data peribadi.",
    );
}

fn schedule(flow: &mut Flow, doc: &EspaDocument, amounts: &[u64]) {
    flow.space(12.0);
    section_heading(flow, "JADUAL BAYARAN (JADUAL H) — PAYMENT SCHEDULE");
    let columns = [
        Column {
            header: "Peringkat",
            width: 62.0,
            align: Align::Left,
        },
        Column {
            header: "Butiran peringkat pembinaan",
            width: CONTENT_WIDTH - 202.0,
            align: Align::Left,
        },
        Column {
            header: "Peratus",
            width: 50.0,
            align: Align::Right,
        },
        Column {
            header: "Amaun (RM)",
            width: 90.0,
            align: Align::Right,
        },
    ];
    let mut rows: Vec<Vec<String>> = doc
        .schedule
        .iter()
        .zip(amounts)
        .map(|(stage, amount)| {
            vec![
                stage.code.clone(),
                stage.description.clone(),
                format_percent(stage.basis_points),
                format_ringgit(*amount),
            ]
        })
        .collect();
    rows.push(vec![
        String::new(),
        "Jumlah Harga Belian".into(),
        "100%".into(),
        format_ringgit(doc.price_sen),
    ]);
    table(flow, &columns, &rows, true);
}

fn fill_in(text: &str, doc: &EspaDocument) -> String {
    text.replace("{developer}", &doc.developer_name)
        .replace("{unit}", &doc.unit)
        .replace("{project}", &doc.project_name)
        .replace("{code}", &doc.project_code)
        .replace("{price}", &format_ringgit(doc.price_sen))
}

fn recitals(flow: &mut Flow, doc: &EspaDocument) {
    flow.space(14.0);
    section_heading(flow, "MUKADIMAH (RECITALS)");
    for recital in RECITALS {
        flow.paragraph(Face::Regular, 9.5, 0.0, &fill_in(recital, doc));
        flow.space(5.0);
    }
}

fn specification(flow: &mut Flow) {
    section_heading(flow, "JADUAL SPESIFIKASI BANGUNAN (BUILDING SPECIFICATION)");
    let columns = [
        Column {
            header: "Bil.",
            width: 30.0,
            align: Align::Left,
        },
        Column {
            header: "Elemen",
            width: 120.0,
            align: Align::Left,
        },
        Column {
            header: "Spesifikasi",
            width: CONTENT_WIDTH - 150.0,
            align: Align::Left,
        },
    ];
    let rows: Vec<Vec<String>> = SPECIFICATION
        .iter()
        .enumerate()
        .map(|(i, (element, spec))| vec![(i + 1).to_string(), (*element).into(), (*spec).into()])
        .collect();
    table(flow, &columns, &rows, false);
    flow.paragraph(
        Face::Regular,
        8.5,
        0.0,
        "Spesifikasi ini tertakluk kepada kelulusan pihak berkuasa berkenaan. Bahan yang setara \
         boleh digantikan hanya dengan persetujuan bertulis Pembeli.",
    );
}

fn clauses(flow: &mut Flow, doc: &EspaDocument) {
    flow.space(12.0);
    section_heading(flow, "TERMA DAN SYARAT (TERMS AND CONDITIONS)");
    for (i, (title, paragraphs)) in CLAUSES.iter().enumerate() {
        let filled: Vec<String> = paragraphs.iter().map(|p| fill_in(p, doc)).collect();
        let refs: Vec<&str> = filled.iter().map(String::as_str).collect();
        flow.clause(&(i + 1).to_string(), title, &refs);
    }
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
