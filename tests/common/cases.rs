//! Reading `tests/fixtures/dezero_cases_51_60.json`, the cases written by
//! the original DeZero for steps 51–60 (see tests/fixtures/README.md).
//!
//! Arrays are stored as `{"dtype": "float64" | "int64", "shape": [...],
//! "values": [...]}` with the values flat or nested in row-major order.

use std::collections::BTreeMap;

use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

/// One case of `dezero_cases_51_60.json` by name (`"conv2d_s2_p1"`).
pub fn case(name: &str) -> Value {
    let path = super::fixture("dezero_cases_51_60.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut json: Value = serde_json::from_str(&text).expect("the fixture is valid JSON");
    json.get_mut(name)
        .map(Value::take)
        .unwrap_or_else(|| panic!("no case {name} in dezero_cases_51_60.json"))
}

/// Flattens nested JSON lists of numbers in row-major order.
fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Number(n) => out.push(n.as_f64().expect("a finite number")),
        other => panic!("not a number: {other}"),
    }
}

fn shape_of(a: &Value, what: &str) -> Vec<usize> {
    a["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no shape"))
        .iter()
        .map(|d| d.as_u64().expect("a dimension") as usize)
        .collect()
}

/// A float64 array value (`case["x"]`, or an element of a list of arrays).
pub fn array(a: &Value, what: &str) -> ArrayD<f64> {
    assert_eq!(a["dtype"], "float64", "{what}: dtype");
    let shape = shape_of(a, what);
    let mut values = Vec::new();
    flatten(&a["values"], &mut values);
    ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The float64 array `case[key]`.
pub fn array_at(case: &Value, key: &str) -> ArrayD<f64> {
    array(&case[key], key)
}

/// An int64 array of indices (`idx`, class labels `t`), as `usize`.
pub fn indices(a: &Value, what: &str) -> ArrayD<usize> {
    assert_eq!(a["dtype"], "int64", "{what}: dtype");
    let shape = shape_of(a, what);
    let mut values = Vec::new();
    flatten(&a["values"], &mut values);
    let values = values
        .into_iter()
        .map(|v| {
            assert!(v >= 0.0 && v.fract() == 0.0, "{what}: {v} is not an index");
            v as usize
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// A list of float64 arrays (`case["xs"]`, one per time step).
pub fn arrays(case: &Value, key: &str) -> Vec<ArrayD<f64>> {
    case[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: not a list"))
        .iter()
        .enumerate()
        .map(|(i, a)| array(a, &format!("{key}[{i}]")))
        .collect()
}

/// A map of named float64 arrays (`case["params"]`: `"h2h/W"` → array).
pub fn named_arrays(case: &Value, key: &str) -> BTreeMap<String, ArrayD<f64>> {
    case[key]
        .as_object()
        .unwrap_or_else(|| panic!("{key}: not an object"))
        .iter()
        .map(|(name, a)| (name.clone(), array(a, &format!("{key}/{name}"))))
        .collect()
}

/// A plain list of numbers (`case["losses"]`).
pub fn numbers(case: &Value, key: &str) -> Vec<f64> {
    let mut values = Vec::new();
    flatten(&case[key], &mut values);
    values
}
