//! The growth benchmark's chart: AWS requests per invocation against the data size, both
//! axes logarithmic, one line per dimension and route. Drawn with `plotters` (the most
//! used Rust plotting crate, kept up) through its SVG backend only: a text file that
//! diffs in review and renders on GitHub, built without fonts, image codecs or C
//! libraries (its text is SVG `<text>`, sized by the crate's own estimate).

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use super::growth::RouteGrowth;

pub fn draw(path: &Path, routes: &[RouteGrowth]) -> Result<()> {
    // One series per dimension and route, its points in size order (failed sizes left out).
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in routes.iter().filter(|r| r.error.is_none()) {
        let label = format!("{}: {}", r.dimension, r.route);
        let point = (r.size as f64, f64::from(r.total().max(1)));
        match series.iter_mut().find(|(l, _)| *l == label) {
            Some((_, points)) => points.push(point),
            None => series.push((label, vec![point])),
        }
    }
    let max_size = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).fold(10.0, f64::max);
    let max_requests = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(10.0, f64::max);
    let root = SVGBackend::new(path, (1400, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("AWS requests per invocation as the data grows", ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((1f64..max_size * 2.0).log_scale(), (1f64..max_requests * 2.0).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("data size (items along the dimension; folder depth in levels)")
        .y_desc("AWS requests per invocation")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (index, (label, points)) in series.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(|e| anyhow!("{e}"))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
