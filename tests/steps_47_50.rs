//! The book's steps 47–50 against what the original DeZero prints.
//!
//! The references were written by DeZero's own code running the book's
//! scripts under NumPy 1.26 (so `Linear`'s weights are float32, as in the
//! book): `tests/fixtures/step48_printed.txt` (the 300 lines step 48 prints;
//! step 49 prints the same), `step48_losses.txt` (the same epoch losses
//! unrounded), `step50_printed.txt` (the 900 lines step 50 prints), and
//! `dezero_mlp_weights.npz` (the weights step 48's setup ends with).

mod common;

use common::{fixture, npz};
use dezero::datasets::{get_spiral, DataLoader, Dataset, Spiral};
use dezero::functions::{accuracy, exp, softmax, softmax_cross_entropy, sum};
use dezero::optimizers::{Optimizer, SGD};
use dezero::plot::plot_decision_regions;
use dezero::{no_grad, random, Layer, Variable, MLP};
use ndarray::{array, Axis};

/// The lines of a fixture text file.
fn fixture_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap_or_else(|e| panic!("cannot read fixture {name}: {e}"))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Asserts that two printouts agree line by line, naming the first
/// difference.
fn assert_same_lines(what: &str, got: &[String], expected: &[String]) {
    let differing: Vec<usize> = (0..got.len().max(expected.len()))
        .filter(|&i| got.get(i) != expected.get(i))
        .collect();
    if let Some(&i) = differing.first() {
        panic!(
            "{what}: {} of {} lines differ; first at line {}: got {:?}, DeZero printed {:?}",
            differing.len(),
            expected.len(),
            i + 1,
            got.get(i),
            expected.get(i)
        );
    }
}

// ---------------------------------------------------------------------------
// Step 47
// ---------------------------------------------------------------------------

/// What the book's step 47 prints (NumPy 1.x: float32 weights, float64 data,
/// so float64 arithmetic).
const STEP47_PRINTED: &str = "\
variable([[-0.61505778 -0.42790161  0.31733289]])
variable([[0.21068639 0.25404893 0.53526469]])
variable([[-0.61505778 -0.42790161  0.31733289]
          [-0.76395313 -0.2497645   0.18591382]
          [-0.52006391 -0.96254612  0.57818938]
          [-0.94252164 -0.50307479  0.17576323]])
variable([[0.21068639 0.25404893 0.53526469]
          [0.19019916 0.31806646 0.49173438]
          [0.21545395 0.13841619 0.64612986]
          [0.17820704 0.27655034 0.54524263]])";

/// DeZero's loss in step 47, `variable(1.4967442524053058)`.
const STEP47_LOSS: f64 = 1.496_744_252_405_305_8;

#[test]
fn step47_prints_dezero_scores_probabilities_and_loss() {
    // As examples/step47.rs: an f64 model whose weights are DeZero's
    // float32 draws.
    random::seed(0);
    let model = MLP::<f64>::new(&[10, 3]);
    let mut in_size = 2;
    for l in model.layers() {
        let scale = (1.0 / in_size as f64).sqrt() as f32;
        let w = random::with_global(|rng| rng.randn_t::<f32>(&[in_size, l.out_size()]));
        l.w.set_data(w.mapv(|v| f64::from(v * scale)));
        in_size = l.out_size();
    }
    let mut printed = Vec::new();

    let y = model.forward(&Variable::new(array![[0.2, -0.4]].into_dyn()));
    let e = exp(&y);
    let p = &e / &sum(&e);
    printed.push(y.to_string());
    printed.push(p.to_string());

    let x = array![[0.2, -0.4], [0.3, 0.5], [1.3, -3.2], [2.1, 0.3]];
    let y = model.forward(&Variable::new(x.into_dyn()));
    printed.push(y.to_string());
    printed.push(softmax(&y).to_string());
    assert_eq!(printed.join("\n"), STEP47_PRINTED);

    let loss = softmax_cross_entropy(&y, &[2, 0, 1, 0]);
    loss.backward();
    // NumPy's float64 tanh and BLAS's dot products round a few entries of
    // the hidden layer one unit in the last place differently, so the
    // 17-digit loss may differ in its last digit (it does: ...306 here).
    let l = loss.data()[[]];
    assert!(
        (l - STEP47_LOSS).abs() <= 4.0 * f64::EPSILON,
        "loss {l:?}, DeZero {STEP47_LOSS:?}"
    );
    let gx = y.grad().is_none();
    assert!(gx, "a non-leaf gradient is dropped after backward");
    let gw = model.layers()[0].w.grad().expect("l0/W has a gradient");
    assert_eq!(gw.shape(), [2, 10]);
}

// ---------------------------------------------------------------------------
// Steps 48 and 49
// ---------------------------------------------------------------------------

/// `epoch %d, loss %.2f`, as step 48 prints each epoch.
fn epoch_line(epoch: usize, avg_loss: f64) -> String {
    format!("epoch {}, loss {avg_loss:.2}", epoch + 1)
}

/// Step 48's script: returns the unrounded epoch losses and the model.
fn run_step48() -> (Vec<f64>, MLP) {
    let (max_epoch, batch_size, hidden_size, lr) = (300, 30, 10, 1.0);
    let (x, t) = get_spiral(true);
    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);
    let data_size = x.nrows();
    let max_iter = data_size.div_ceil(batch_size);
    let mut losses = Vec::with_capacity(max_epoch);
    for _epoch in 0..max_epoch {
        let index = random::permutation(data_size);
        let mut sum_loss = 0.0;
        for i in 0..max_iter {
            let batch_index = &index[i * batch_size..((i + 1) * batch_size).min(data_size)];
            let batch_x = x.select(Axis(0), batch_index);
            let batch_t: Vec<usize> = batch_index.iter().map(|&j| t[j]).collect();
            let y = model.forward(&Variable::new(batch_x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &batch_t);
            model.cleargrads();
            loss.backward();
            optimizer.update();
            sum_loss += f64::from(loss.data()[[]]) * batch_t.len() as f64;
        }
        losses.push(sum_loss / data_size as f64);
    }
    (losses, model)
}

#[test]
fn step48_prints_dezero_losses_for_all_300_epochs() {
    let (losses, model) = run_step48();
    let printed: Vec<String> = losses
        .iter()
        .enumerate()
        .map(|(e, &l)| epoch_line(e, l))
        .collect();
    let expected = fixture_lines("step48_printed.txt");
    assert_eq!(expected.len(), 300);
    assert_eq!(expected[0], "epoch 1, loss 1.13");
    assert_eq!(expected[299], "epoch 300, loss 0.13");
    assert_same_lines("step 48", &printed, &expected);

    // Unrounded, the f32 run stays within 2.2e-7 of DeZero's (whose
    // gradients are float64: its one-hot targets are integers); the closest
    // of DeZero's losses to a rounding boundary of `%.2f` is 2.9e-5 away.
    let reference: Vec<f64> = fixture_lines("step48_losses.txt")
        .iter()
        .map(|s| s.parse().expect("a float per line"))
        .collect();
    let worst = losses
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-6,
        "epoch losses differ from DeZero's by up to {worst:e}"
    );

    // The weights it ends with are those DeZero saved for the same run
    // (within 2.4e-5).
    let mut f = npz("dezero_mlp_weights.npz");
    for (key, p) in model.named_params() {
        let expected = f.array::<f32>(&key).expect("key in the fixture");
        let got = p.to_array();
        assert_eq!(got.shape(), expected.shape(), "{key}");
        let diff = (&got - &expected)
            .mapv(f32::abs)
            .fold(0.0_f32, |a, &b| a.max(b));
        assert!(diff < 1e-4, "{key} differs from DeZero's by up to {diff:e}");
    }

    // And its figure: the decision regions over the data.
    let (x, t) = get_spiral(true);
    let path = std::env::temp_dir().join(format!("dezero-step48-{}.png", std::process::id()));
    plot_decision_regions(&path, |x| model.forward(x), &x, &t).expect("step 48's figure is drawn");
    let png = std::fs::read(&path).expect("the figure was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
    std::fs::remove_file(&path).expect("the figure can be removed");
}

#[test]
fn step49_dataset_by_index_prints_step48s_losses() {
    let (max_epoch, batch_size, hidden_size, lr) = (300, 30, 10, 1.0);
    let train_set = Spiral::new(true);
    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);
    let data_size = train_set.len();
    let max_iter = data_size.div_ceil(batch_size);
    let mut printed = Vec::new();
    for epoch in 0..max_epoch {
        let index = random::permutation(data_size);
        let mut sum_loss = 0.0;
        for i in 0..max_iter {
            let batch_index = &index[i * batch_size..((i + 1) * batch_size).min(data_size)];
            let batch: Vec<_> = batch_index.iter().map(|&i| train_set.get(i)).collect();
            let rows: Vec<_> = batch.iter().map(|example| example.0.view()).collect();
            let batch_x = ndarray::stack(Axis(0), &rows).expect("2 features each");
            let batch_t: Vec<usize> = batch.iter().map(|example| example.1).collect();
            let y = model.forward(&Variable::new(batch_x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &batch_t);
            model.cleargrads();
            loss.backward();
            optimizer.update();
            sum_loss += f64::from(loss.data()[[]]) * batch_t.len() as f64;
        }
        printed.push(epoch_line(epoch, sum_loss / data_size as f64));
    }
    assert_same_lines("step 49", &printed, &fixture_lines("step48_printed.txt"));
}

// ---------------------------------------------------------------------------
// Step 50
// ---------------------------------------------------------------------------

#[test]
fn step50_prints_dezero_train_and_test_metrics_for_all_300_epochs() {
    let (max_epoch, batch_size, hidden_size, lr) = (300, 30, 10, 1.0);
    let train_set = Spiral::new(true);
    let test_set = Spiral::new(false);
    let mut train_loader = DataLoader::new(&train_set, batch_size, true);
    let mut test_loader = DataLoader::new(&test_set, batch_size, false);
    let model = MLP::new(&[hidden_size, 3]);
    let mut optimizer = SGD::new(lr);
    optimizer.setup(&model);

    let mut printed = Vec::new();
    for epoch in 0..max_epoch {
        let (mut sum_loss, mut sum_acc) = (0.0, 0.0);
        for (x, t) in &mut train_loader {
            let y = model.forward(&Variable::new(x.into_dyn()));
            let loss = softmax_cross_entropy(&y, &t);
            let acc = accuracy(&y, &t);
            model.cleargrads();
            loss.backward();
            optimizer.update();
            sum_loss += f64::from(loss.data()[[]]) * t.len() as f64;
            sum_acc += f64::from(acc) * t.len() as f64;
        }
        printed.push(format!("epoch: {}", epoch + 1));
        let n = train_set.len() as f64;
        printed.push(format!(
            "train loss: {:.4}, accuracy: {:.4}",
            sum_loss / n,
            sum_acc / n
        ));

        let (mut sum_loss, mut sum_acc) = (0.0, 0.0);
        {
            let _no_grad = no_grad();
            for (x, t) in &mut test_loader {
                let y = model.forward(&Variable::new(x.into_dyn()));
                assert!(y.creator_name().is_none(), "no graph under no_grad");
                let loss = softmax_cross_entropy(&y, &t);
                let acc = accuracy(&y, &t);
                sum_loss += f64::from(loss.data()[[]]) * t.len() as f64;
                sum_acc += f64::from(acc) * t.len() as f64;
            }
        }
        let n = test_set.len() as f64;
        printed.push(format!(
            "test loss: {:.4}, accuracy: {:.4}",
            sum_loss / n,
            sum_acc / n
        ));
    }
    let expected = fixture_lines("step50_printed.txt");
    assert_eq!(expected.len(), 900);
    assert_same_lines("step 50", &printed, &expected);
}

/// Rust's `{:.2}` rounds the exact binary value half to even, as Python's
/// `%.2f` does, so a printed line cannot differ from DeZero's by formatting
/// alone.
#[test]
fn fixed_point_formatting_rounds_like_python() {
    // Exact binary ties (x.xx5 representable): Python prints the even digit.
    assert_eq!(format!("{:.2}", 0.125), "0.12");
    assert_eq!(format!("{:.2}", 0.375), "0.38");
    assert_eq!(format!("{:.1}", 0.25), "0.2");
    // Not a tie in binary: the nearest decimal wins.
    assert_eq!(format!("{:.2}", 1.005), "1.00"); // 1.00499999999999989...
    assert_eq!(format!("{:.4}", 121.0 / 300.0), "0.4033");
}
