//! Cooperative interruption: the command line turns Ctrl-C (SIGINT) and SIGTERM into a flag
//! that long loops check, so that scoring ends after the rows already read and training
//! stops without leaving a model behind. A second signal ends the process at once.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

static REQUESTED: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));

/// Exit status of a process ended by an interruption (128 + SIGINT).
pub const EXIT_CODE: u8 = 130;

/// Turns SIGINT and SIGTERM into [`requested`]; a second one exits with [`EXIT_CODE`].
#[cfg(unix)]
pub fn install_signal_handlers() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(EXIT_CODE),
            Arc::clone(&REQUESTED),
        )?;
        signal_hook::flag::register(signal, Arc::clone(&REQUESTED))?;
    }
    Ok(())
}

/// Signals are left to their default action where signal-hook has no support.
#[cfg(not(unix))]
pub fn install_signal_handlers() -> std::io::Result<()> {
    Ok(())
}

/// Asks long-running work to stop (what a signal does).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// True once an interruption was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Error::Interrupted)` once an interruption was asked for.
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
