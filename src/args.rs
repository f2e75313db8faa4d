//! `--flag value` command lines, shared by the binary's commands (`serve`,
//! `conform`).

/// Walks `args` as `--flag value` pairs and calls `set(flag, value)` for
/// each: `Some(true)` when the value was taken, `Some(false)` when it is
/// invalid, `None` when the flag is unknown. `-h` or `--help` prints `help`.
/// `Err(status)` means the command must exit with that status: 0 after the
/// help, 2 after an error (already printed, followed by the help).
pub fn parse(
    args: &[String],
    help: &str,
    mut set: impl FnMut(&str, &String) -> Option<bool>,
) -> Result<(), i32> {
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{help}");
            return Err(0);
        }
        let Some(value) = it.next() else {
            eprintln!("{flag} needs a value\n\n{help}");
            return Err(2);
        };
        match set(flag, value) {
            Some(true) => {}
            Some(false) => {
                eprintln!("invalid value {value:?} for {flag}\n\n{help}");
                return Err(2);
            }
            None => {
                eprintln!("unknown option {flag}\n\n{help}");
                return Err(2);
            }
        }
    }
    Ok(())
}
