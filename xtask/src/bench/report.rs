//! The report's text: Markdown tables and number formats, and the three
//! files (`report.json`, `report.md`, `clients.svg`).

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// A Markdown table (`|`-separated, a header rule after the first row).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n|{}|\n",
        headers
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | "),
        headers.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        cells.resize(headers.len(), String::new());
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// A figure with three significant digits (whole numbers from 1,000 up), or `n/a`.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if !v.is_finite() => "n/a".into(),
        Some(v) if v.abs() >= 1000.0 => format!("{:.0}", v),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// A ratio with two decimals, or `n/a`.
pub fn ratio(v: Option<f64>) -> String {
    v.filter(|r| r.is_finite())
        .map(|r| format!("{r:.2}"))
        .unwrap_or_else(|| "n/a".into())
}

/// `a / b` when both are there and `b` is not zero.
pub fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => Some(a / b),
        _ => None,
    }
}

/// Writes `report.json`, `report.md` and `clients.svg` into `dir`.
pub fn write(dir: &Path, json: &Value, md: &str, svg: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let text = serde_json::to_string_pretty(json)?;
    for (name, body) in [
        ("report.json", text.as_str()),
        ("report.md", md),
        ("clients.svg", svg),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_a_header_rule_and_escapes_pipes() {
        let t = table(
            &["a", "b"],
            &[vec!["1".into(), "x|y".into()], vec!["2".into()]],
        );
        assert_eq!(t, "| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n");
    }

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(num(Some(12345.6)), "12346");
        assert_eq!(num(Some(123.45)), "123.5");
        assert_eq!(num(Some(12.345)), "12.35");
        assert_eq!(num(Some(0.12345)), "0.123");
        assert_eq!(num(None), "n/a");
        assert_eq!(num(Some(f64::NAN)), "n/a");
        assert_eq!(ratio(Some(1.234)), "1.23");
        assert_eq!(div(Some(1.0), Some(0.0)), None);
        assert_eq!(div(Some(3.0), Some(2.0)), Some(1.5));
    }
}
