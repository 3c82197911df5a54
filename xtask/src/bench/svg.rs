//! The chart: client throughput and client CPU per operation against
//! concurrency, one line per client, drawn as plain SVG.

/// A point: `(concurrency, requests/s, CPU µs per operation)`.
pub type Point = (u64, Option<f64>, Option<f64>);

/// One client's points.
#[derive(Clone, Debug)]
pub struct Series {
    /// The client's name (the legend).
    pub name: String,
    /// Its points, in concurrency order.
    pub points: Vec<Point>,
}

const COLORS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const W: f64 = 440.0;
const H: f64 = 300.0;
const L: f64 = 60.0;
const R: f64 = 15.0;
const T: f64 = 40.0;
const B: f64 = 45.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A panel at x offset `ox`: `pick` chooses the figure from a point.
fn panel(
    out: &mut String,
    ox: f64,
    title: &str,
    series: &[Series],
    xs: &[u64],
    pick: fn(&Point) -> Option<f64>,
) {
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(pick))
        .fold(0.0f64, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let (pw, ph) = (W - L - R, H - T - B);
    let x_of = |c: u64| {
        let i = xs.iter().position(|x| *x == c).unwrap_or(0) as f64;
        let n = (xs.len().max(2) - 1) as f64;
        ox + L + pw * i / n
    };
    let y_of = |v: f64| T + ph * (1.0 - v / top);
    out.push_str(&format!(
        r#"<text x="{:.1}" y="22" font-size="14" text-anchor="middle">{}</text>"#,
        ox + L + pw / 2.0,
        esc(title)
    ));
    out.push_str(&format!(
        r##"<rect x="{:.1}" y="{T}" width="{pw:.1}" height="{ph:.1}" fill="none" stroke="#888"/>"##,
        ox + L
    ));
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let y = y_of(v);
        out.push_str(&format!(
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
            ox + L,
            ox + L + pw,
            ox + L - 4.0,
            y + 3.0,
            super::report::num(Some(v))
        ));
    }
    for c in xs {
        out.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{c}</text>"#,
            x_of(*c),
            T + ph + 14.0
        ));
    }
    out.push_str(&format!(
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">concurrency</text>"#,
        ox + L + pw / 2.0,
        T + ph + 30.0
    ));
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts: Vec<String> = s
            .points
            .iter()
            .filter_map(|p| pick(p).map(|v| format!("{:.1},{:.1}", x_of(p.0), y_of(v))))
            .collect();
        if pts.is_empty() {
            continue;
        }
        out.push_str(&format!(
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            pts.join(" ")
        ));
        for p in &pts {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            out.push_str(&format!(
                r#"<circle cx="{x}" cy="{y}" r="3" fill="{color}"/>"#
            ));
        }
    }
}

/// The two-panel chart.
pub fn chart(series: &[Series], subtitle: &str) -> String {
    let mut xs: Vec<u64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    xs.sort_unstable();
    xs.dedup();
    let legend_h = 18.0 * series.len() as f64 + 24.0;
    let height = H + legend_h;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" viewBox="0 0 {} {height}" font-family="sans-serif">"#,
        2.0 * W,
        2.0 * W
    );
    out.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    panel(&mut out, 0.0, "get_key requests/s", series, &xs, |p| p.1);
    panel(
        &mut out,
        W,
        "client CPU µs per get_key",
        series,
        &xs,
        |p| p.2,
    );
    for (i, s) in series.iter().enumerate() {
        let y = H + 14.0 + 18.0 * i as f64;
        out.push_str(&format!(
            r#"<rect x="{L}" y="{:.1}" width="14" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="12">{}</text>"#,
            y - 4.0,
            COLORS[i % COLORS.len()],
            L + 20.0,
            y,
            esc(&s.name)
        ));
    }
    out.push_str(&format!(
        r##"<text x="{L}" y="{:.1}" font-size="10" fill="#555">{}</text>"##,
        height - 6.0,
        esc(subtitle)
    ));
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_has_one_line_per_client_per_panel_and_escapes_names() {
        let s = vec![
            Series {
                name: "ours <rust>".into(),
                points: vec![(1, Some(100.0), Some(50.0)), (8, Some(400.0), Some(40.0))],
            },
            Series {
                name: "python".into(),
                points: vec![(1, Some(50.0), None), (8, None, None)],
            },
        ];
        let svg = chart(&s, "quick run");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        // ours: a line in each panel; python: only in the throughput panel.
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(svg.contains("ours &lt;rust&gt;"));
        assert!(!svg.contains("NaN"));
    }
}
