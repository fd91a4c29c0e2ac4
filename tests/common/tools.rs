//! Outside tools that some integration tests need (NumPy, Graphviz's
//! `dot`): such a test runs where the tool is present, fails where
//! `DEZERO_REQUIRE_TOOLS=1` says it must run (`.ci/run` sets it), and
//! otherwise prints one line to stderr saying what it skipped and how to
//! run it, and passes. So the README's `cargo test --workspace` passes on a
//! fresh machine without them.
//!
//! Included with `#[path = "common/tools.rs"] mod tools;` (or through
//! `mod common;`); each tool is probed once per test binary.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::io::Write;
use std::process::Command;
use std::sync::OnceLock;

/// The variable that makes a missing tool a failure.
pub const REQUIRE_VAR: &str = "DEZERO_REQUIRE_TOOLS";

/// An outside tool: how to find it and how to get it.
struct Tool {
    /// What is missing, for the message (`NumPy`).
    what: &'static str,
    /// How to make it present (`pip install numpy`, ...).
    how: String,
}

/// Whether missing tools fail the tests (`DEZERO_REQUIRE_TOOLS=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// The tool's verdict for `test`: `true` to run it; `false` (after one
/// line on stderr) to skip it. Panics instead when tools are required.
fn decide(test: &str, tool: &Tool, probe: &Result<(), String>) -> bool {
    match probe {
        Ok(()) => true,
        Err(why) if required() => panic!(
            "`{test}` needs {} ({why}), and {REQUIRE_VAR}=1 makes that a failure: {}",
            tool.what, tool.how
        ),
        Err(why) => {
            // Straight to the process's stderr: `eprintln!` would be
            // captured by the test harness, and a passing test's capture is
            // never shown.
            let line = format!(
                "skipped `{test}`: needs {} ({why}); to run it: {}, then run the test again \
                 ({REQUIRE_VAR}=1 makes a missing tool fail)\n",
                tool.what, tool.how
            );
            std::io::stderr().write_all(line.as_bytes()).ok();
            false
        }
    }
}

/// Runs `program args` and reports why it did not succeed.
fn probe(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().last().unwrap_or("no output").trim();
            Err(format!("`{program} {}` failed: {last}", args.join(" ")))
        }
        Err(e) => Err(format!("cannot run `{program}`: {e}")),
    }
}

/// The Python that the NumPy tests run: `$DEZERO_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("DEZERO_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The Python to run `test` with, if it has NumPy (see the module doc).
///
/// # Panics
/// If NumPy is missing and `DEZERO_REQUIRE_TOOLS=1`.
pub fn numpy(test: &str) -> Option<String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let py = python();
    let probe = PROBE.get_or_init(|| probe(&py, &["-c", "import numpy"]));
    let tool = Tool {
        what: "NumPy",
        how: format!(
            "`{py} -m pip install numpy`, or set DEZERO_PYTHON to a Python that has NumPy"
        ),
    };
    decide(test, &tool, probe).then_some(py)
}

/// Whether Graphviz's `dot` is there to run `test` (see the module doc).
///
/// # Panics
/// If `dot` is missing and `DEZERO_REQUIRE_TOOLS=1`.
pub fn dot(test: &str) -> bool {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| probe("dot", &["-V"]));
    let tool = Tool {
        what: "Graphviz's `dot`",
        how: "install Graphviz (`apt-get install graphviz`, `brew install graphviz`)".to_string(),
    };
    decide(test, &tool, probe)
}
