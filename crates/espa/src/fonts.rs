//! The embedded DejaVu Sans faces (see fonts/LICENSE-DejaVu.txt) and text measurement.

use std::sync::OnceLock;

use printpdf::{FontId, ParsedFont};

use crate::EspaError;

const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Resource names double as the six-letter subset tag printpdf writes (`ESPARG+DejaVuSans`),
/// and fixed names keep the output deterministic (printpdf's own ids are random).
pub(crate) const REGULAR_RESOURCE: &str = "ESPARG";
pub(crate) const BOLD_RESOURCE: &str = "ESPABD";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
}

impl Face {
    pub(crate) fn font_id(self) -> FontId {
        match self {
            Face::Regular => FontId(REGULAR_RESOURCE.into()),
            Face::Bold => FontId(BOLD_RESOURCE.into()),
        }
    }
}

pub(crate) struct Fonts {
    pub(crate) regular: ParsedFont,
    pub(crate) bold: ParsedFont,
}

/// Parsing the faces costs a few milliseconds; do it once per process.
pub(crate) fn fonts() -> Result<&'static Fonts, EspaError> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let regular = ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())?;
            let bold = ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new())?;
            Some(Fonts { regular, bold })
        })
        .as_ref()
        .ok_or_else(|| EspaError::Internal("the embedded font does not parse".into()))
}

impl Fonts {
    fn face(&self, face: Face) -> &ParsedFont {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// Advance width of `text` in points at `size`.
    pub(crate) fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let font = self.face(face);
        let units_per_em = f32::from(font.font_metrics.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                let gid = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                u32::from(font.get_horizontal_advance(gid))
            })
            .sum();
        units as f32 * size / units_per_em
    }

    /// Greedy word wrap to `max_width` points. A word longer than a line is split.
    pub(crate) fn wrap(&self, face: Face, size: f32, text: &str, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width(face, size, &candidate) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.width(face, size, &line) > max_width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let f = fonts().unwrap();
        let text = "Pemaju hendaklah menyerahkan milikan kosong Petak kepada Pembeli dalam tempoh \
                    tiga puluh enam (36) bulan dari tarikh Perjanjian ini.";
        let lines = f.wrap(Face::Regular, 10.0, text, 150.0);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(f.width(Face::Regular, 10.0, l) <= 150.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn a_word_longer_than_the_line_is_split() {
        let f = fonts().unwrap();
        let lines = f.wrap(Face::Bold, 12.0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 40.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    }

    #[test]
    fn bold_is_wider_than_regular() {
        let f = fonts().unwrap();
        assert!(
            f.width(Face::Bold, 10.0, "Muka surat") > f.width(Face::Regular, 10.0, "Muka surat")
        );
    }
}
