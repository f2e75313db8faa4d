//! Interrupts (SIGINT, SIGTERM): the oracle finishes the call under way,
//! stops generating, reports what it found, and cleans up (`--cleanup`).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Whether an interrupt arrived.
pub fn requested() -> bool {
    flag().load(Ordering::Relaxed)
}

/// Asks the run to stop (as an interrupt does).
pub fn request() {
    flag().store(true, Ordering::Relaxed);
}

/// Installs the handler for SIGINT and SIGTERM (the command line does): the
/// first sets the flag, a second one ends the process at once.
pub fn install() {
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the flag is set terminates (exit status 1).
        let _ = signal_hook::flag::register_conditional_shutdown(sig, 1, flag().clone());
        let _ = signal_hook::flag::register(sig, flag().clone());
    }
}
