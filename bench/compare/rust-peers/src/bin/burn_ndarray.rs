//! burn with its NdArray backend (deprecated in burn 0.22 in favour of
//! Flex, still widely used) on the comparison harness's workloads.

#[path = "../burn_mlp.rs"]
mod burn_mlp;
#[path = "../threads.rs"]
mod threads;
#[path = "../../../common/workloads.rs"]
mod workloads;

#[allow(deprecated)]
fn main() {
    burn_mlp::main("burn ndarray", burn::prelude::Device::ndarray);
}
