//! The small cases of `tests/fixtures/dezero_cases.json`, written by the
//! original DeZero (0.0.13, NumPy, float64): forward values and gradients,
//! exact or within 1e-12 relative.
//!
//! `15_optimizers_3_steps` is checked in `tests/optimizers.rs`.

use std::collections::BTreeSet;

use dezero::functions::*;
use dezero::{BackwardOptions, Variable};
use ndarray::{arr1, arr2, ArrayD, Dimension, IxDyn};
use serde_json::Value;

/// All cases, by name.
fn cases() -> serde_json::Map<String, Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dezero_cases.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).expect("the fixture is valid JSON");
    json["cases"]
        .as_object()
        .expect("`cases` is an object")
        .clone()
}

fn case(name: &str) -> Value {
    cases()
        .remove(name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// Flattens nested JSON lists of numbers in row-major order.
fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Number(n) => out.push(n.as_f64().expect("a finite number")),
        other => panic!("not a number: {other}"),
    }
}

/// An array stored as `{"dtype": "float64", "shape": [...], "values": [...]}`.
fn array(case: &Value, key: &str) -> ArrayD<f64> {
    let a = &case[key];
    assert_eq!(a["dtype"], "float64", "{key}: dtype");
    let shape: Vec<usize> = a["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: no shape"))
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect();
    let mut values = Vec::new();
    flatten(&a["values"], &mut values);
    ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn number(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key}: not a number"))
}

/// Asserts `got` equals the reference exactly or within 1e-12 relative.
fn assert_matches(what: &str, got: &ArrayD<f64>, want: &ArrayD<f64>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    for ((i, &g), &w) in got.indexed_iter().zip(want) {
        assert!(
            g == w || (g - w).abs() <= 1e-12 * w.abs(),
            "{what} at {:?}: got {g:e}, DeZero {w:e}",
            i.slice()
        );
    }
}

fn assert_scalar(what: &str, got: &Variable<f64>, want: f64) {
    assert_eq!(got.ndim(), 0, "{what}: not 0-d");
    assert_matches(what, &got.to_array(), &ArrayD::from_elem(IxDyn(&[]), want));
}

fn grad(x: &Variable<f64>) -> ArrayD<f64> {
    x.grad().expect("a gradient was computed").to_array()
}

#[test]
fn every_case_but_the_optimizers_is_covered_here() {
    let names: BTreeSet<String> = cases().keys().cloned().collect();
    let covered: BTreeSet<String> = [
        "01_add_broadcast",
        "02_mul_div_broadcast",
        "03_double_backprop_poly",
        "06_matmul",
        "07_linear",
        "08_sum_sumto_broadcast",
        "13_mse",
        "15_optimizers_3_steps",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        names, covered,
        "a case was added to or removed from the fixtures"
    );
}

#[test]
fn case_01_add_broadcast() {
    let c = case("01_add_broadcast");
    let x = Variable::new(array(&c, "x"));
    let b = Variable::new(array(&c, "b"));
    let y = &x + &b;
    y.backward();
    assert_matches("y", &y.to_array(), &array(&c, "y"));
    assert_matches("gx", &grad(&x), &array(&c, "gx"));
    assert_matches("gb", &grad(&b), &array(&c, "gb"));
}

#[test]
fn case_02_mul_div_broadcast() {
    let c = case("02_mul_div_broadcast");
    assert_eq!(c["expr"], "y = x0 * x1 / (x1 + 1.0); y.backward()");
    let x0 = Variable::new(array(&c, "x0"));
    let x1 = Variable::new(array(&c, "x1"));
    let y = &(&x0 * &x1) / &(&x1 + 1.0);
    y.backward();
    assert_matches("y", &y.to_array(), &array(&c, "y"));
    assert_matches("gx0", &grad(&x0), &array(&c, "gx0"));
    assert_matches("gx1", &grad(&x1), &array(&c, "gx1"));
}

#[test]
fn case_03_double_backprop_poly() {
    let c = case("03_double_backprop_poly");
    let x = Variable::scalar(number(&c, "x"));
    let y = &x.powi(4) - &(&x.powi(2) * 2.0);
    y.backward_with(BackwardOptions::default().create_graph(true));
    assert_scalar("y", &y, number(&c, "y"));
    let gx = x.grad().expect("first derivative");
    assert_scalar("dy", &gx, number(&c, "dy"));
    x.cleargrad();
    gx.backward_with(BackwardOptions::default().create_graph(true));
    assert_scalar(
        "d2y",
        &x.grad().expect("second derivative"),
        number(&c, "d2y"),
    );
}

#[test]
fn case_06_matmul() {
    let c = case("06_matmul");
    assert_eq!(c["note"], "loss = sum(matmul(x, W))");
    let x = Variable::new(array(&c, "x"));
    let w = Variable::new(array(&c, "W"));
    let y = matmul(&x, &w);
    sum(&y).backward();
    assert_matches("y", &y.to_array(), &array(&c, "y"));
    assert_matches("gx", &grad(&x), &array(&c, "gx"));
    assert_matches("gW", &grad(&w), &array(&c, "gW"));
}

#[test]
fn case_07_linear() {
    let c = case("07_linear");
    // The loss the case records is sum(y²): 26.9162 for its y.
    type Linear = fn(&Variable<f64>, &Variable<f64>, Option<&Variable<f64>>) -> Variable<f64>;
    let ways: [(&str, Linear); 2] = [("linear", linear), ("linear_simple", linear_simple)];
    for (name, f) in ways {
        let x = Variable::new(array(&c, "x"));
        let w = Variable::new(array(&c, "W"));
        let b = Variable::new(array(&c, "b"));
        let y = f(&x, &w, Some(&b));
        let loss = sum(&y.powi(2));
        loss.backward();
        assert_matches(&format!("{name} y"), &y.to_array(), &array(&c, "y"));
        assert_scalar(&format!("{name} loss"), &loss, number(&c, "loss"));
        assert_matches(&format!("{name} gx"), &grad(&x), &array(&c, "gx"));
        assert_matches(&format!("{name} gW"), &grad(&w), &array(&c, "gW"));
        assert_matches(&format!("{name} gb"), &grad(&b), &array(&c, "gb"));
    }
}

#[test]
fn case_08_sum_sumto_broadcast() {
    let c = case("08_sum_sumto_broadcast");
    assert_eq!(c["x"], "arange(24).reshape(2,3,4) float64");
    let arange = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24).map(f64::from).collect())
        .expect("24 elements");
    let x = Variable::new(arange);

    assert_matches(
        "sum_axis1",
        &sum_axis(&x, &[1], false).to_array(),
        &array(&c, "sum_axis1"),
    );
    assert_matches(
        "sum_axis_0_2",
        &sum_axis(&x, &[0, 2], false).to_array(),
        &array(&c, "sum_axis_0_2"),
    );
    let keepdims: Vec<usize> = c["sum_axis1_keepdims_shape"]
        .as_array()
        .expect("a shape")
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect();
    assert_eq!(sum_axis(&x, &[1], true).shape(), keepdims);

    // sum(sum(x, axis=(0, 2)) * [0, 1, 2])
    let y = sum_axis(&x, &[0, 2], false);
    sum(&(&y * &Variable::new(arr1(&[0.0, 1.0, 2.0]).into_dyn()))).backward();
    assert_matches(
        "grad_of_sum_sum_axis02_times_0_1_2",
        &grad(&x),
        &array(&c, "grad_of_sum_sum_axis02_times_0_1_2"),
    );

    // The case does not record the input of its sum_to and broadcast_to
    // parts; its values are those of [[1, 2, 3], [4, 5, 6]].
    let m = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).into_dyn();
    let v = Variable::new(m.clone());
    assert_matches(
        "sum_to_1x3",
        &sum_to(&v, &[1, 3]).to_array(),
        &array(&c, "sum_to_1x3"),
    );
    assert_matches(
        "sum_to_3",
        &sum_to(&v, &[3]).to_array(),
        &array(&c, "sum_to_3"),
    );
    // broadcast_to a (1, 3) up to (2, 3), with that matrix as upstream gradient.
    let b = Variable::new(arr2(&[[0.5, -1.0, 2.0]]).into_dyn());
    let y = broadcast_to(&b, &[2, 3]);
    y.set_grad(Some(Variable::new(m)));
    y.backward();
    assert_matches(
        "broadcast_to_grad",
        &grad(&b),
        &array(&c, "broadcast_to_grad"),
    );
}

#[test]
fn case_13_mse() {
    let c = case("13_mse");
    let x0 = Variable::new(array(&c, "x0"));
    let x1 = Variable::new(array(&c, "x1"));
    let loss = mean_squared_error(&x0, &x1);
    loss.backward();
    assert_scalar("loss", &loss, number(&c, "loss"));
    assert_matches("gx0", &grad(&x0), &array(&c, "gx0"));
    assert_matches("gx1", &grad(&x1), &array(&c, "gx1"));

    let x0 = Variable::new(array(&c, "x0"));
    let x1 = Variable::new(array(&c, "x1"));
    let loss = mean_squared_error_simple(&x0, &x1);
    loss.backward();
    assert_scalar("loss_simple", &loss, number(&c, "loss_simple"));
    assert_matches("gx0_simple", &grad(&x0), &array(&c, "gx0_simple"));
}
