//! The eSPA's content as a list of blocks (title, headings, paragraphs, fields,
//! tables, clauses): the one source both the PDF pages and the signer page's
//! "read as text" view are made from, so the two cannot say different things.
//! `Gap` and `PageBreak` are the PDF's spacing; a text view skips them.

use crate::EspaError;
use crate::clauses::{CLAUSES, RECITALS, SPECIFICATION};
use crate::document::{EspaDocument, format_percent, format_ringgit};
use crate::layout::CONTENT_WIDTH;

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title (centred, large).
    Title(String),
    /// A line under the title (centred).
    Subtitle(String),
    /// A small centred line under the subtitle.
    Caption(String),
    /// A section heading.
    Heading(String),
    Paragraph(String),
    /// Small print under a table.
    Note(String),
    /// Label and value pairs.
    Fields(Vec<(String, String)>),
    Table(Table),
    /// A numbered clause with its title and paragraphs.
    Clause {
        number: String,
        title: String,
        paragraphs: Vec<String>,
    },
    /// Vertical space in points (PDF only).
    Gap(f32),
    /// A new page (PDF only).
    PageBreak,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// The last row is a total (bold in the PDF).
    pub total_row: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// Width in points on the PDF page.
    pub width: f32,
    /// Numbers: right-aligned.
    pub right: bool,
}

fn column(header: &str, width: f32, right: bool) -> Column {
    Column {
        header: header.into(),
        width,
        right,
    }
}

/// The agreement's content in reading order (the signature page excluded: its
/// boxes are the PDF's own; the parties are in the parties table).
pub fn espa_blocks(doc: &EspaDocument) -> Result<Vec<Block>, EspaError> {
    let amounts = doc.stage_amounts_sen()?;
    let mut out = Vec::new();
    cover(&mut out, doc);
    out.push(Block::PageBreak);
    parties(&mut out, doc);
    recitals(&mut out, doc);
    out.push(Block::PageBreak);
    schedule(&mut out, doc, &amounts);
    clauses(&mut out, doc);
    out.push(Block::PageBreak);
    specification(&mut out);
    Ok(out)
}

fn cover(out: &mut Vec<Block>, doc: &EspaDocument) {
    out.extend([
        Block::Gap(18.0),
        Block::Title("PERJANJIAN JUAL BELI".into()),
        Block::Subtitle("(Sale and Purchase Agreement)".into()),
        Block::Gap(6.0),
        Block::Caption("Akta Pemajuan Perumahan (Kawalan dan Pelesenan) 1966".into()),
        Block::Caption("Jadual H — Tanah dan Bangunan (Petak Strata)".into()),
        Block::Gap(36.0),
        Block::Heading("BUTIRAN PEMAJUAN DAN PETAK".into()),
    ]);
    let rows = [
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
    out.push(Block::Fields(
        rows.into_iter().map(|(l, v)| (l.to_owned(), v)).collect(),
    ));
    out.push(Block::Gap(20.0));
    out.push(Block::Paragraph(
        "Perjanjian ini dibuat di antara Pemaju dan Pembeli yang dinamakan dalam Perjanjian ini \
         dan ditandatangani secara digital melalui Sistem HIMS, Jabatan Perumahan Negara, \
         Kementerian Perumahan dan Kerajaan Tempatan."
            .into(),
    ));
}

fn parties(out: &mut Vec<Block>, doc: &EspaDocument) {
    out.push(Block::Heading(
        "PIHAK-PIHAK KEPADA PERJANJIAN (PARTIES)".into(),
    ));
    let columns = vec![
        column("No.", 28.0, false),
        column("Peranan", 130.0, false),
        column("Nama", 150.0, false),
        column("No. KP / Pasport", 100.0, false),
        column("Tindakan", CONTENT_WIDTH - 408.0, false),
    ];
    let rows = doc
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
    out.push(Block::Table(Table {
        columns,
        rows,
        total_row: false,
    }));
    out.push(Block::Note(
        "Nombor kad pengenalan dan pasport dipaparkan secara bertopeng untuk melindungi data peribadi."
            .into(),
    ));
}

fn fill_in(text: &str, doc: &EspaDocument) -> String {
    text.replace("{developer}", &doc.developer_name)
        .replace("{unit}", &doc.unit)
        .replace("{project}", &doc.project_name)
        .replace("{code}", &doc.project_code)
        .replace("{price}", &format_ringgit(doc.price_sen))
}

fn recitals(out: &mut Vec<Block>, doc: &EspaDocument) {
    out.push(Block::Gap(14.0));
    out.push(Block::Heading("MUKADIMAH (RECITALS)".into()));
    for recital in RECITALS {
        out.push(Block::Paragraph(fill_in(recital, doc)));
        out.push(Block::Gap(5.0));
    }
}

fn schedule(out: &mut Vec<Block>, doc: &EspaDocument, amounts: &[u64]) {
    out.push(Block::Gap(12.0));
    out.push(Block::Heading(
        "JADUAL BAYARAN (JADUAL H) — PAYMENT SCHEDULE".into(),
    ));
    let columns = vec![
        column("Peringkat", 62.0, false),
        column("Butiran peringkat pembinaan", CONTENT_WIDTH - 202.0, false),
        column("Peratus", 50.0, true),
        column("Amaun (RM)", 90.0, true),
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
    out.push(Block::Table(Table {
        columns,
        rows,
        total_row: true,
    }));
}

fn clauses(out: &mut Vec<Block>, doc: &EspaDocument) {
    out.push(Block::Gap(12.0));
    out.push(Block::Heading(
        "TERMA DAN SYARAT (TERMS AND CONDITIONS)".into(),
    ));
    for (i, (title, paragraphs)) in CLAUSES.iter().enumerate() {
        out.push(Block::Clause {
            number: (i + 1).to_string(),
            title: (*title).into(),
            paragraphs: paragraphs.iter().map(|p| fill_in(p, doc)).collect(),
        });
    }
}

fn specification(out: &mut Vec<Block>) {
    out.push(Block::Heading(
        "JADUAL SPESIFIKASI BANGUNAN (BUILDING SPECIFICATION)".into(),
    ));
    let columns = vec![
        column("Bil.", 30.0, false),
        column("Elemen", 120.0, false),
        column("Spesifikasi", CONTENT_WIDTH - 150.0, false),
    ];
    let rows = SPECIFICATION
        .iter()
        .enumerate()
        .map(|(i, (element, spec))| vec![(i + 1).to_string(), (*element).into(), (*spec).into()])
        .collect();
    out.push(Block::Table(Table {
        columns,
        rows,
        total_row: false,
    }));
    out.push(Block::Note(
        "Spesifikasi ini tertakluk kepada kelulusan pihak berkuasa berkenaan. Bahan yang setara \
         boleh digantikan hanya dengan persetujuan bertulis Pembeli."
            .into(),
    ));
}
