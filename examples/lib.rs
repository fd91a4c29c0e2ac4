//! The runnable examples of dezero-rs live beside this file, one per book
//! step (`cargo run --release --example step45`) plus `sine`, the main
//! example; this package exists so that building them does not build the
//! test and benchmark tools. The library itself is empty.
