//! Words, numbers and small geometry for the console: pure, so they are tested natively.

use chrono::{Datelike, Timelike};

/// A trailer as the fleet map colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    /// A fix in the last 5 minutes, at walking pace or more.
    Moving,
    /// A fix in the last 10 minutes, not moving.
    Stopped,
    /// No fix for 10 minutes or more (or never).
    Silent,
}

impl Motion {
    pub fn of(age_s: Option<i64>, speed_mps: Option<f64>) -> Motion {
        match age_s {
            Some(a) if a < 300 && speed_mps.is_some_and(|s| s >= 1.0) => Motion::Moving,
            Some(a) if a < 600 => Motion::Stopped,
            _ => Motion::Silent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Motion::Moving => "moving",
            Motion::Stopped => "stopped",
            Motion::Silent => "silent",
        }
    }
}

/// "just now", "4 min ago", "2 h ago", "3 d ago".
pub fn ago(age_s: i64) -> String {
    match age_s {
        s if s < 45 => "just now".into(),
        s if s < 3600 => format!("{} min ago", (s + 30) / 60),
        s if s < 48 * 3600 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86400),
    }
}

/// Seconds for people: "45 s", "3 min 5 s", "1 h 2 min"; "–" for none.
pub fn duration(s: Option<f64>) -> String {
    let Some(s) = s else {
        return "–".into();
    };
    let s = s.round() as i64;
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => {
            if s % 60 == 0 {
                format!("{} min", s / 60)
            } else {
                format!("{} min {} s", s / 60, s % 60)
            }
        }
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// A share 0..1 as "75 %".
pub fn percent(share: f64) -> String {
    format!("{} %", (share * 100.0).round() as i64)
}

/// The top of a chart's scale: a round number at or above `max` (1, 2, 5 × 10^n).
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= max {
            return m * mag;
        }
    }
    10.0 * mag
}

/// `<input type="datetime-local">`'s value (the browser's local time, `YYYY-MM-DDTHH:MM`) as
/// RFC 3339, given the browser's offset from UTC in minutes (`Date.getTimezoneOffset`, positive
/// west of UTC). Read by hand: chrono's format parser would cost the page its weight.
pub fn local_input_to_rfc3339(value: &str, offset_min: i32) -> Option<String> {
    let (date, time) = value.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<u32>().ok());
    let (h, min) = (t.next()??, t.next()??);
    let naive = chrono::NaiveDate::from_ymd_opt(y as i32, m, day)?.and_hms_opt(h, min, 0)?;
    let u = naive + chrono::Duration::minutes(offset_min as i64);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00.000Z",
        u.year(),
        u.month(),
        u.day(),
        u.hour(),
        u.minute()
    ))
}

/// A job status for people.
pub fn status_label(s: &str) -> &'static str {
    match s {
        "scheduled" => "Scheduled",
        "en_route" => "On the way",
        "at_site" => "At site",
        "en_route_next" => "To next stop",
        "completed" => "Completed",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

/// Equirectangular projection of points into a `w` × `h` box with `pad` around them.
pub fn project(points: &[(f64, f64)], w: f64, h: f64, pad: f64) -> Vec<(f64, f64)> {
    if points.is_empty() {
        return Vec::new();
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(lat, lon) in points {
        lat0 = lat0.min(lat);
        lat1 = lat1.max(lat);
        lon0 = lon0.min(lon);
        lon1 = lon1.max(lon);
    }
    let cos = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.01);
    let span_x = ((lon1 - lon0) * cos).max(1e-4);
    let span_y = (lat1 - lat0).max(1e-4);
    let k = ((w - 2.0 * pad) / span_x).min((h - 2.0 * pad) / span_y);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (mlat, mlon) = ((lat0 + lat1) / 2.0, (lon0 + lon1) / 2.0);
    points
        .iter()
        .map(|&(lat, lon)| (cx + (lon - mlon) * cos * k, cy - (lat - mlat) * k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motion_from_age_and_speed() {
        assert_eq!(Motion::of(Some(30), Some(8.0)), Motion::Moving);
        assert_eq!(Motion::of(Some(30), Some(0.2)), Motion::Stopped);
        assert_eq!(Motion::of(Some(30), None), Motion::Stopped);
        assert_eq!(
            Motion::of(Some(400), Some(8.0)),
            Motion::Stopped,
            "moving, but 6 min ago"
        );
        assert_eq!(Motion::of(Some(600), Some(8.0)), Motion::Silent);
        assert_eq!(Motion::of(None, None), Motion::Silent);
    }

    #[test]
    fn ages_and_durations_read_naturally() {
        assert_eq!(ago(10), "just now");
        assert_eq!(ago(250), "4 min ago");
        assert_eq!(ago(7300), "2 h ago");
        assert_eq!(ago(3 * 86400), "3 d ago");
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(44.6)), "45 s");
        assert_eq!(duration(Some(185.0)), "3 min 5 s");
        assert_eq!(duration(Some(120.0)), "2 min");
        assert_eq!(duration(Some(3720.0)), "1 h 2 min");
        assert_eq!(percent(0.333), "33 %");
    }

    #[test]
    fn chart_scales_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(45.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
    }

    #[test]
    fn a_local_time_becomes_utc() {
        // Chicago in winter: UTC-6, so getTimezoneOffset is +360.
        assert_eq!(
            local_input_to_rfc3339("2026-11-22T14:30", 360).as_deref(),
            Some("2026-11-22T20:30:00.000Z")
        );
        assert_eq!(
            local_input_to_rfc3339("2026-11-22T14:30", -60).as_deref(),
            Some("2026-11-22T13:30:00.000Z")
        );
        assert_eq!(local_input_to_rfc3339("tomorrow", 0), None);
    }

    #[test]
    fn projection_keeps_points_in_the_box_and_north_up() {
        let p = project(&[(41.0, -87.0), (42.0, -88.0)], 400.0, 300.0, 20.0);
        for &(x, y) in &p {
            assert!((20.0..=380.0).contains(&x) && (20.0..=280.0).contains(&y), "{x},{y}");
        }
        assert!(p[0].1 > p[1].1, "the southern point is lower");
        assert!(p[0].0 > p[1].0, "the eastern point is to the right");
        let one = project(&[(41.0, -87.0)], 400.0, 300.0, 20.0);
        assert_eq!(one, vec![(200.0, 150.0)]);
    }
}
