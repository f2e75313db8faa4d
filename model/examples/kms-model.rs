//! `cargo run --release -p kms-lifecycle-model --example kms-model -- check ...`
//! (the same entry points as `kms-lifecycle check` / `kms-lifecycle explore`).
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("check") => kms_lifecycle_model::cli::check_main(&args[1..]),
        Some("explore") => kms_lifecycle_model::cli::explore_main(&args[1..]),
        _ => {
            eprintln!("usage: kms-model check|explore [options]");
            2
        }
    };
    std::process::exit(code);
}
