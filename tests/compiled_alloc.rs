//! A warm compiled training step allocates nothing: with a counting global
//! allocator, after one warm-up step, 100 steps of `cleargrads` +
//! `forward_backward` + an optimizer update allocate 0 bytes (and so do
//! warm `predict` and `predict_into` calls).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dezero::prelude::*;
use ndarray::{Array2, Ix2};

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;
#[path = "common/block.rs"]
mod block;
use block::Block;

/// Counts the bytes allocated by the thread that armed it.
struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            BYTES.with(|b| b.set(b.get() + layout.size()));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            BYTES.with(|b| b.set(b.get() + new_size));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated by this thread while running `f`.
fn allocated(f: impl FnOnce()) -> usize {
    BYTES.with(|b| b.set(0));
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    BYTES.with(Cell::get)
}

model! {
    /// Nesting, a skip connection, a shared layer, `*`, and cross-entropy.
    struct Wide {
        l0: Linear(8),
        block: Block(8),
        mid: Linear(8, 8),
        out: Linear(3, nobias),
    }
    fn forward(x) {
        let h = relu(l0(x));
        let b = block(h);
        let m = mid(sigmoid(mid(b)) * b);
        out(m - h)
    }
    fn loss(y, t) {
        softmax_cross_entropy(y, t)
    }
}

fn sine_data() -> (Array2<f32>, Array2<f32>) {
    random::seed(0);
    let x = random::rand(&[100, 1])
        .into_dimensionality::<Ix2>()
        .expect("2-d");
    let noise = random::rand(&[100, 1])
        .into_dimensionality::<Ix2>()
        .expect("2-d");
    let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + noise;
    (x.mapv(|v| v as f32), y.mapv(|v| v as f32))
}

#[test]
fn warm_training_steps_allocate_nothing() {
    // the counter counts
    assert_eq!(allocated(|| drop(std::hint::black_box(vec![0u8; 64]))), 64);
    let (x, t) = sine_data();

    // SGD on the book's model
    let mut model = TwoLayerNet::<f32>::new(10, 1);
    let mut sgd = SGD::new(0.2);
    sgd.setup(&model);
    let mut step = |model: &mut TwoLayerNet<f32>| {
        model.cleargrads();
        let loss = model.forward_backward(x.view(), t.view()).expect("fits");
        sgd.update();
        loss
    };
    let first = step(&mut model);
    let mut last = first;
    let bytes = allocated(|| {
        for _ in 0..100 {
            last = step(&mut model);
        }
    });
    assert_eq!(bytes, 0, "100 warm SGD steps allocated {bytes} bytes");
    assert!(last < first);

    // Adam on the same model
    let mut adam = Adam::new(0.01);
    adam.setup(&model);
    let mut step = |model: &mut TwoLayerNet<f32>| {
        model.cleargrads();
        model.forward_backward(x.view(), t.view()).expect("fits");
        adam.update();
    };
    step(&mut model);
    let bytes = allocated(|| {
        for _ in 0..100 {
            step(&mut model);
        }
    });
    assert_eq!(bytes, 0, "100 warm Adam steps allocated {bytes} bytes");

    // every kind of step: nested model, skip, shared layer, product, CE
    random::seed(1);
    let xw = random::rand(&[32, 5])
        .into_dimensionality::<Ix2>()
        .expect("2-d")
        .mapv(|v| v as f32);
    let tw: Vec<usize> = (0..32).map(|i| i % 3).collect();
    let mut wide = Wide::<f32>::new();
    let mut opt = Adam::new(0.001);
    opt.setup(&wide);
    let mut step = |m: &mut Wide<f32>| {
        m.cleargrads();
        m.forward_backward(xw.view(), &tw).expect("fits");
        opt.update();
    };
    step(&mut wide);
    let bytes = allocated(|| {
        for _ in 0..100 {
            step(&mut wide);
        }
    });
    assert_eq!(bytes, 0, "100 warm steps of Wide allocated {bytes} bytes");

    // predict too
    wide.predict(xw.view()).expect("fits");
    let bytes = allocated(|| {
        for _ in 0..100 {
            wide.predict(xw.view()).expect("fits");
        }
    });
    assert_eq!(bytes, 0, "100 warm predictions allocated {bytes} bytes");

    // into the caller's buffer: allocates once, the first time
    let mut out = Array2::zeros((0, 0));
    wide.predict_into(xw.view(), &mut out).expect("fits");
    assert_eq!(out, wide.predict(xw.view()).expect("fits"));
    let bytes = allocated(|| {
        for _ in 0..100 {
            wide.predict_into(xw.view(), &mut out).expect("fits");
        }
    });
    assert_eq!(
        bytes, 0,
        "100 warm predict_into calls allocated {bytes} bytes"
    );
}
