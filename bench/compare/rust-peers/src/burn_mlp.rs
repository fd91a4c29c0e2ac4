//! burn on the comparison harness's workloads, on any burn device: a
//! `#[derive(Module)]` MLP of `burn::nn::Linear` layers, DeZero's MSE
//! written out, `SgdConfig` (no momentum, no weight decay). Threads: burn's
//! CPU backends run on rayon's pool, sized by `RAYON_NUM_THREADS`.

use crate::workloads::{self, Args, Timer};
use burn::module::Param;
use burn::nn::Linear;
use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

/// The harness's MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    fn forward(&self, x: Tensor<2>, relu_act: bool) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut h = x;
        for (k, l) in self.layers.iter().enumerate() {
            h = l.forward(h);
            if k < last {
                h = if relu_act { relu(h) } else { sigmoid(h) };
            }
        }
        h
    }
}

fn run(args: &Args, device: &Device, timer: &mut Timer) -> f32 {
    let w = args.workload;
    let (x, t) = w.data();
    let x = Tensor::<2>::from_data(TensorData::new(x, [w.rows, w.in_width()]), device);
    let t = Tensor::<2>::from_data(TensorData::new(t, [w.rows, w.out_width()]), device);
    let layers = (0..w.layers())
        .map(|k| {
            let (i, o) = (w.sizes[k], w.sizes[k + 1]);
            // burn's Linear holds W as in × out, as DeZero does.
            let weight = Tensor::<2>::from_data(TensorData::new(w.weight(k), [i, o]), device);
            let bias = Tensor::<1>::from_data(TensorData::new(vec![0.0f32; o], [o]), device);
            Linear {
                weight: Param::from_tensor(weight),
                bias: Some(Param::from_tensor(bias)),
            }
        })
        .collect();
    let mut model = Mlp { layers };
    let mut opt = SgdConfig::new().init();
    let relu_act = w.activation == "relu";
    let rows = w.rows as f64;
    let loss = timer.time(|| {
        let mut loss = None;
        for _ in 0..args.iters {
            let y = model.forward(x.clone(), relu_act);
            let l = (y - t.clone()).square().sum().div_scalar(rows);
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = opt.step(w.lr, model.clone(), grads);
            loss = Some(l);
        }
        loss.expect("at least one iteration")
    });
    loss.into_scalar::<f32>()
}

/// Parses the command line, sizes rayon's pool and prints the result line
/// of `system` on `device` (made after the pool is sized).
pub fn main(system: &str, device: impl Fn() -> Device) {
    let args = Args::parse();
    crate::threads::set_rayon_threads(&args);
    let device = device().autodiff();
    workloads::measure(system, &args, |timer| run(&args, &device, timer));
}
