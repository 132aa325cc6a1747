//! A destination as a dispatcher pastes it: coordinates (`41.88, -87.63`) or a map link from
//! Google Maps, Apple Maps or OpenStreetMap. Pure, so every link shape is tested natively.

/// `(lat, lon)` from what was pasted, if it names one place.
pub fn parse(input: &str) -> Option<(f64, f64)> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(p) = pair(s, ',').or_else(|| pair(s, ' ')) {
        return Some(p);
    }
    if !(s.starts_with("http://") || s.starts_with("https://") || s.contains("maps") || s.contains("osm")) {
        return None;
    }
    let s = percent_decode(s);
    // Google's pin (`!3d<lat>!4d<lon>`) is the place itself; `@lat,lon` is only the view's
    // centre, so the pin wins when both are there.
    if let Some(p) = google_pin(&s) {
        return Some(p);
    }
    // Query parameters naming a point, in the order the services use them.
    for key in ["mlat", "q", "query", "ll", "daddr", "destination", "sll", "center"] {
        if key == "mlat" {
            if let (Some(lat), Some(lon)) = (param(&s, "mlat"), param(&s, "mlon")) {
                if let Some(p) = checked(lat.parse().ok()?, lon.parse().ok()?) {
                    return Some(p);
                }
            }
            continue;
        }
        if let Some(p) = param(&s, key).and_then(|v| pair(v, ',')) {
            return Some(p);
        }
    }
    // OSM's `#map=zoom/lat/lon`.
    if let Some(frag) = s.split("#map=").nth(1) {
        let parts: Vec<&str> = frag.split('/').collect();
        if parts.len() >= 3 {
            if let (Ok(lat), Ok(lon)) = (
                parts[1].parse(),
                parts[2].trim_end_matches(|c: char| !c.is_ascii_digit()).parse(),
            ) {
                return checked(lat, lon);
            }
        }
    }
    // Google's `/@lat,lon,15z`.
    if let Some(at) = s.split("/@").nth(1) {
        let mut it = at.split(',');
        if let (Some(lat), Some(lon)) = (it.next(), it.next()) {
            return checked(lat.parse().ok()?, lon.parse().ok()?);
        }
    }
    None
}

fn checked(lat: f64, lon: f64) -> Option<(f64, f64)> {
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && lat.is_finite() && lon.is_finite())
        .then_some((lat, lon))
}

/// "lat<sep>lon" and nothing else.
fn pair(s: &str, sep: char) -> Option<(f64, f64)> {
    let (a, b) = s.split_once(sep)?;
    let num = |t: &str| -> Option<f64> {
        let t = t.trim();
        (!t.is_empty()
            && t.bytes()
                .all(|c| c.is_ascii_digit() || c == b'.' || c == b'-' || c == b'+'))
        .then(|| t.parse().ok())
        .flatten()
    };
    checked(num(a)?, num(b)?)
}

fn google_pin(s: &str) -> Option<(f64, f64)> {
    let lat_at = s.rfind("!3d")?;
    let rest = &s[lat_at + 3..];
    let (lat, rest) = rest.split_once("!4d")?;
    let lon: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    checked(lat.parse().ok()?, lon.parse().ok()?)
}

fn param<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let query = s.split_once('?')?.1.split('#').next()?;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn plain_coordinates() {
        assert_eq!(parse("41.8781, -87.6298"), Some((41.8781, -87.6298)));
        assert_eq!(parse(" 41.8781,-87.6298 "), Some((41.8781, -87.6298)));
        assert_eq!(parse("41.8781 -87.6298"), Some((41.8781, -87.6298)));
        assert_eq!(parse("91, 0"), None, "latitude out of range");
        assert_eq!(parse("12 Main Street"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn google_links() {
        assert_eq!(
            parse("https://www.google.com/maps/place/Willis+Tower/@41.8788764,-87.6384581,17z/data=!3m1!4b1!4m6!3m5!1s0x0:0x0!8m2!3d41.8788764!4d-87.6358832!16s"),
            Some((41.8788764, -87.6358832)),
            "the pin, not the view's centre"
        );
        assert_eq!(
            parse("https://www.google.com/maps/@41.88,-87.63,15z"),
            Some((41.88, -87.63))
        );
        assert_eq!(parse("https://maps.google.com/?q=41.88,-87.63"), Some((41.88, -87.63)));
        assert_eq!(
            parse("https://www.google.com/maps/search/?api=1&query=41.88%2C-87.63"),
            Some((41.88, -87.63))
        );
        assert_eq!(
            parse("https://www.google.com/maps/dir/?api=1&destination=41.88,-87.63"),
            Some((41.88, -87.63))
        );
    }

    #[test]
    fn apple_links() {
        assert_eq!(
            parse("https://maps.apple.com/?ll=41.88,-87.63&q=Dropped%20Pin"),
            Some((41.88, -87.63))
        );
        assert_eq!(
            parse("https://maps.apple.com/?daddr=41.88,-87.63"),
            Some((41.88, -87.63))
        );
        assert_eq!(
            parse("https://maps.apple.com/?q=Home&sll=41.88,-87.63"),
            Some((41.88, -87.63))
        );
    }

    #[test]
    fn openstreetmap_links() {
        assert_eq!(
            parse("https://www.openstreetmap.org/?mlat=41.88&mlon=-87.63#map=17/41.88/-87.63"),
            Some((41.88, -87.63))
        );
        assert_eq!(
            parse("https://www.openstreetmap.org/#map=17/41.87810/-87.62980"),
            Some((41.8781, -87.6298))
        );
        assert_eq!(parse("https://www.openstreetmap.org/#map=17/141.87810/-87.62980"), None);
    }

    #[test]
    fn links_without_a_place() {
        assert_eq!(parse("https://www.google.com/maps/place/Willis+Tower"), None);
        assert_eq!(parse("https://maps.apple.com/?q=Coffee"), None);
    }
}
