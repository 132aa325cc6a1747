//! Prints the ETA and arrival evaluations on the real bus trips, one row per variant:
//! `cargo run -p qdn-shared --features eval --example arrival_eval [trips.csv]`
//! (default: the crate's copy of `../shared/data/liverpool_bus_route14_outbound.csv`).

use qdn_shared::eval::{self, arrival, eta};

fn main() -> Result<(), String> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/liverpool_bus_route14_outbound.csv"
        )
        .to_string()
    });
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let trips = eval::trips_from_csv(file)?;
    println!("{} trips from {path}\n", trips.len());
    println!(
        "{:<40} {:>14} {:>10} {:>10} {:>12}",
        "ETA MdAPE on the real trips", "live + past", "live only", "30 km/h", "predictions"
    );
    for v in eval::VARIANTS {
        let f = eta::eta_figures(&trips, &v, eval::SEED);
        println!(
            "{:<40} {:>13.1}% {:>9.1}% {:>9.1}% {:>12}",
            v.name,
            f.learned * 100.0,
            f.live * 100.0,
            f.baseline * 100.0,
            f.predictions
        );
    }
    println!(
        "\n{:<40} {:>20} {:>26}",
        "ETA MdAPE, seeds 1-5 of the degradation", "live + past min–max", "ceiling: all other trips"
    );
    for v in eval::VARIANTS {
        let learned: Vec<f64> = SEEDS.map(|s| eta::eta_figures(&trips, &v, s).learned).to_vec();
        let ceiling: Vec<f64> = SEEDS.map(|s| eta::learned_ceiling(&trips, &v, s)).to_vec();
        let (lo, hi) = range(&learned);
        let (clo, chi) = range(&ceiling);
        println!(
            "{:<40} {:>11.1}–{:.1}% {:>18.1}–{:.1}%",
            v.name,
            lo * 100.0,
            hi * 100.0,
            clo * 100.0,
            chi * 100.0
        );
    }
    println!();
    let figures: Vec<_> = arrival::scenarios()
        .iter()
        .map(|s| arrival::arrival_figures(&trips, s, eval::SEED))
        .collect();
    print!("{}", arrival::table(&figures));
    println!("\n{:<40} {:>24}", "arrival, seeds 1-5", "soon on time, per seed");
    for s in arrival::scenarios() {
        let per_seed: Vec<String> = SEEDS
            .map(|seed| {
                let f = arrival::arrival_figures(&trips, &s, seed);
                format!("{}/{}", f.soon_on_time, f.soon_eligible)
            })
            .to_vec();
        println!("{:<40} {:>24}", s.name(), per_seed.join(" "));
    }
    Ok(())
}

/// Other seeds of the degradation than the printed figures' [`eval::SEED`], to tell a change
/// from luck.
const SEEDS: [u64; 5] = [0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0x5eed_0004, 0x5eed_0005];

fn range(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(*x), hi.max(*x))
    })
}
