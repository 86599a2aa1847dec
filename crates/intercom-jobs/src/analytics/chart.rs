//! The metrics chart: conversations created and closed per day (bars) above the
//! median time to first admin reply per day (line), as a PNG.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (`assets/`, with its
//! licence) and rendered through plotters' `ab_glyph` feature: a minimal container,
//! without fontconfig or any installed font, draws the same chart.

use std::sync::OnceLock;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::MetricsReport;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 700;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Makes the embedded font plotters' `sans-serif`, once per process.
fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
                .map_err(|_| "the embedded chart font could not be read".to_string())
        })
        .clone()
}

/// Render the report's daily series as a PNG. Fails (with a reason) when the
/// period has no daily series.
pub fn png(report: &MetricsReport) -> Result<Vec<u8>, String> {
    if report.daily.is_empty() {
        return Err("the chart needs a period of at most 92 days".into());
    }
    register_font()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(report, &mut rgb).map_err(|e| format!("could not draw the chart: {e}"))?;
    encode_png(&rgb)
}

fn draw(report: &MetricsReport, rgb: &mut [u8]) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!(
        "Support metrics: {} ({})",
        report.period.label, report.period.time_zone
    );
    let root = root.titled(&title, ("sans-serif", 26).into_font())?;
    let (upper, lower) = root.split_vertically(HEIGHT * 55 / 100 - 20);
    let days = &report.daily;
    let n = days.len();
    let label_at = |i: usize| {
        days.get(i)
            .map(|d| d.date[5..].to_string())
            .unwrap_or_default()
    };
    let step = n.div_ceil(10).max(1);

    let max_volume = days
        .iter()
        .map(|d| d.created.max(d.closed))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.15;
    let mut volume = day_chart(
        &upper,
        "Conversations per day",
        max_volume,
        ("conversations", "day"),
        &label_at,
        step,
        n,
    )?;
    let created_colour = RGBColor(52, 101, 164);
    let closed_colour = RGBColor(115, 210, 22);
    volume
        .draw_series(days.iter().enumerate().map(|(i, d)| {
            let x = i as f64;
            Rectangle::new(
                [(x - 0.4, 0.0), (x, d.created as f64)],
                created_colour.filled(),
            )
        }))?
        .label("created")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 12, y + 5)], created_colour.filled())
        });
    volume
        .draw_series(days.iter().enumerate().map(|(i, d)| {
            let x = i as f64;
            Rectangle::new(
                [(x, 0.0), (x + 0.4, d.closed as f64)],
                closed_colour.filled(),
            )
        }))?
        .label("closed")
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 12, y + 5)], closed_colour.filled())
        });
    volume
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;

    let hours: Vec<Option<f64>> = days
        .iter()
        .map(|d| d.median_first_response_seconds.map(|s| s as f64 / 3600.0))
        .collect();
    let max_hours = hours.iter().flatten().cloned().fold(0.0, f64::max).max(0.5) * 1.15;
    let mut response = day_chart(
        &lower,
        "Median time to first admin reply",
        max_hours,
        ("hours", "day (conversations created that day)"),
        &label_at,
        step,
        n,
    )?;
    let line_colour = RGBColor(204, 0, 0);
    let points: Vec<(f64, f64)> = hours
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.map(|h| (i as f64, h)))
        .collect();
    response.draw_series(LineSeries::new(points.clone(), line_colour.stroke_width(2)))?;
    response.draw_series(
        points
            .into_iter()
            .map(|p| Circle::new(p, 4, line_colour.filled())),
    )?;
    root.present()?;
    Ok(())
}

type DayChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with one slot per day on x (labelled `MM-DD` every `step` days) and `0..y_max` on y.
fn day_chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    y_max: f64,
    (y_desc, x_desc): (&str, &str),
    label_at: &dyn Fn(usize) -> String,
    step: usize,
    n: usize,
) -> Result<DayChart<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .y_label_formatter(&|y| {
            if y_max >= 10.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.1}")
            }
        })
        .x_label_formatter(&|x| {
            let i = x.round();
            if i >= 0.0 && (i as usize).is_multiple_of(step) {
                label_at(i as usize)
            } else {
                String::new()
            }
        })
        .y_desc(y_desc)
        .x_desc(x_desc)
        .label_style(("sans-serif", 14))
        .draw()?;
    Ok(chart)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| format!("could not encode the chart: {e}"))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| format!("could not encode the chart: {e}"))?;
    writer
        .finish()
        .map_err(|e| format!("could not encode the chart: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dark pixels in an RGB buffer.
    fn ink(rgb: &[u8]) -> usize {
        rgb.chunks(3).filter(|p| p.iter().all(|&c| c < 128)).count()
    }

    #[test]
    fn text_is_drawn_with_the_embedded_font() {
        register_font().unwrap();
        let (width, height) = (240u32, 40u32);
        let mut rgb = vec![255u8; (width * height * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            let style = ("sans-serif", 20).into_font().color(&BLACK);
            area.draw_text("Support metrics 01-31", &style, (4, 8))
                .unwrap();
            area.present().unwrap();
        }
        assert!(ink(&rgb) > 200, "the label left {} dark pixels", ink(&rgb));
    }
}
