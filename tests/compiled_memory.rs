//! A compiled model's memory stays bounded: a batch larger than one block
//! runs block by block — `predict` giving the same output to the bit,
//! `forward_backward` and the define-by-run node the same loss and
//! gradients (f64 within 1e-12) — and the workspace is public
//! (`workspace_bytes`, `plan()`) and given back by `release_memory`.
//!
//! The block budget is process-wide: every test here takes [`budget`].
//! The resident memory of a 200,000-row batch is measured with a counting
//! allocator in `compiled_memory_bound.rs`.

use std::sync::{Mutex, MutexGuard, PoisonError};

use dezero::compiled::{block_rows, set_block_bytes, CompiledModel, MIN_BLOCK_ROWS};
use dezero::functions::mean_squared_error;
use dezero::prelude::*;
use ndarray::Array2;

#[path = "common/differential.rs"]
#[allow(unused_macros)]
#[macro_use]
mod differential;
use differential::*;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;
#[path = "common/deep.rs"]
mod deep;
use deep::Deep;
#[path = "common/block.rs"]
mod block;
use block::Block;

model! {
    /// Nesting, a product of values, and cross-entropy over 3 classes.
    struct Net(hidden: usize) {
        l0: Linear(hidden),
        block: Block(hidden),
        out: Linear(3),
    }
    fn forward(x) {
        let h = relu(l0(x));
        out(sigmoid(block(h)) * h)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

/// Rows of the batches: four blocks of the smallest size and an odd rest,
/// so that no block boundary falls where one block's would.
const ROWS: usize = 3 * MIN_BLOCK_ROWS + 101;

/// Serialises this file's tests and sets the block budget (`0`: the
/// default, under which every batch here is one block; `1`: blocks of
/// [`MIN_BLOCK_ROWS`]).
fn budget(bytes: usize) -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let g = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    set_block_bytes(bytes);
    g
}

fn classes(rows: usize) -> Vec<usize> {
    (0..rows).map(|i| (i * 7) % 3).collect()
}

#[test]
fn a_blocked_prediction_is_the_unblocked_one_to_the_bit() {
    let _b = budget(0);
    random::seed(3);
    let x = data::<f64>(ROWS, 5);
    let x32 = x.mapv(|v| v as f32);
    // A non-contiguous view of the same rows: blocks are staged.
    let xt = x.t().as_standard_layout().into_owned();
    let mut a = TwoLayerNet::<f64>::new(10, 2);
    let mut b = Net::<f64>::new(16);
    let mut c = Net::<f32>::new(16);
    let whole = (
        a.predict(x.view()).expect("fits").to_owned(),
        b.predict(x.view()).expect("fits").to_owned(),
        c.predict(x32.view()).expect("fits").to_owned(),
    );
    // One block: nothing is copied out of the slab.
    assert!(a.plan().predict.block_rows.expect("known") > ROWS);
    set_block_bytes(1);
    assert_eq!(a.plan().predict.block_rows, Some(MIN_BLOCK_ROWS));
    // (the workspace does not shrink by itself)
    b.release_memory();
    let blocked = (
        a.predict(x.view()).expect("fits").to_owned(),
        b.predict(x.view()).expect("fits").to_owned(),
        c.predict(x32.view()).expect("fits").to_owned(),
    );
    assert_eq!(whole, blocked);
    assert!(xt.t().as_slice().is_none());
    assert_eq!(b.predict(xt.t()).expect("fits"), whole.1);
    // The workspace holds one block, and the output.
    let per_row = b.plan().predict.planned_bytes_per_row().expect("known");
    let nested = b.block.bytes_per_row(16, true);
    let out = ROWS * 3 * 8;
    assert!(
        b.workspace_bytes() <= MIN_BLOCK_ROWS * (per_row + nested + 5 * 8) + out,
        "{} bytes",
        b.workspace_bytes()
    );
    // A batch of one block lets the last one's output go.
    b.predict(x.slice(ndarray::s![..10, ..])).expect("fits");
    assert!(b.workspace_bytes() <= MIN_BLOCK_ROWS * (per_row + nested + 5 * 8));
}

/// Loss and gradients of one `forward_backward` (after `cleargrads`).
fn step<T: Scalar>(
    m: &mut Net<T>,
    x: &Array2<T>,
    t: &[usize],
) -> (T, Vec<(String, ndarray::ArrayD<T>)>) {
    m.cleargrads();
    let loss = m.forward_backward(x.view(), t).expect("fits");
    (loss, grads(m))
}

#[test]
fn blocked_training_adds_the_blocks_gradients() {
    let _b = budget(0);
    random::seed(4);
    let x = data::<f64>(ROWS, 5);
    let t = classes(ROWS);
    let mut m = Net::<f64>::new(16);
    let (loss, g) = step(&mut m, &x, &t);
    // the same model, once more (no accumulation across steps)
    assert_eq!(step(&mut m, &x, &t).0, loss);
    let whole_bytes = m.workspace_bytes();
    set_block_bytes(1);
    m.release_memory();
    let (bloss, bg) = step(&mut m, &x, &t);
    close("loss", bloss, loss, 1e-12);
    same_grads(&bg, &g, 1e-12);
    assert!(
        m.workspace_bytes() < whole_bytes / 3,
        "{}",
        m.workspace_bytes()
    );
    // Without cleargrads, a blocked pass adds to the gradients, as one does.
    let again = m.forward_backward(x.view(), &t).expect("fits");
    close("loss", again, loss, 1e-12);
    let twice: Vec<_> = g.iter().map(|(n, a)| (n.clone(), a * 2.0)).collect();
    same_grads(&grads(&m), &twice, 1e-12);

    // MSE, the book's model
    let y = data::<f64>(ROWS, 1);
    let mut a = TwoLayerNet::<f64>::new(10, 1);
    set_block_bytes(0);
    let l = a.forward_backward(x.view(), y.view()).expect("fits");
    let ga = grads(&a);
    set_block_bytes(1);
    a.cleargrads();
    let lb = a.forward_backward(x.view(), y.view()).expect("fits");
    close("mse", lb, l, 1e-12);
    same_grads(&grads(&a), &ga, 1e-12);
}

#[test]
fn blocked_training_on_two_threads_splits_each_block() {
    let _b = budget(0);
    dezero::kernels::set_threads(2);
    random::seed(5);
    // Two whole blocks and a rest.
    let rows = 2 * MIN_BLOCK_ROWS + 51;
    let x = data::<f64>(rows, 64);
    let t = data::<f64>(rows, 1);
    // W3's model: a block of 256 rows is split between the threads.
    let mut m = Deep::<f64>::new(64);
    let l = m.forward_backward(x.view(), t.view()).expect("fits");
    let g = grads(&m);
    set_block_bytes(1);
    m.release_memory();
    m.cleargrads();
    let lb = m.forward_backward(x.view(), t.view()).expect("fits");
    dezero::kernels::set_threads(1);
    close("loss", lb, l, 1e-12);
    same_grads(&grads(&m), &g, 1e-12);
    // The blocks were split: one thread's blocks would have left a slab of
    // one block and nothing else; split, each thread's holds half a block,
    // and the helper's gradient buffer is kept too.
    let per_row = m.plan().train.planned_bytes_per_row().expect("known");
    assert!(m.workspace_bytes() > MIN_BLOCK_ROWS * per_row);
}

#[test]
fn the_define_by_run_node_runs_large_batches_in_blocks() {
    let _b = budget(0);
    random::seed(6);
    let x = data::<f64>(ROWS, 5);
    let t = data::<f64>(ROWS, 3);
    let m = Net::<f64>::new(16);
    let run = |m: &Net<f64>| {
        drop_grads(m);
        let xv = var(&x);
        let y = m.forward(&xv);
        let loss = mean_squared_error(&y, &var(&t));
        loss.backward();
        let gx = xv.grad().expect("x's gradient").to_array();
        let held = loss.retained_bytes();
        (y.to_array(), gx, grads(m), held)
    };
    let (y, gx, g, held) = run(&m);
    set_block_bytes(1);
    let (by, bgx, bg, bheld) = run(&m);
    // The same forward, block by block; the backward computes each
    // block's activations again.
    assert_eq!(by, y);
    same_grads(&[("x".to_string(), bgx)], &[("x".to_string(), gx)], 1e-12);
    same_grads(&bg, &g, 1e-12);
    assert!(bheld < held, "{bheld} vs {held}");
    let per_row = m.bytes_per_row(5, false);
    assert!(per_row > 0);
    assert_eq!(block_rows(per_row), MIN_BLOCK_ROWS);
}

#[test]
fn the_workspace_is_shown_and_given_back() {
    let _b = budget(0);
    random::seed(7);
    let x = data::<f32>(ROWS, 5);
    let mut m = Net::<f32>::new(16);
    assert_eq!(m.workspace_bytes(), 0);
    let text = m.plan().to_string();
    assert!(
        text.contains("workspace: blocks of ? rows; 0 bytes held now"),
        "{text}"
    );
    m.forward_backward(x.view(), &classes(ROWS)).expect("fits");
    let held = m.workspace_bytes();
    assert!(held > 0);
    let plans = m.plan();
    assert_eq!(plans.train.workspace_bytes, held);
    let block = plans.train.block_rows.expect("widths known");
    assert_eq!(
        block,
        block_rows(
            plans.train.planned_bytes_per_row().expect("known") + m.block.bytes_per_row(16, false)
        )
    );
    let text = plans.to_string();
    assert!(
        text.contains(&format!(
            "workspace: blocks of {block} rows; {held} bytes held now"
        )),
        "{text}"
    );
    // The nested model's workspace counts, and is released with its parent's.
    assert!(m.block.workspace_bytes() > 0);
    m.release_memory();
    assert_eq!(m.workspace_bytes(), 0);
    assert_eq!(m.block.workspace_bytes(), 0);
    // and the model works as before
    let a = m.predict(x.view()).expect("fits").to_owned();
    m.release_memory();
    assert_eq!(m.predict(x.view()).expect("fits"), a);
}

#[test]
fn a_nan_in_a_later_block_is_reported_at_its_row_of_the_batch() {
    let _b = budget(1);
    random::seed(8);
    let mut x = data::<f64>(ROWS, 5);
    let at = 2 * MIN_BLOCK_ROWS + 7;
    x[[at, 2]] = f64::NAN;
    let t = data::<f64>(ROWS, 2);
    let mut m = TwoLayerNet::<f64>::new(10, 2);
    let _check = dezero::check_finite();
    for r in [
        m.predict(x.view()).map(|_| ()),
        m.forward_backward(x.view(), t.view()).map(|_| ()),
    ] {
        match r {
            Err(dezero::Error::NonFinite(r)) => {
                assert_eq!(r.op, "affine+sigmoid l1");
                assert_eq!(r.index[0], at, "{r}");
                assert_eq!(r.input_shapes[0], [ROWS, 5], "{r}");
            }
            other => panic!("expected a non-finite report, got {other:?}"),
        }
    }
}
