//! Terraform end to end against `kms-lifecycle serve` (issue 16): `terraform
//! init` from the machine's provider mirror (no network), `apply` of
//! `aws_kms_key` (description, deletion window, rotation with a period, tags,
//! a custom policy), `aws_kms_alias` and `aws_kms_external_key` (the provider
//! imports `key_material_base64` itself), a `plan` that must show no changes,
//! an update (disable the key, change its policy and description), another
//! no-change plan, and `destroy`, after which every key is PendingDeletion with
//! its configured window. After each phase the server's own answers are
//! checked, not only Terraform's exit code.
//!
//! Needs `terraform` (`TERRAFORM`, else on `PATH`) and the AWS provider 5.100.0
//! in a filesystem mirror (`TF_PROVIDER_MIRROR`, default `/opt/tf-plugins`).
//! Without them the test FAILS and says what is missing: it never passes
//! without running Terraform. Every Terraform command is killed after
//! `KMS_TERRAFORM_STEP_SECONDS` (default 300).
// Tests, benchmarks and examples may unwrap (a panic there is a failed run)
// and share helpers through `pub` items of their modules.
#![allow(clippy::unwrap_used, unreachable_pub)]
#![cfg(feature = "server")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use kms_lifecycle::api::WrappingAlgorithm;
use kms_lifecycle::import::wrap_key_material;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";
const START: u64 = kms_lifecycle::clock::DEFAULT_START;
const DAY: u64 = 86_400;
const PROVIDER: &str = "registry.terraform.io/hashicorp/aws/5.100.0";

/// `kms-lifecycle serve` on a free loopback port, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kms-lifecycle"))
            .args(["serve", "--addr", "127.0.0.1:0", "--clock", "manual"])
            .args(["--start", &START.to_string(), "--account", ACCOUNT])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kms-lifecycle serve starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).expect("server banner");
        // "kms-lifecycle serving the AWS KMS JSON protocol on http://127.0.0.1:PORT (...)"
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("no address in the server's banner: {line:?}")
            });
        // Keep draining stderr so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        Self { child, addr }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One KMS JSON call on a fresh connection.
    fn call(&self, target: &str, body: Value) -> (u16, Value) {
        let body = body.to_string();
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status: u16 = resp.split(' ').nth(1).unwrap().parse().unwrap();
        let json = resp.split("\r\n\r\n").nth(1).unwrap_or("");
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(&format!("TrentService.{op}"), body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }

    fn describe(&self, key_id: &str) -> Value {
        self.ok("DescribeKey", json!({ "KeyId": key_id }))["KeyMetadata"].clone()
    }

    fn now(&self) -> u64 {
        let (status, v) = self.call("KmsLifecycle.GetClock", json!({}));
        assert_eq!(status, 200, "{v}");
        v["Now"].as_u64().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory, removed on drop (it holds the state file, which
/// holds the imported key material).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn find_terraform() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("TERRAFORM") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("TERRAFORM={} is not a file", p.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
        .ok_or_else(|| "terraform is not on PATH (set TERRAFORM=/path/to/terraform)".into())
}

fn provider_mirror() -> Result<PathBuf, String> {
    let mirror = std::env::var_os("TF_PROVIDER_MIRROR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/tf-plugins"));
    let dir = mirror.join(PROVIDER).join("linux_amd64");
    let found = std::fs::read_dir(&dir).ok().is_some_and(|mut d| {
        d.any(|e| {
            e.is_ok_and(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("terraform-provider-aws")
            })
        })
    });
    if found {
        Ok(mirror)
    } else {
        Err(format!(
            "the AWS provider 5.100.0 is not in the filesystem mirror {} (looked in {}; set TF_PROVIDER_MIRROR)",
            mirror.display(),
            dir.display()
        ))
    }
}

/// Runs Terraform in `dir` with a hermetic environment; returns the exit
/// code and the combined output. Killed after the step limit.
struct Tf {
    bin: PathBuf,
    dir: PathBuf,
    cli_config: PathBuf,
    vars: Vec<(String, String)>,
    limit: Duration,
}

impl Tf {
    fn run(&self, args: &[&str]) -> (i32, String) {
        let out_path = self.dir.join("terraform.log");
        let out = std::fs::File::create(&out_path).unwrap();
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        // Nothing from the caller's AWS or Terraform setup leaks in.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("AWS_") || k.starts_with("TF_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in &self.vars {
            cmd.env(format!("TF_VAR_{k}"), v);
        }
        let mut child = cmd.spawn().expect("terraform starts");
        let deadline = Instant::now() + self.limit;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&out_path).unwrap_or_default();
                panic!(
                    "terraform {args:?} did not finish within {:?}:\n{log}",
                    self.limit
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let log = std::fs::read_to_string(&out_path).unwrap_or_default();
        (status.code().unwrap_or(-1), log)
    }

    /// Runs a command that must exit 0; returns its output and duration.
    fn must(&self, args: &[&str]) -> (String, Duration) {
        let t = Instant::now();
        let (code, log) = self.run(args);
        assert_eq!(code, 0, "terraform {args:?} failed (exit {code}):\n{log}");
        (log, t.elapsed())
    }

    fn set(&mut self, k: &str, v: &str) {
        self.vars.retain(|(n, _)| n != k);
        self.vars.push((k.into(), v.into()));
    }

    fn outputs(&self) -> Value {
        let (log, _) = self.must(&["output", "-json", "-no-color"]);
        let v: Value = serde_json::from_str(&log).unwrap_or_else(|e| panic!("{e}: {log}"));
        let mut o = serde_json::Map::new();
        for (k, x) in v.as_object().unwrap() {
            o.insert(k.clone(), x["value"].clone());
        }
        Value::Object(o)
    }

    /// `plan -detailed-exitcode`: 0 is no changes, 2 changes.
    fn assert_no_changes(&self, what: &str) -> Duration {
        let t = Instant::now();
        let (code, log) = self.run(&[
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
            "-parallelism=4",
        ]);
        assert_eq!(
            code, 0,
            "the plan after {what} is not empty (exit {code}; 2 = changes):\n{log}"
        );
        assert!(log.contains("No changes."), "{log}");
        t.elapsed()
    }
}

fn tags(server: &Server, key_id: &str) -> Vec<(String, String)> {
    let v = server.ok("ListResourceTags", json!({ "KeyId": key_id }));
    let mut t: Vec<(String, String)> = v["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["TagKey"].as_str().unwrap().to_owned(),
                t["TagValue"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    t.sort();
    t
}

fn policy(server: &Server, key_id: &str) -> Value {
    let v = server.ok(
        "GetKeyPolicy",
        json!({ "KeyId": key_id, "PolicyName": "default" }),
    );
    serde_json::from_str(v["Policy"].as_str().expect("a policy string")).expect("policy JSON")
}

/// Wraps `material` for `key_id` and imports it (as an AWS user does).
fn import(server: &Server, key_id: &str, material: &[u8]) -> (u16, Value) {
    let p = server.ok(
        "GetParametersForImport",
        json!({ "KeyId": key_id, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048" }),
    );
    let public_key = B64.decode(p["PublicKey"].as_str().unwrap()).unwrap();
    let wrapped =
        wrap_key_material(&public_key, WrappingAlgorithm::RsaesOaepSha256, material).expect("wrap");
    server.call(
        "TrentService.ImportKeyMaterial",
        json!({
            "KeyId": key_id,
            "ImportToken": p["ImportToken"],
            "EncryptedKeyMaterial": B64.encode(wrapped),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
        }),
    )
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.into(), v.into())
}

#[test]
fn terraform_applies_plans_updates_and_destroys_kms_keys() {
    let total = Instant::now();
    let (bin, mirror) = match (find_terraform(), provider_mirror()) {
        (Ok(b), Ok(m)) => (b, m),
        (b, m) => panic!(
            "\n\n*** TERRAFORM END-TO-END TEST CANNOT RUN: {} ***\n\
             It fails instead of passing without Terraform.\n",
            [b.err(), m.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let limit = Duration::from_secs(
        std::env::var("KMS_TERRAFORM_STEP_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );

    let server = Server::start();
    let dir = std::env::temp_dir().join(format!(
        "kms-lifecycle-terraform-{}-{}",
        std::process::id(),
        server.addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _scratch = Scratch(dir.clone());
    // Terraform keeps `key_material_base64` in plaintext in its state file:
    // only this user may read the directory, and it is removed at the end.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/terraform/main.tf");
    std::fs::copy(&config, dir.join("main.tf")).unwrap();
    let cli_config = dir.join("terraformrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display().to_string()
        ),
    )
    .unwrap();

    let mut material = [0u8; 32];
    getrandom::fill(&mut material).unwrap();
    let mut tf = Tf {
        bin,
        dir: dir.clone(),
        cli_config,
        vars: vec![],
        limit,
    };
    tf.set("endpoint", &server.endpoint());
    tf.set("key_material_base64", &B64.encode(material));

    let (_, init) = tf.must(&["init", "-input=false", "-no-color"]);

    // ----- apply -----
    let (_, apply) = tf.must(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    let out = tf.outputs();
    assert_eq!(out["account_id"], ACCOUNT, "STS GetCallerIdentity");
    let key_id = out["key_id"].as_str().unwrap().to_owned();
    let ext_id = out["external_key_id"].as_str().unwrap().to_owned();
    assert_eq!(
        out["key_arn"],
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}")
    );

    let m = server.describe(&key_id);
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Description"], "terraform end-to-end key");
    let r = server.ok("GetKeyRotationStatus", json!({ "KeyId": key_id }));
    assert_eq!(r["KeyRotationEnabled"], true, "{r}");
    assert_eq!(r["RotationPeriodInDays"], 180, "{r}");
    assert_eq!(
        tags(&server, &key_id),
        vec![pair("Env", "e2e"), pair("Team", "platform")]
    );
    let p = policy(&server, &key_id);
    assert_eq!(p["Id"], "terraform-e2e-v1", "{p}");
    assert_eq!(p["Statement"].as_array().unwrap().len(), 1, "{p}");
    let aliases = server.ok("ListAliases", json!({ "KeyId": key_id }));
    assert_eq!(
        aliases["Aliases"][0]["AliasName"], "alias/terraform-e2e",
        "{aliases}"
    );

    let e = server.describe(&ext_id);
    assert_eq!(
        e["KeyState"], "Enabled",
        "the provider imported the material"
    );
    assert_eq!(e["Origin"], "EXTERNAL");
    assert_eq!(e["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert_eq!(e["Description"], "terraform end-to-end imported key");
    assert_eq!(tags(&server, &ext_id), vec![pair("Team", "platform")]);
    assert_eq!(out["external_key_state"], "Enabled");
    // The provider imported exactly our material: reimporting it succeeds,
    // other material is refused.
    let (status, v) = import(&server, &ext_id, &material);
    assert_eq!(status, 200, "reimport of the same material: {v}");
    let (status, v) = import(&server, &ext_id, &[7u8; 32]);
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("IncorrectKeyMaterialException")),
        "{v}"
    );
    // The imported key works through its alias-less id, and the alias works.
    let c = server.ok(
        "Encrypt",
        json!({ "KeyId": ext_id, "Plaintext": B64.encode(b"imported") }),
    );
    let d = server.ok("Decrypt", json!({ "CiphertextBlob": c["CiphertextBlob"] }));
    assert_eq!(d["Plaintext"], B64.encode(b"imported"));
    let c = server.ok(
        "Encrypt",
        json!({ "KeyId": "alias/terraform-e2e", "Plaintext": B64.encode(b"x") }),
    );
    assert_eq!(
        server.ok("Decrypt", json!({ "CiphertextBlob": c["CiphertextBlob"] }))["KeyId"],
        m["Arn"]
    );

    let plan1 = tf.assert_no_changes("apply");

    // ----- update: disable, new policy, new description -----
    tf.set("is_enabled", "false");
    tf.set("policy_version", "v2");
    tf.set("description", "terraform end-to-end key, updated");
    let (_, update) = tf.must(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    assert_eq!(tf.outputs()["key_id"], key_id.as_str(), "updated in place");
    let m = server.describe(&key_id);
    assert_eq!(m["KeyState"], "Disabled");
    assert_eq!(m["Description"], "terraform end-to-end key, updated");
    let p = policy(&server, &key_id);
    assert_eq!(p["Id"], "terraform-e2e-v2", "{p}");
    assert_eq!(p["Statement"].as_array().unwrap().len(), 2, "{p}");
    let (status, err) = server.call(
        "TrentService.Encrypt",
        json!({ "KeyId": key_id, "Plaintext": B64.encode(b"x") }),
    );
    assert_eq!(
        (status, err["__type"].as_str()),
        (400, Some("DisabledException"))
    );
    let plan2 = tf.assert_no_changes("the update");

    // ----- destroy -----
    let (_, destroy) = tf.must(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    let now = server.now();
    for (id, window) in [(&key_id, 10), (&ext_id, 7)] {
        let m = server.describe(id);
        assert_eq!(m["KeyState"], "PendingDeletion", "{id}: {m}");
        assert_eq!(m["DeletionDate"], now + window * DAY, "{id}: {m}");
    }
    let aliases = server.ok("ListAliases", json!({}));
    assert!(
        aliases["Aliases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["AliasName"] != "alias/terraform-e2e"),
        "{aliases}"
    );
    let state = std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap();
    let state: Value = serde_json::from_str(&state).unwrap();
    assert_eq!(
        state["resources"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );

    eprintln!(
        "terraform end to end: init {:.1?}, apply {:.1?}, plan {:.1?}, update {:.1?}, plan {:.1?}, destroy {:.1?}; total {:.1?}",
        init,
        apply,
        plan1,
        update,
        plan2,
        destroy,
        total.elapsed()
    );
}
