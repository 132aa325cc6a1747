//! The map: trail, current position with heading, destination pin and a scale bar — an SVG
//! fitted to the view, over optional raster tiles. Without tiles (the default), or when they
//! fail to load, the map is still complete: the tiles are only a background.
//!
//! The person can pan (drag) and zoom (buttons, wheel). From their first move the map keeps
//! their frame: new positions are drawn into it and it is never re-centred under them, until
//! they press "Re-centre".

use leptos::prelude::*;
use qdn_shared::view::LocationView;
use wasm_bindgen::JsCast;

use super::Model;
use crate::format::fixed;

/// The SVG's box (its `viewBox` and background are written out as literals).
const W: f64 = 400.0;
const H: f64 = 260.0;
const PAD: f64 = 28.0;

/// Equirectangular projection around the points' centre, scaled to fit the box.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    lat0: f64,
    lon0: f64,
    k: f64,
    cx: f64,
    cy: f64,
}

/// The browser's own `Math` for the projection's transcendental functions: Rust's (libm)
/// would add ~10 KB to the page's wasm for a few calls per render.
mod m {
    pub fn cos(x: f64) -> f64 {
        js_sys::Math::cos(x)
    }
    pub fn tan(x: f64) -> f64 {
        js_sys::Math::tan(x)
    }
    pub fn ln(x: f64) -> f64 {
        js_sys::Math::log(x)
    }
    pub fn log2(x: f64) -> f64 {
        js_sys::Math::log2(x)
    }
    pub fn log10(x: f64) -> f64 {
        js_sys::Math::log10(x)
    }
    pub fn sinh(x: f64) -> f64 {
        js_sys::Math::sinh(x)
    }
    pub fn atan(x: f64) -> f64 {
        js_sys::Math::atan(x)
    }
}

/// The optional background: a Web-Mercator `{z}/{x}/{y}` URL template.
#[derive(Clone, Debug)]
pub struct Tiles {
    pub url: String,
    pub attribution: Option<String>,
}

/// Most tiles drawn (a phone on a slow link should not fetch a dozen).
const MAX_TILES: usize = 9;

impl Frame {
    /// The (lat, lon) under an SVG point.
    fn latlon(&self, x: f64, y: f64) -> (f64, f64) {
        let cos = m::cos(self.lat0.to_radians()).max(0.01);
        (
            self.lat0 - (y - self.cy) / self.k,
            self.lon0 + (x - self.cx) / (cos * self.k),
        )
    }

    /// Tiles covering the view, as (url, x, y, width, height) in SVG units. The frame is locally a
    /// scaled Mercator (same aspect), so the zoom is the one whose pixels are at least as fine.
    fn tiles(&self, t: &Tiles) -> Vec<(String, f64, f64, f64, f64)> {
        let cos = m::cos(self.lat0.to_radians()).max(0.01);
        let world_px_per_deg = self.k * cos * 360.0 / 256.0;
        let mut z = m::log2(world_px_per_deg).ceil().clamp(1.0, 19.0) as i32;
        let (top, left) = self.latlon(0.0, 0.0);
        let (bottom, right) = self.latlon(W, H);
        loop {
            let n = 2f64.powi(z);
            let tx = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as i64;
            let ty = |lat: f64| {
                let r = lat.clamp(-85.0, 85.0).to_radians();
                ((1.0 - m::ln(m::tan(r) + 1.0 / m::cos(r)) / std::f64::consts::PI) / 2.0 * n).floor() as i64
            };
            let (x0, x1, y0, y1) = (tx(left), tx(right), ty(top), ty(bottom));
            let count = ((x1 - x0 + 1) * (y1 - y0 + 1)) as usize;
            if count > MAX_TILES && z > 1 {
                z -= 1;
                continue;
            }
            let lon_of = |x: i64| x as f64 / n * 360.0 - 180.0;
            let lat_of = |y: i64| m::atan(m::sinh(std::f64::consts::PI * (1.0 - 2.0 * y as f64 / n))).to_degrees();
            let mut out = Vec::with_capacity(count);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let (ax, ay) = self.xy(lat_of(y), lon_of(x));
                    let (bx, by) = self.xy(lat_of(y + 1), lon_of(x + 1));
                    let url = t
                        .url
                        .replace("{z}", &z.to_string())
                        .replace("{x}", &x.to_string())
                        .replace("{y}", &y.to_string());
                    out.push((url, ax, ay, bx - ax, by - ay));
                }
            }
            return out;
        }
    }

    fn fit(points: &[(f64, f64)]) -> Option<Frame> {
        let first = points.first()?;
        let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) = (first.0, first.0, first.1, first.1);
        for (lat, lon) in points {
            min_lat = min_lat.min(*lat);
            max_lat = max_lat.max(*lat);
            min_lon = min_lon.min(*lon);
            max_lon = max_lon.max(*lon);
        }
        let lat0 = (min_lat + max_lat) / 2.0;
        let lon0 = (min_lon + max_lon) / 2.0;
        let cos = m::cos(lat0.to_radians()).max(0.01);
        let span_x = ((max_lon - min_lon) * cos).max(1e-4);
        let span_y = (max_lat - min_lat).max(1e-4);
        let k = ((W - 2.0 * PAD) / span_x).min((H - 2.0 * PAD) / span_y);
        Some(Frame {
            lat0,
            lon0,
            k,
            cx: W / 2.0,
            cy: H / 2.0,
        })
    }

    /// Moved by (dx, dy) SVG units, as a drag moves what is under the finger.
    fn panned(self, dx: f64, dy: f64) -> Frame {
        let cos = m::cos(self.lat0.to_radians()).max(0.01);
        Frame {
            lat0: self.lat0 + dy / self.k,
            lon0: self.lon0 - dx / (cos * self.k),
            ..self
        }
    }

    /// Zoomed by `factor` about the centre, within street to continent.
    fn zoomed(self, factor: f64) -> Frame {
        Frame {
            k: (self.k * factor).clamp(0.5, 5e6),
            ..self
        }
    }

    /// A round length (1, 2 or 5 × 10ⁿ m) about a fifth of the map wide: (SVG units, label).
    fn scale_bar(&self) -> (f64, String) {
        // A degree of latitude is 111.32 km; the frame draws `k` units per degree.
        let m_per_unit = 111_320.0 / self.k;
        let want = W / 5.0 * m_per_unit;
        let base = 10f64.powi(m::log10(want).floor() as i32);
        let nice = [5.0, 2.0, 1.0]
            .into_iter()
            .map(|f| f * base)
            .find(|n| *n <= want)
            .unwrap_or(base);
        let label = if nice >= 1000.0 {
            format!("{} km", (nice / 1000.0).round() as i64)
        } else {
            format!("{} m", nice.round().max(1.0) as i64)
        };
        (nice / m_per_unit, label)
    }

    fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        let cos = m::cos(self.lat0.to_radians()).max(0.01);
        (
            self.cx + (lon - self.lon0) * cos * self.k,
            self.cy - (lat - self.lat0) * self.k,
        )
    }
}

fn label(v: &LocationView) -> String {
    match (&v.position, &v.eta) {
        (Some(_), Some(e)) => format!(
            "Map: the trailer is {} from your site",
            crate::format::distance_phrase(e.distance_m).replace(" away", "")
        ),
        (Some(_), None) => "Map: the trailer's position and your site".into(),
        _ => "Map: your site".into(),
    }
}

#[component]
pub fn Map(model: Model, tiles: Option<Tiles>) -> impl IntoView {
    // The person's own frame, once they moved the map; None: fitted to each new view.
    let held: RwSignal<Option<Frame>> = RwSignal::new(None);
    // Where a drag started (client px) and the SVG units per px then.
    let drag: StoredValue<Option<(f64, f64, f64)>> = StoredValue::new(None);
    let current = move || {
        held.get_untracked()
            .or_else(|| model.view.with_untracked(|v| v.as_ref().and_then(fit)))
    };
    let zoom = move |factor: f64| {
        if let Some(f) = current() {
            held.set(Some(f.zoomed(factor)));
        }
    };
    let on_down = move |e: web_sys::PointerEvent| {
        let Some(el) = e.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        let width = el.client_width().max(1) as f64;
        let _ = el.set_pointer_capture(e.pointer_id());
        drag.set_value(Some((e.client_x() as f64, e.client_y() as f64, W / width)));
    };
    let on_move = move |e: web_sys::PointerEvent| {
        let Some((x, y, per_px)) = drag.get_value() else { return };
        let (cx, cy) = (e.client_x() as f64, e.client_y() as f64);
        if let Some(f) = current() {
            held.set(Some(f.panned((cx - x) * per_px, (cy - y) * per_px)));
        }
        drag.set_value(Some((cx, cy, per_px)));
    };
    let on_up = move |_: web_sys::PointerEvent| drag.set_value(None);
    let on_wheel = move |e: web_sys::WheelEvent| {
        e.prevent_default();
        zoom(if e.delta_y() < 0.0 { 1.25 } else { 0.8 });
    };
    view! {
        <section class="card map" aria-label="Map">
            <div class="map-controls">
                <button type="button" class="map-btn" aria-label="Zoom in" on:click=move |_| zoom(1.5)>"+"</button>
                <button type="button" class="map-btn" aria-label="Zoom out" on:click=move |_| zoom(1.0 / 1.5)>"−"</button>
                <button type="button" class="map-btn recentre" hidden=move || held.get().is_none() on:click=move |_| held.set(None)>"Re-centre"</button>
            </div>
            <div class="map-area" on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up on:wheel=on_wheel>
                {move || {
                    let held = held.get();
                    model.view.with(|v| v.as_ref().map(|v| render(v, held.or_else(|| fit(v)), tiles.as_ref())))
                }}
            </div>
        </section>
    }
}

/// The frame that fits the view's trail, position and destination.
fn fit(v: &LocationView) -> Option<Frame> {
    let mut pts: Vec<(f64, f64)> = v.trail.iter().map(|p| (p.lat, p.lon)).collect();
    if let Some(p) = &v.position {
        pts.push((p.lat, p.lon));
    }
    if let Some(d) = &v.destination {
        pts.push((d.lat, d.lon));
    }
    Frame::fit(&pts)
}

fn render(v: &LocationView, frame: Option<Frame>, tiles: Option<&Tiles>) -> impl IntoView {
    let trail = frame
        .as_ref()
        .map(|f| {
            v.trail
                .iter()
                .map(|p| {
                    let (x, y) = f.xy(p.lat, p.lon);
                    format!("{},{}", fixed(x, 1), fixed(y, 1))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let dest = frame
        .as_ref()
        .zip(v.destination.as_ref())
        .map(|(f, d)| f.xy(d.lat, d.lon));
    let pos = frame
        .as_ref()
        .zip(v.position.as_ref())
        .map(|(f, p)| (f.xy(p.lat, p.lon), p.heading_deg));
    let background = frame.as_ref().zip(tiles).map(|(f, t)| f.tiles(t)).unwrap_or_default();
    let attribution = tiles.and_then(|t| t.attribution.clone());
    let scale = frame.as_ref().map(Frame::scale_bar);
    view! {
        <svg class="map-svg" viewBox="0 0 400 260" role="img" aria-label=label(v) preserveAspectRatio="xMidYMid meet">
            <rect class="map-bg" x="0" y="0" width="400" height="260" rx="12"/>
            {background.into_iter().map(|(href, x, y, w, h)| view! {
                <image class="tile" href=href x=fixed(x, 1) y=fixed(y, 1) width=fixed(w, 1) height=fixed(h, 1) preserveAspectRatio="none"/>
            }).collect_view()}
            <polyline class="trail" points=trail/>
            {dest.map(|(x, y)| view! {
                <g class="dest" transform=format!("translate({},{})", fixed(x, 1), fixed(y, 1))>
                    <path d="M0,0 C-9,-12 -9,-22 0,-24 C9,-22 9,-12 0,0 Z"/>
                    <circle cx="0" cy="-16" r="3.5" class="dest-dot"/>
                </g>
            })}
            {pos.map(|((x, y), heading)| view! {
                <g class="pos" transform=format!("translate({},{})", fixed(x, 1), fixed(y, 1))>
                    <circle r="13" class="pos-halo"/>
                    {heading.map(|h| view! { <path class="pos-heading" d="M0,-15 L6,-5 L-6,-5 Z" transform=format!("rotate({})", fixed(h, 0))/> })}
                    <circle r="7" class="pos-dot"/>
                </g>
            })}
            {scale.map(|(len, label)| view! {
                <g class="scale" transform="translate(12,246)">
                    <path d=format!("M0,-6 V0 H{} V-6", fixed(len, 1))/>
                    <text x="0" y="-9">{label}</text>
                </g>
            })}
            {attribution.map(|a| view! { <text class="attribution" x="394" y="254" text-anchor="end">{a}</text> })}
        </svg>
    }
}
