//! The argument checks behind the `try_` forms of the ops that take a
//! shape, axes or row indices (`try_broadcast_to`, `try_sum_axis`,
//! `try_transpose_axes`, ...): for arguments that come from outside the
//! program, each problem is an [`Error::Shape`] naming the op, where the
//! plain op panics.

use crate::error::{Error, Result};

fn shape_error(op: &str, expected: String, got: String) -> Error {
    Error::Shape {
        op: op.to_string(),
        expected,
        got,
    }
}

/// Every axis is below `shape.len()` and none is repeated.
pub(crate) fn axes(op: &str, shape: &[usize], axes: &[usize]) -> Result<()> {
    for (i, &a) in axes.iter().enumerate() {
        if a >= shape.len() {
            return Err(shape_error(
                op,
                format!("axes below {} (the input has shape {shape:?})", shape.len()),
                format!("axis {a}"),
            ));
        }
        if axes[..i].contains(&a) {
            return Err(shape_error(
                op,
                "distinct axes".to_string(),
                format!("{axes:?}"),
            ));
        }
    }
    Ok(())
}

/// `from` broadcasts to `to` (NumPy's rules).
pub(crate) fn broadcasts(op: &str, from: &[usize], to: &[usize]) -> Result<()> {
    if crate::arith::broadcast_shape(from, to).as_deref() == Some(to) {
        Ok(())
    } else {
        Err(shape_error(
            op,
            format!("a shape that {from:?} broadcasts to"),
            format!("{to:?}"),
        ))
    }
}

/// `axes` is a permutation of `0..ndim`.
pub(crate) fn permutation(op: &str, ndim: usize, axes: &[usize]) -> Result<()> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    if sorted.iter().copied().eq(0..ndim) {
        Ok(())
    } else {
        Err(shape_error(
            op,
            format!("a permutation of the {ndim} axes"),
            format!("{axes:?}"),
        ))
    }
}

/// The input has an axis 0 and every row index is within it.
pub(crate) fn rows(op: &str, shape: &[usize], rows: &[usize]) -> Result<()> {
    let Some(&n) = shape.first() else {
        return Err(shape_error(
            op,
            "an input with at least one axis".to_string(),
            "a 0-dimensional one".to_string(),
        ));
    };
    match rows.iter().find(|&&r| r >= n) {
        Some(r) => Err(shape_error(
            op,
            format!("row indices below {n}"),
            format!("{r}"),
        )),
        None => Ok(()),
    }
}

/// No reduced lane is empty (a maximum or minimum has no identity).
pub(crate) fn nonempty(op: &str, shape: &[usize], axes: Option<&[usize]>) -> Result<()> {
    let empty = match axes {
        None => shape.contains(&0),
        Some(axes) => axes.iter().any(|&a| shape.get(a) == Some(&0)),
    };
    if empty {
        Err(shape_error(
            op,
            "a reduction over a non-empty axis".to_string(),
            format!("shape {shape:?}"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_op_and_the_rule() {
        let e = |r: Result<()>| r.map_or_else(|e| e.to_string(), |()| String::new());
        assert_eq!(
            e(axes("sum", &[2, 3], &[0, 2])),
            "sum: expected axes below 2 (the input has shape [2, 3]), got axis 2"
        );
        assert_eq!(
            e(axes("sum", &[2, 3], &[1, 1])),
            "sum: expected distinct axes, got [1, 1]"
        );
        assert_eq!(
            e(broadcasts("broadcast_to", &[2, 1], &[3, 3])),
            "broadcast_to: expected a shape that [2, 1] broadcasts to, got [3, 3]"
        );
        assert!(broadcasts("broadcast_to", &[3], &[2, 3]).is_ok());
        assert!(broadcasts("broadcast_to", &[2, 3], &[3]).is_err());
        assert_eq!(
            e(permutation("transpose", 3, &[0, 0, 1])),
            "transpose: expected a permutation of the 3 axes, got [0, 0, 1]"
        );
        assert_eq!(
            e(rows("get_item", &[3, 2], &[0, 3])),
            "get_item: expected row indices below 3, got 3"
        );
        assert!(rows("get_item", &[], &[]).is_err());
        assert_eq!(
            e(nonempty("max", &[0, 3], Some(&[0]))),
            "max: expected a reduction over a non-empty axis, got shape [0, 3]"
        );
        assert!(nonempty("max", &[0, 3], Some(&[1])).is_ok());
    }
}
