//! candle (CPU) on the comparison harness's workloads: `candle_nn::Linear`
//! layers over `Var`s, `candle_nn::ops::sigmoid` / `Tensor::relu`, DeZero's
//! MSE written out, `candle_nn::SGD`. Threads: `RAYON_NUM_THREADS`.

#[path = "../threads.rs"]
mod threads;
#[path = "../../../common/workloads.rs"]
mod workloads;

use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::{Linear, Module, Optimizer, SGD};
use workloads::{Args, Timer};

fn run(args: &Args, timer: &mut Timer) -> Result<f32> {
    let w = args.workload;
    let dev = Device::Cpu;
    let (x, t) = w.data();
    let x = Tensor::from_vec(x, (w.rows, w.in_width()), &dev)?;
    let t = Tensor::from_vec(t, (w.rows, w.out_width()), &dev)?;
    let mut vars = Vec::new();
    let mut layers = Vec::new();
    for k in 0..w.layers() {
        let (i, o) = (w.sizes[k], w.sizes[k + 1]);
        // candle's Linear holds W as out × in.
        let wt = Tensor::from_vec(w.weight(k), (i, o), &dev)?
            .t()?
            .contiguous()?;
        let wv = Var::from_tensor(&wt)?;
        let bv = Var::zeros(o, DType::F32, &dev)?;
        layers.push(Linear::new(
            wv.as_tensor().clone(),
            Some(bv.as_tensor().clone()),
        ));
        vars.push(wv);
        vars.push(bv);
    }
    let mut sgd = SGD::new(vars, w.lr)?;
    let relu = w.activation == "relu";
    let rows = w.rows as f64;
    let last = layers.len() - 1;
    let loss = timer.time(|| -> Result<Tensor> {
        let mut loss = None;
        for _ in 0..args.iters {
            let mut h = x.clone();
            for (k, l) in layers.iter().enumerate() {
                h = l.forward(&h)?;
                if k < last {
                    h = if relu {
                        h.relu()?
                    } else {
                        candle_nn::ops::sigmoid(&h)?
                    };
                }
            }
            let l = ((h - &t)?.sqr()?.sum_all()? / rows)?;
            sgd.backward_step(&l)?;
            loss = Some(l);
        }
        Ok(loss.expect("at least one iteration"))
    })?;
    loss.to_scalar::<f32>()
}

fn main() -> Result<()> {
    let args = Args::parse();
    threads::set_rayon_threads(&args);
    let mut err = None;
    workloads::measure("candle", &args, |timer| match run(&args, timer) {
        Ok(l) => l,
        Err(e) => {
            err = Some(e);
            f32::NAN
        }
    });
    err.map_or(Ok(()), Err)
}
