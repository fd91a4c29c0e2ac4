//! burn with its Flex backend (burn's pure-Rust CPU backend, the one burn
//! 0.22 recommends) on the comparison harness's workloads.

#[path = "../burn_mlp.rs"]
mod burn_mlp;
#[path = "../threads.rs"]
mod threads;
#[path = "../../../common/workloads.rs"]
mod workloads;

fn main() {
    burn_mlp::main("burn flex", burn::prelude::Device::flex);
}
