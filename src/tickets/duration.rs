//! Delays as staff type them: `30m`, `2h`, `1d`, `1d12h`, `1h30m` — numbers
//! with a unit (`d`, `h`, `m`), combined in any order, each unit at most once.

use std::time::Duration;

/// What every refusal names, so a typo is fixed in one go.
pub const FORMATS: &str = "`30m`, `2h`, `1d`, `1d12h` (days `d`, hours `h`, minutes `m`, combined)";

/// The longest delay accepted: 30 days.
pub const MAX: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses a delay. `Err` holds a message for the person who typed it.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration I understand. Use {FORMATS}.");
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut seen = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            _ => return Err(bad()),
        };
        if digits.is_empty() || seen.contains(c) {
            return Err(bad());
        }
        seen.push(c);
        let amount: u64 = digits.parse().map_err(|_| bad())?;
        total = total.saturating_add(amount.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(bad());
    }
    let duration = Duration::from_secs(total);
    if duration > MAX {
        return Err(format!("`{text}` is longer than the 30 days a delay may last."));
    }
    Ok(duration)
}

/// `1d 12h`, `2h 30m`, `45m`: how a delay is shown back.
pub fn format(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (days, hours, minutes, seconds) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60, secs % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 || (parts.is_empty() && seconds == 0) {
        parts.push(format!("{minutes}m"));
    }
    // Only prompt timeouts are set to the second (`!category timeout 90`).
    if seconds > 0 {
        parts.push(format!("{seconds}s"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_formats_parse() {
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("1d12h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse(" 2H "), Ok(Duration::from_secs(7200)));
    }

    #[test]
    fn bad_durations_name_the_formats() {
        for bad in ["", "2", "h", "2x", "1h1h", "0m", "-1h", "1.5h", "soon"] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("`30m`"), "{bad}: {error}");
        }
        assert!(parse("31d").unwrap_err().contains("30 days"));
    }

    #[test]
    fn durations_format_back_compactly() {
        assert_eq!(format(Duration::from_secs(129_600)), "1d 12h");
        assert_eq!(format(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(format(Duration::from_secs(0)), "0m");
        assert_eq!(format(Duration::from_secs(30)), "30s");
        assert_eq!(format(Duration::from_secs(90)), "1m 30s");
    }
}
