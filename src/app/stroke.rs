//! Drawing a signature image from strokes: the demo's "handwriting" and the
//! system's mark on certificates of completion.

use crate::error::{AppError, AppResult};

/// A drawn signature as a PNG: dark ink `strokes` (polylines, in pixels) on a
/// transparent `width` x `height` canvas. The demo's "handwriting" and the
/// system's mark on certificates of completion.
pub fn stroke_png(width: u32, height: u32, strokes: &[&[(f32, f32)]]) -> AppResult<Vec<u8>> {
    const INK: [u8; 3] = [20, 40, 120];
    const RADIUS: f32 = 1.8;
    let failed = |_| AppError::internal("signature_image_failed");
    let mut rgba = vec![0u8; (width as usize) * (height as usize) * 4];
    let mut dot = |cx: f32, cy: f32| {
        let (x0, x1) = ((cx - RADIUS).floor().max(0.0), (cx + RADIUS).ceil());
        let (y0, y1) = ((cy - RADIUS).floor().max(0.0), (cy + RADIUS).ceil());
        for y in (y0 as u32)..=(y1 as u32).min(height.saturating_sub(1)) {
            for x in (x0 as u32)..=(x1 as u32).min(width.saturating_sub(1)) {
                if (x as f32 - cx).hypot(y as f32 - cy) <= RADIUS {
                    let at = ((y * width + x) * 4) as usize;
                    rgba[at..at + 4].copy_from_slice(&[INK[0], INK[1], INK[2], 255]);
                }
            }
        }
    };
    for stroke in strokes {
        for pair in stroke.windows(2) {
            let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
            let steps = ((bx - ax).hypot(by - ay) / 0.5).ceil().max(1.0) as u32;
            for step in 0..=steps {
                let t = step as f32 / steps as f32;
                dot(ax + (bx - ax) * t, ay + (by - ay) * t);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&rgba).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}
