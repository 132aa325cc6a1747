//! `cargo xtask <command>`: the two commands a newcomer runs, and the pieces they share.
//!
//! - `dev`   set up, build, seed demo data and serve on 127.0.0.1:$PORT (default 8787)
//! - `test`  fmt, clippy, unit tests, builds, then HTTP and browser tests on a fresh stack
//! - `bench` figures for speed, size and cost against fresh release stacks (never fails on a
//!   target); `bench cost` only the cost figures
//! - `build` install what is missing and build the page and the Worker (release)
//! - `setup` only install what is missing

mod bench;
mod build;
mod dev;
mod fixture;
mod misconfig;
mod restart;
mod seed;
mod stack;
mod standin;
mod test;
mod tools;
mod util;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(),
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("build") => tools::ensure().and_then(|t| build::all(&t)),
        Some("setup") => tools::ensure().map(|_| ()),
        _ => {
            eprintln!("usage: cargo xtask <dev|test|bench|build|setup>");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("\nxtask: {e}");
        std::process::exit(1);
    }
}
