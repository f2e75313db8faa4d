//! `kms-lifecycle`: the command line.
//!
//! - `check`   — run the model checker (the main job; see README)
//! - `explore` — browse the model's state space in stateright's Explorer
//! - `serve`   — serve the reference over the AWS KMS JSON protocol

use std::process::ExitCode;

const USAGE: &str = "usage: kms-lifecycle <command> [options]

commands:
  check     model-check the lifecycle (kms-lifecycle check --help)
  explore   browse the model's state space on 127.0.0.1 (kms-lifecycle explore --help)
  serve     serve the reference over the AWS KMS JSON protocol (kms-lifecycle serve --help)
  conform   check a KMS implementation against the model (kms-lifecycle conform --help)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let code = match cmd.as_str() {
        "check" => check(rest),
        "explore" => explore(rest),
        "serve" => serve(rest),
        "conform" => conform(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            0
        }
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            2
        }
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

#[cfg(feature = "checker")]
fn check(args: &[String]) -> i32 {
    kms_lifecycle_model::cli::check_main(args)
}

#[cfg(feature = "checker")]
fn explore(args: &[String]) -> i32 {
    kms_lifecycle_model::cli::explore_main(args)
}

#[cfg(not(feature = "checker"))]
fn check(_: &[String]) -> i32 {
    eprintln!("this binary was built without the model checker; rebuild with `--features checker`");
    2
}

#[cfg(not(feature = "checker"))]
fn explore(args: &[String]) -> i32 {
    check(args)
}

#[cfg(feature = "conform")]
fn conform(args: &[String]) -> i32 {
    kms_lifecycle::conform::cli::main(args)
}

#[cfg(not(feature = "conform"))]
fn conform(_: &[String]) -> i32 {
    eprintln!("this binary was built without the oracle; rebuild with `--features conform`");
    2
}

#[cfg(not(feature = "server"))]
fn serve(_: &[String]) -> i32 {
    eprintln!(
        "this binary was built without the server; rebuild with `cargo run --release --features server -- serve`"
    );
    2
}

#[cfg(feature = "server")]
fn serve(args: &[String]) -> i32 {
    use kms_lifecycle::Rules;
    use kms_lifecycle::server::{ServerConfig, run};
    const HELP: &str =
        "usage: kms-lifecycle serve [--addr 127.0.0.1:4599] [--rules classic|current]
       [--clock system|manual] [--start EPOCH_SECONDS] [--region R] [--account A]
       [--threads N] [--identities FILE]
       [--data-dir DIR --root-key-file FILE]
       [--max-events N] [--max-event-age-days D] [--max-managed-keys N]

Serves the AWS KMS JSON 1.1 protocol (POST /, X-Amz-Target: TrentService.<Op>).
Without --identities, any SigV4 credentials are accepted: there is no
authorization. With --identities FILE (docs/server.md), every request must be
SigV4-signed by a principal of FILE and is authorized by the key policy and
the principal's IAM policies, as AWS KMS does.
With --clock manual, KmsLifecycle.GetClock / AdvanceClock move time.
--threads sets the request worker threads (default: one per core); RSA
wrapping keys are generated on one more thread of their own.
With --data-dir, the store is kept in DIR (redb) and survives restarts: every
change is on disk before its response is sent. Key material is sealed under
the root key in FILE (64 hex digits; made with permissions 0600 if absent;
keep it outside DIR). Without --data-dir the store is in memory only.
The audit trail and the alarms keep at most --max-events records each
(default 100000) and none older than --max-event-age-days (default 90);
KmsLifecycle.ListEvents pages with Limit (1-1000) and Marker (without Limit:
every record kept). Any new alias/aws/<name> makes an AWS managed key, which
can never be deleted; at most --max-managed-keys of them are made (default
10000), then a new name is NotFoundException.";
    let mut cfg = ServerConfig::default();
    let mut manual = false;
    let mut start: Option<u64> = None;
    let mut identities: Option<std::path::PathBuf> = None;
    let parsed = kms_lifecycle::args::parse(args, HELP, |flag, value| {
        Some(match flag {
            "--addr" => value.parse().map(|a| cfg.addr = a).is_ok(),
            "--rules" => Rules::by_name(value).map(|r| cfg.rules = r).is_some(),
            "--clock" => match value.as_str() {
                "manual" => {
                    manual = true;
                    true
                }
                "system" => {
                    manual = false;
                    true
                }
                _ => false,
            },
            "--start" => value.parse().map(|s| start = Some(s)).is_ok(),
            "--identities" => {
                identities = Some(value.into());
                !value.is_empty()
            }
            "--region" => {
                cfg.region = value.clone();
                kms_lifecycle::store::valid_region(value)
            }
            "--account" => {
                cfg.account = value.clone();
                kms_lifecycle::store::valid_account(value)
            }
            "--max-events" => value
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .map(|n| cfg.retention.max_records = n)
                .is_some(),
            "--max-event-age-days" => value
                .parse::<u64>()
                .ok()
                .filter(|&d| (1..=36_500).contains(&d))
                .map(|d| cfg.retention.max_age = d * 86_400)
                .is_some(),
            "--max-managed-keys" => value
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1)
                .map(|n| cfg.retention.max_managed_keys = n)
                .is_some(),
            "--data-dir" => {
                cfg.data_dir = Some(value.into());
                !value.is_empty()
            }
            "--root-key-file" => {
                cfg.root_key_file = Some(value.into());
                !value.is_empty()
            }
            "--threads" => match value.parse::<usize>() {
                Ok(n @ 1..=256) => {
                    cfg.threads = Some(n);
                    true
                }
                _ => false,
            },
            _ => return None,
        })
    });
    if let Err(status) = parsed {
        return status;
    }
    if start.is_some() && !manual {
        eprintln!("--start needs --clock manual");
        return 2;
    }
    if cfg.data_dir.is_some() != cfg.root_key_file.is_some() {
        eprintln!("--data-dir and --root-key-file go together");
        return 2;
    }
    if manual {
        cfg.manual_clock_start = Some(start.unwrap_or(kms_lifecycle::clock::DEFAULT_START));
    }
    if let Some(path) = identities {
        match kms_lifecycle::authz::Identities::load(&path) {
            Ok(ids) => cfg.identities = Some(std::sync::Arc::new(ids)),
            Err(e) => {
                eprintln!("kms-lifecycle serve: --identities {e}");
                return 2;
            }
        }
    }
    if !cfg.addr.ip().is_loopback() && cfg.identities.is_none() {
        eprintln!(
            "warning: listening on {} — this reference has no authentication; anyone who can reach it can use its keys",
            cfg.addr
        );
    }
    match run(cfg) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kms-lifecycle serve: {e}");
            1
        }
    }
}
