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
    println!();
    let figures: Vec<_> = arrival::scenarios()
        .iter()
        .map(|s| arrival::arrival_figures(&trips, s, eval::SEED))
        .collect();
    print!("{}", arrival::table(&figures));
    Ok(())
}
