//! NumPy's `str(array)` for ndarray arrays, so that a `Variable` prints exactly
//! what DeZero prints.
//!
//! The rules reproduced are those of NumPy 2.x's `arrayprint` module with the
//! default print options (`precision=8`, `floatmode='maxprec'`,
//! `suppress=False`, `threshold=1000`, `edgeitems=3`, `linewidth=75`,
//! `sign='-'`):
//!
//! * every element of an array shares one format: positional (`[0.5  0.25]`)
//!   or scientific (`[1.e-05 1.e+00]`), chosen from the finite non-zero
//!   magnitudes, right-aligned to a common width;
//! * each number uses the shortest digits that round-trip in its own type,
//!   capped at 8 fractional digits (rounding the exact binary value);
//! * rows wrap at 75 columns, nested axes get brackets, newlines and blank
//!   lines, and arrays of more than 1000 elements are summarised with `...`;
//! * a 0-d array prints as the scalar's `str` (`1.0`, `1e-05`,
//!   `42.296340129442335`), like Python's `repr(float)`.

use ndarray::ArrayD;

use crate::Scalar;

/// Elements shown at each end of a summarised axis (`edgeitems`).
const EDGE_ITEMS: usize = 3;
/// Arrays with more elements than this are summarised (`threshold`).
const THRESHOLD: usize = 1000;
/// Maximum line width (`linewidth`).
const LINE_WIDTH: usize = 75;
/// Maximum number of fractional digits (`precision`).
const PRECISION: usize = 8;

/// NumPy's `str(a)` for a float array, with NumPy's default print options.
///
/// 0-d arrays print like the scalar they hold (`str(np.float64(x))`, which is
/// Python's `repr(x)`; for `float32` the shortest digits that round-trip in
/// single precision). Other arrays print as NumPy's `array2string` does.
///
/// ```
/// use dezero_runtime::format::array_str;
/// use ndarray::{arr0, arr1, arr2, ArrayD};
///
/// let to_dyn = |a: ndarray::Array2<f64>| a.into_dyn();
/// assert_eq!(array_str(&arr1(&[1.0, 2.0, 3.0]).into_dyn()), "[1. 2. 3.]");
/// assert_eq!(array_str(&arr1(&[0.5, 0.25]).into_dyn()), "[0.5  0.25]");
/// assert_eq!(array_str(&arr1(&[1e-5, 1.0]).into_dyn()), "[1.e-05 1.e+00]");
/// assert_eq!(
///     array_str(&to_dyn(arr2(&[[1.0, 2.0], [3.0, 4.0]]))),
///     "[[1. 2.]\n [3. 4.]]"
/// );
/// assert_eq!(array_str(&arr0(42.296340129442335_f64).into_dyn()), "42.296340129442335");
/// assert_eq!(array_str(&arr0(0.1_f32).into_dyn()), "0.1");
/// assert_eq!(array_str(&arr0(1e-5_f64).into_dyn()), "1e-05");
/// let empty: ArrayD<f32> = ArrayD::zeros(vec![2, 0]);
/// assert_eq!(array_str(&empty), "[]");
/// ```
pub fn array_str<T: Scalar>(a: &ArrayD<T>) -> String {
    let single = T::DTYPE == "float32";
    if a.ndim() == 0 {
        let x = a.iter().next().map_or(f64::NAN, |v| v.to_f64_lossless());
        return scalar_str(x, single);
    }
    if a.is_empty() {
        return "[]".to_string();
    }
    let summarise = a.len() > THRESHOLD;
    let shown = shown_values(a, summarise);
    let format = FloatFormat::new(&shown, single);
    let mut index = Vec::with_capacity(a.ndim());
    let printer = Printer {
        array: a,
        format: &format,
        summarise,
    };
    printer.recurse(&mut index, " ", LINE_WIDTH)
}

/// `str()` of a NumPy float scalar: positional with at least one fractional
/// digit when `1e-4 <= |x| < 1e16` (`1e6` for `float32`) or `x == 0`,
/// scientific with a two-digit exponent otherwise.
fn scalar_str(x: f64, single: bool) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let upper = if single { 1e6 } else { 1e16 };
    let magnitude = x.abs();
    let (digits, exp) = shortest_digits(x, single);
    if magnitude == 0.0 || (1e-4..upper).contains(&magnitude) {
        let (int, frac) = positional(&digits, exp);
        let frac = if frac.is_empty() {
            "0".to_string()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let (lead, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{sign}{lead}{dot}{rest}e{}", exponent_str(exp, 2))
    }
}

/// The values that will be printed (the corners of a summarised array): NumPy
/// chooses the shared layout from these only.
fn shown_values<T: Scalar>(a: &ArrayD<T>, summarise: bool) -> Vec<T> {
    if !summarise {
        return a.iter().copied().collect();
    }
    let kept: Vec<Vec<usize>> = a
        .shape()
        .iter()
        .map(|&len| shown_indices(len, summarise))
        .collect();
    let mut out = Vec::new();
    let mut index = vec![0usize; a.ndim()];
    collect_corners(a, &kept, 0, &mut index, &mut out);
    out
}

fn collect_corners<T: Scalar>(
    a: &ArrayD<T>,
    kept: &[Vec<usize>],
    axis: usize,
    index: &mut Vec<usize>,
    out: &mut Vec<T>,
) {
    if axis == kept.len() {
        out.push(a[index.as_slice()]);
        return;
    }
    for &i in &kept[axis] {
        index[axis] = i;
        collect_corners(a, kept, axis + 1, index, out);
    }
}

/// Indices of an axis of length `len` that are printed.
fn shown_indices(len: usize, summarise: bool) -> Vec<usize> {
    if summarise && len > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).chain(len - EDGE_ITEMS..len).collect()
    } else {
        (0..len).collect()
    }
}

/// Shortest round-trip digits of `|x|` in its own type, as a digit string
/// without trailing zeros (`"0"` for zero) and the decimal exponent of the
/// first digit.
///
/// Among the shortest candidates NumPy's Dragon4 picks the one closest to
/// the exact value, rounding half to even. Rust's shortest formatting may
/// break such a tie the other way (e.g. `3172218.25_f32`, which NumPy prints
/// `3.1722182e+06`), so the exact value rounded at the same length is
/// preferred whenever it also round-trips. It may not (the narrower lower
/// margin of a power of two, e.g. `2^-1017`), and then Rust's digits stand.
fn shortest_digits(x: f64, single: bool) -> (String, i32) {
    let magnitude = x.abs();
    let shortest = if single {
        format!("{:e}", magnitude as f32)
    } else {
        format!("{magnitude:e}")
    };
    let (digits, exp) = split_scientific(&shortest);
    let exact = format!("{:.*e}", digits.len() - 1, magnitude);
    let round_trips = if single {
        exact
            .parse::<f32>()
            .is_ok_and(|v| f64::from(v) == magnitude)
    } else {
        exact.parse::<f64>().is_ok_and(|v| v == magnitude)
    };
    if round_trips {
        split_scientific(&exact)
    } else {
        (digits, exp)
    }
}

/// The exact binary value of `|x|` rounded (half to even) to `frac` digits
/// after the first significant one: `frac + 1` digits and the exponent.
fn exact_digits(x: f64, frac: usize) -> (String, i32) {
    split_scientific(&format!("{:.*e}", frac, x.abs()))
}

/// Splits Rust's `{:e}` output (`"1.25e-3"`) into `("125", -3)`.
fn split_scientific(s: &str) -> (String, i32) {
    let (mantissa, exp) = s
        .split_once('e')
        .expect("Rust's `{:e}` float output always contains an 'e'");
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp = exp
        .parse()
        .expect("Rust's `{:e}` float output has an integer exponent");
    (digits, exp)
}

/// Positional integer and fractional digits of `0.d1d2d3... * 10^(exp+1)`.
fn positional(digits: &str, exp: i32) -> (String, String) {
    if digits.bytes().all(|b| b == b'0') {
        return ("0".to_string(), String::new());
    }
    if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() > int_len {
            let (int, frac) = digits.split_at(int_len);
            (int.to_string(), frac.to_string())
        } else {
            let zeros = "0".repeat(int_len - digits.len());
            (format!("{digits}{zeros}"), String::new())
        }
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    }
}

/// `+05`, `-100`: the exponent's sign and at least `width` digits.
fn exponent_str(exp: i32, width: usize) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{:0width$}", exp.unsigned_abs())
}

/// Number of digits NumPy uses for an exponent (at least 2).
fn exponent_len(exp: i32) -> usize {
    exp.unsigned_abs().to_string().len().max(2)
}

/// NumPy's `FloatingFormat` with `floatmode='maxprec'`: one layout shared by
/// every element of an array.
struct FloatFormat {
    single: bool,
    scientific: bool,
    /// Characters left of the decimal point (sign included).
    pad_left: usize,
    /// Characters right of the decimal point (positional), or the whole
    /// mantissa-fraction-and-exponent width (scientific).
    pad_right: usize,
    /// Fractional mantissa digits in scientific mode.
    precision: usize,
    /// Exponent digits in scientific mode.
    exp_size: usize,
}

impl FloatFormat {
    fn new<T: Scalar>(data: &[T], single: bool) -> Self {
        let finite: Vec<T> = data.iter().copied().filter(|x| x.is_finite()).collect();
        let scientific = Self::needs_scientific(&finite, single);
        let mut format = FloatFormat {
            single,
            scientific,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if !finite.is_empty() {
            for x in finite.iter().map(|x| x.to_f64_lossless()) {
                let negative = usize::from(x.is_sign_negative());
                if scientific {
                    let (digits, exp) = capped_scientific(x, single);
                    format.precision = format.precision.max(digits.len() - 1);
                    format.exp_size = format.exp_size.max(exponent_len(exp));
                    format.pad_left = format.pad_left.max(1 + negative);
                } else {
                    let (int, frac) = capped_positional(x, single);
                    format.pad_left = format.pad_left.max(int.len() + negative);
                    format.pad_right = format.pad_right.max(frac.len());
                }
            }
            if scientific {
                format.pad_right = format.exp_size + 2 + format.precision;
            }
        }
        if finite.len() != data.len() {
            let neg_inf = usize::from(data.iter().any(|x| x.is_infinite() && *x < T::zero()));
            let offset = format.pad_right + 1;
            format.pad_left = format
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + neg_inf).saturating_sub(offset));
        }
        format
    }

    /// Scientific notation when the largest non-zero magnitude reaches
    /// `10^min(8, finfo.precision)`, the smallest is below `1e-4`, or they
    /// differ by more than a factor 1000. Like NumPy 2, the comparisons are
    /// done in the element type.
    fn needs_scientific<T: Scalar>(finite: &[T], single: bool) -> bool {
        let mut magnitudes = finite.iter().map(|x| x.abs()).filter(|x| !x.is_zero());
        let Some(first) = magnitudes.next() else {
            return false;
        };
        let (min, max) = magnitudes.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let cutoff = if single { 1e6 } else { 1e8 };
        max >= T::from_f64_lossy(cutoff)
            || min < T::from_f64_lossy(1e-4)
            || max / min > T::from_f64_lossy(1000.0)
    }

    fn format(&self, value: f64) -> String {
        if !value.is_finite() {
            let text = if value.is_nan() {
                "nan"
            } else if value < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{text:>width$}");
        }
        let sign = if value.is_sign_negative() { "-" } else { "" };
        if self.scientific {
            let (digits, exp) = scientific_digits(value, self.single, self.precision);
            let (lead, frac) = digits.split_at(1);
            let int = format!("{sign}{lead}");
            format!(
                "{int:>pad$}.{frac}e{}",
                exponent_str(exp, self.exp_size),
                pad = self.pad_left
            )
        } else {
            let (int, frac) = capped_positional(value, self.single);
            let int = format!("{sign}{int}");
            format!(
                "{int:>left$}.{frac:<right$}",
                left = self.pad_left,
                right = self.pad_right
            )
        }
    }
}

/// Shortest positional digits of `|x|`, rounded to at most [`PRECISION`]
/// fractional digits (trailing zeros trimmed).
fn capped_positional(x: f64, single: bool) -> (String, String) {
    let (digits, exp) = shortest_digits(x, single);
    let frac_len = digits.len() as i64 - 1 - i64::from(exp);
    if frac_len <= PRECISION as i64 {
        return positional(&digits, exp);
    }
    let rounded = format!("{:.*}", PRECISION, x.abs());
    let (int, frac) = rounded
        .split_once('.')
        .expect("Rust's `{:.8}` float output always contains a '.'");
    (int.to_string(), frac.trim_end_matches('0').to_string())
}

/// Shortest scientific digits of `|x|`, rounded to at most [`PRECISION`]
/// fractional mantissa digits (trailing zeros trimmed).
fn capped_scientific(x: f64, single: bool) -> (String, i32) {
    let (digits, exp) = shortest_digits(x, single);
    if digits.len() - 1 <= PRECISION {
        return (digits, exp);
    }
    let (digits, exp) = exact_digits(x, PRECISION);
    let trimmed = digits.trim_end_matches('0');
    let keep = trimmed.len().max(1);
    (digits[..keep].to_string(), exp)
}

/// Exactly `precision` fractional mantissa digits. NumPy's Dragon4 with
/// `min_digits` prints the shortest digits when they have that length, keeps
/// generating exact digits past shorter ones, and cuts longer ones by
/// rounding the exact value (half to even).
fn scientific_digits(x: f64, single: bool, precision: usize) -> (String, i32) {
    let (digits, exp) = shortest_digits(x, single);
    if digits.len() - 1 == precision {
        (digits, exp)
    } else {
        exact_digits(x, precision)
    }
}

/// NumPy's `_formatArray` with separator `' '` and no prefix.
struct Printer<'a, T> {
    array: &'a ArrayD<T>,
    format: &'a FloatFormat,
    summarise: bool,
}

impl<T: Scalar> Printer<'_, T> {
    fn recurse(&self, index: &mut Vec<usize>, hanging_indent: &str, width: usize) -> String {
        let axis = index.len();
        let axes_left = self.array.ndim() - axis;
        if axes_left == 0 {
            return self
                .format
                .format(self.array[index.as_slice()].to_f64_lossless());
        }
        let next_indent = format!("{hanging_indent} ");
        let next_width = width.saturating_sub(1);
        let len = self.array.shape()[axis];
        let show_summary = self.summarise && len > 2 * EDGE_ITEMS;
        let (leading, trailing) = if show_summary {
            (EDGE_ITEMS, EDGE_ITEMS)
        } else {
            (0, len)
        };
        let mut child = |i: usize| {
            index.push(i);
            let s = self.recurse(index, &next_indent, next_width);
            index.pop();
            s
        };

        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width.saturating_sub(1);
            let mut line = hanging_indent.to_string();
            for i in 0..leading {
                let word = child(i);
                extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
                line.push(' ');
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging_indent);
                line.push(' ');
            }
            for i in (2..=trailing).rev() {
                let word = child(len - i);
                extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
                line.push(' ');
            }
            let word = child(len - 1);
            extend_line(&mut s, &mut line, &word, elem_width, hanging_indent);
            s.push_str(&line);
        } else {
            let line_sep = "\n".repeat(axes_left - 1);
            for i in 0..leading {
                let nested = child(i);
                s.push_str(hanging_indent);
                s.push_str(&nested);
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging_indent);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                let nested = child(len - i);
                s.push_str(hanging_indent);
                s.push_str(&nested);
                s.push_str(&line_sep);
            }
            let nested = child(len - 1);
            s.push_str(hanging_indent);
            s.push_str(&nested);
        }
        format!("[{}]", &s[hanging_indent.len()..])
    }
}

/// NumPy's `_extendLine`: appends `word` to `line`, first flushing `line` to
/// `s` when the word would overflow `width` (unless the line holds nothing
/// but its indent).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, indent: &str) {
    let needs_wrap = line.len() + word.len() > width && line.len() > indent.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        line.clear();
        line.push_str(indent);
    }
    line.push_str(word);
}

#[cfg(test)]
mod tests {
    use super::array_str;
    use ndarray::{ArrayD, IxDyn};

    /// `(name, shape, data, str(np.array(data, dtype).reshape(shape)))`, from NumPy 2.4.
    const CASES_F64: &[(&str, &[usize], &[f64], &str)] = &[
        ("scalar64", &[], &[42.296340129442335], "42.296340129442335"),
        ("scalar64", &[], &[0.07908606512411756], "0.07908606512411756"),
        ("scalar64", &[], &[1e-05], "1e-05"),
        ("scalar64", &[], &[1.0], "1.0"),
        ("scalar64", &[], &[-0.0], "-0.0"),
        ("scalar64", &[], &[0.0], "0.0"),
        ("scalar64", &[], &[f64::NAN], "nan"),
        ("scalar64", &[], &[f64::INFINITY], "inf"),
        ("scalar64", &[], &[f64::NEG_INFINITY], "-inf"),
        ("scalar64", &[], &[1e+16], "1e+16"),
        ("scalar64", &[], &[1000000000000000.0], "1000000000000000.0"),
        ("scalar64", &[], &[9999999999999998.0], "9999999999999998.0"),
        ("scalar64", &[], &[1.5e-07], "1.5e-07"),
        ("scalar64", &[], &[123456789.123], "123456789.123"),
        ("scalar64", &[], &[5e-324], "5e-324"),
        ("scalar64", &[], &[1.7976931348623157e+308], "1.7976931348623157e+308"),
        ("scalar64", &[], &[0.0001], "0.0001"),
        ("scalar64", &[], &[9.999999999999999e-05], "9.999999999999999e-05"),
        ("scalar64", &[], &[-2.5], "-2.5"),
        ("scalar64", &[], &[1e-100], "1e-100"),
        ("scalar64", &[], &[1e+100], "1e+100"),
        ("scalar64", &[], &[0.30000000000000004], "0.30000000000000004"),
        ("scalar64", &[], &[0.6666666666666666], "0.6666666666666666"),
        ("scalar64", &[], &[7.120236347223045e-307], "7.120236347223045e-307"),
        ("integral", &[3], &[1.0, 2.0, 3.0], "[1. 2. 3.]"),
        ("pad_right", &[2], &[0.5, 0.25], "[0.5  0.25]"),
        ("exp_small", &[2], &[1e-05, 1.0], "[1.e-05 1.e+00]"),
        ("exp_cutoff_1e8", &[2], &[100000000.0, 1.0], "[1.e+08 1.e+00]"),
        ("below_cutoff", &[2], &[1000000.0, 100000.0], "[1000000.  100000.]"),
        ("tie_at_8_decimals", &[2], &[0.001953125, 1.0], "[0.00195312 1.        ]"),
        ("negative", &[3], &[-1.5, 2.0, 3.25], "[-1.5   2.    3.25]"),
        ("nan_neginf", &[2], &[f64::NAN, f64::NEG_INFINITY], "[ nan -inf]"),
        ("nonfinite_exp", &[3], &[f64::NAN, f64::INFINITY, 1e-05], "[   nan    inf 1.e-05]"),
        ("nan_mixed", &[3], &[f64::NAN, 1.5, -2.0], "[ nan  1.5 -2. ]"),
        ("three_digit_exponent", &[2], &[1e-100, 1.0], "[1.e-100 1.e+000]"),
        ("zeros", &[2], &[0.0, 0.0], "[0. 0.]"),
        ("negative_zero", &[2], &[-0.0, 1.0], "[-0.  1.]"),
        ("point_three", &[3], &[0.1, 0.2, 0.30000000000000004], "[0.1 0.2 0.3]"),
        ("thirds", &[3], &[0.3333333333333333, 0.6666666666666666, -0.3333333333333333], "[ 0.33333333  0.66666667 -0.33333333]"),
        ("step42_b", &[1], &[1.2947338912], "[1.29473389]"),
        ("min_1e-4", &[2], &[0.0001, 0.01], "[0.0001 0.01  ]"),
        ("ratio_exactly_1000", &[2], &[100.0, 0.1], "[100.    0.1]"),
        ("ratio_above_1000", &[2], &[100.0, 0.0999], "[1.00e+02 9.99e-02]"),
        ("inf_only", &[1], &[f64::INFINITY], "[inf]"),
        ("nan_only", &[1], &[f64::NAN], "[nan]"),
        ("tiny_huge", &[3], &[1e+300, -1e-300, 0.0], "[ 1.e+300 -1.e-300  0.e+000]"),
        ("exp_negative", &[3], &[-1e-07, 2.5e-05, -3.0], "[-1.0e-07  2.5e-05 -3.0e+00]"),
        ("wrap_linspace", &[30], &[0.0, 0.034482758620689655, 0.06896551724137931, 0.10344827586206896, 0.13793103448275862, 0.1724137931034483, 0.20689655172413793, 0.24137931034482757, 0.27586206896551724, 0.3103448275862069, 0.3448275862068966, 0.3793103448275862, 0.41379310344827586, 0.4482758620689655, 0.48275862068965514, 0.5172413793103449, 0.5517241379310345, 0.5862068965517241, 0.6206896551724138, 0.6551724137931034, 0.6896551724137931, 0.7241379310344828, 0.7586206896551724, 0.7931034482758621, 0.8275862068965517, 0.8620689655172413, 0.896551724137931, 0.9310344827586207, 0.9655172413793103, 1.0], "[0.         0.03448276 0.06896552 0.10344828 0.13793103 0.17241379\n 0.20689655 0.24137931 0.27586207 0.31034483 0.34482759 0.37931034\n 0.4137931  0.44827586 0.48275862 0.51724138 0.55172414 0.5862069\n 0.62068966 0.65517241 0.68965517 0.72413793 0.75862069 0.79310345\n 0.82758621 0.86206897 0.89655172 0.93103448 0.96551724 1.        ]"),
        ("wrap_arange", &[25], &[-7.0, -5.5, -4.0, -2.5, -1.0, 0.5, 2.0, 3.5, 5.0, 6.5, 8.0, 9.5, 11.0, 12.5, 14.0, 15.5, 17.0, 18.5, 20.0, 21.5, 23.0, 24.5, 26.0, 27.5, 29.0], "[-7.  -5.5 -4.  -2.5 -1.   0.5  2.   3.5  5.   6.5  8.   9.5 11.  12.5\n 14.  15.5 17.  18.5 20.  21.5 23.  24.5 26.  27.5 29. ]"),
        ("wrap_negative_exp", &[17], &[-1e-06, -3.651741272548377e-06, -1.333521432163324e-05, -4.869675251658631e-05, -0.00017782794100389227, -0.0006493816315762113, -0.0023713737056616554, -0.008659643233600653, -0.03162277660168379, -0.11547819846894582, -0.4216965034285822, -1.5399265260594919, -5.62341325190349, -20.53525026457146, -74.98942093324558, -273.8419634264361, -1000.0], "[-1.00000000e-06 -3.65174127e-06 -1.33352143e-05 -4.86967525e-05\n -1.77827941e-04 -6.49381632e-04 -2.37137371e-03 -8.65964323e-03\n -3.16227766e-02 -1.15478198e-01 -4.21696503e-01 -1.53992653e+00\n -5.62341325e+00 -2.05352503e+01 -7.49894209e+01 -2.73841963e+02\n -1.00000000e+03]"),
        ("random_normal", &[10], &[0.30471707975443135, -1.0399841062404955, 0.7504511958064572, 0.9405647163912139, -1.9510351886538364, -1.302179506862318, 0.12784040316728537, -0.3162425923435822, -0.016801157504288795, -0.85304392757358], "[ 0.30471708 -1.03998411  0.7504512   0.94056472 -1.95103519 -1.30217951\n  0.1278404  -0.31624259 -0.01680116 -0.85304393]"),
        ("mixed_large", &[3], &[123456.789, 0.5, -42.0], "[ 1.23456789e+05  5.00000000e-01 -4.20000000e+01]"),
        ("f64_power_of_two", &[2], &[7.120236347223045e-307, 1e-05], "[7.12023635e-307 1.00000000e-005]"),
        ("matrix", &[2, 2], &[1.0, 2.0, 3.0, 4.0], "[[1. 2.]\n [3. 4.]]"),
        ("step42_W", &[1, 1], &[0.6443345798], "[[0.64433458]]"),
        ("random_3x4", &[3, 4], &[-0.6655097072886943, 0.23216132306671977, 0.11668580914072822, 0.21868859672901295, 0.8714287779481898, 0.22359554877468227, 0.6789135630718949, 0.06757906948889146, 0.28911939868998415, 0.6312882258385404, -1.4571558198556664, -0.31967121635730134], "[[-0.66550971  0.23216132  0.11668581  0.2186886 ]\n [ 0.87142878  0.22359555  0.67891356  0.06757907]\n [ 0.2891194   0.63128823 -1.45715582 -0.31967122]]"),
        ("wrapping_rows", &[4, 20], &[-0.4703726542927955, -0.6388778482433419, -0.27514225122668373, 1.4949413112343959, -0.8658311156932432, 0.9682783545914808, -1.6828697716158048, -0.33488502998577485, 0.1627530651050056, 0.5862223313592781, 0.711226579792855, 0.7933472351999252, -0.3487250722484376, -0.46235179266456716, 0.8579758812571538, -0.1913043248816149, -1.2756863233379219, -1.1332872140034806, -0.9194522860016113, 0.49716074405376404, 0.14242573607056525, 0.6904853540677682, -0.42725264633653426, 0.15853969107671423, 0.6255903939673367, -0.3093465397202384, 0.45677523755741145, -0.6619259410666513, -0.3630538465650718, -0.3817378939983291, -1.1958396455890397, 0.4869724807855818, -0.46940234020272387, 0.01249411872768743, 0.48074665890590895, 0.4465311760299441, 0.6653851089727862, -0.09848548450942361, -0.42329831204415375, -0.07971821090639905, -1.6873344339580298, -1.4471124724230873, -1.3226996123544024, -0.9972468276014818, 0.3997742267234366, -0.9054790553600608, -0.3781625540393897, 1.2992282977860654, -0.35626397106142593, 0.7375155684670865, -0.933617680009877, -0.20543755786763002, -0.9500220549105812, -0.3390330759005625, 0.8403081374573955, -1.7273204231923487, 0.43442364354585733, 0.2377356023322779, -0.5941499556967944, -1.4460578543884546, 0.07212950771386951, -0.5294927090638024, 0.23267621135470395, 0.02185214552344288, 1.6017788913209154, -0.23935562747302427, -1.023497492621865, 0.17927563495631615, 0.21999668397176517, 1.3591875752404365, 0.8351112459145785, 0.35687105914950934, 1.4633028912195618, -1.188763054322851, -0.6397515327497477, -0.9265759414055249, -0.38980980315576796, -1.3766861475563088, 0.6351509468144043, -0.22222269709877338], "[[-0.47037265 -0.63887785 -0.27514225  1.49494131 -0.86583112  0.96827835\n  -1.68286977 -0.33488503  0.16275307  0.58622233  0.71122658  0.79334724\n  -0.34872507 -0.46235179  0.85797588 -0.19130432 -1.27568632 -1.13328721\n  -0.91945229  0.49716074]\n [ 0.14242574  0.69048535 -0.42725265  0.15853969  0.62559039 -0.30934654\n   0.45677524 -0.66192594 -0.36305385 -0.38173789 -1.19583965  0.48697248\n  -0.46940234  0.01249412  0.48074666  0.44653118  0.66538511 -0.09848548\n  -0.42329831 -0.07971821]\n [-1.68733443 -1.44711247 -1.32269961 -0.99724683  0.39977423 -0.90547906\n  -0.37816255  1.2992283  -0.35626397  0.73751557 -0.93361768 -0.20543756\n  -0.95002205 -0.33903308  0.84030814 -1.72732042  0.43442364  0.2377356\n  -0.59414996 -1.44605785]\n [ 0.07212951 -0.52949271  0.23267621  0.02185215  1.60177889 -0.23935563\n  -1.02349749  0.17927563  0.21999668  1.35918758  0.83511125  0.35687106\n   1.46330289 -1.18876305 -0.63975153 -0.92657594 -0.3898098  -1.37668615\n   0.63515095 -0.2222227 ]]"),
        ("matrix_nan", &[2, 3], &[f64::NAN, 1.0, 2.0, 3.0, f64::NEG_INFINITY, 0.25], "[[ nan 1.   2.  ]\n [3.   -inf 0.25]]"),
        ("column", &[3, 1], &[1.5, 2.25, -3.0], "[[ 1.5 ]\n [ 2.25]\n [-3.  ]]"),
        ("row", &[1, 3], &[1e-05, 2.0, 3.0], "[[1.e-05 2.e+00 3.e+00]]"),
        ("cube", &[2, 3, 4], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], "[[[ 0.  1.  2.  3.]\n  [ 4.  5.  6.  7.]\n  [ 8.  9. 10. 11.]]\n\n [[12. 13. 14. 15.]\n  [16. 17. 18. 19.]\n  [20. 21. 22. 23.]]]"),
        ("four_d", &[2, 2, 2, 2], &[0.0, 0.3333333333333333, 0.6666666666666666, 1.0, 1.3333333333333333, 1.6666666666666667, 2.0, 2.3333333333333335, 2.6666666666666665, 3.0, 3.3333333333333335, 3.6666666666666665, 4.0, 4.333333333333333, 4.666666666666667, 5.0], "[[[[0.         0.33333333]\n   [0.66666667 1.        ]]\n\n  [[1.33333333 1.66666667]\n   [2.         2.33333333]]]\n\n\n [[[2.66666667 3.        ]\n   [3.33333333 3.66666667]]\n\n  [[4.         4.33333333]\n   [4.66666667 5.        ]]]]"),
        ("deep_narrow", &[1, 1, 1, 1, 1, 2], &[1.0, 2.0], "[[[[[[1. 2.]]]]]]"),
        ("empty", &[0], &[], "[]"),
        ("empty_2x0", &[2, 0], &[], "[]"),
    ];

    const CASES_F32: &[(&str, &[usize], &[f32], &str)] = &[
        ("scalar32", &[], &[0.1], "0.1"),
        ("scalar32", &[], &[1e+06], "1e+06"),
        ("scalar32", &[], &[999999.94], "999999.94"),
        ("scalar32", &[], &[1e-04], "1e-04"),
        ("scalar32", &[], &[0.000100000005], "0.000100000005"),
        ("scalar32", &[], &[3e+38], "3e+38"),
        ("scalar32", &[], &[1e-45], "1e-45"),
        ("scalar32", &[], &[1.6777216e+07], "1.6777216e+07"),
        ("scalar32", &[], &[-2.5], "-2.5"),
        ("scalar32", &[], &[3.1722182e+06], "3.1722182e+06"),
        ("scalar32", &[], &[123456.7], "123456.7"),
        ("scalar32", &[], &[1.0], "1.0"),
        ("scalar32", &[], &[f32::NAN], "nan"),
        ("scalar32", &[], &[f32::NEG_INFINITY], "-inf"),
        ("scalar32", &[], &[0.0], "0.0"),
        ("scalar32", &[], &[0.33333334], "0.33333334"),
        ("scalar32", &[], &[1.2621775e-29], "1.2621775e-29"),
        ("f32_exp_cutoff_1e6", &[2], &[1e+06, 100000.0], "[1.e+06 1.e+05]"),
        ("f32_below_cutoff", &[2], &[999999.9, 100000.0], "[999999.9 100000. ]"),
        ("f32_min_1e-4", &[2], &[1e-04, 0.01], "[0.0001 0.01  ]"),
        ("f32_ratio_rounds_to_1000", &[2], &[0.1, 100.0], "[  0.1 100. ]"),
        ("f32_exp_pad", &[2], &[0.1, 1.2345678e-05], "[1.0000000e-01 1.2345678e-05]"),
        ("f32_exact_digits", &[2], &[0.1, 1.00005045e-05], "[1.00000001e-01 1.00005045e-05]"),
        ("f32_nine_digits", &[2], &[0.1, 10.0005045], "[ 0.1       10.0005045]"),
        ("f32_tie", &[2], &[3.1722182e+06, 1.0], "[3.1722182e+06 1.0000000e+00]"),
        ("f32_power_of_two", &[2], &[1.2621775e-29, 1.2621775e-29], "[1.2621775e-29 1.2621775e-29]"),
        ("f32_tenths", &[3], &[0.1, 0.2, 0.3], "[0.1 0.2 0.3]"),
        ("f32_random", &[12], &[0.879398, 0.7777919, 0.066030696, 1.1272413, 0.46750933, -0.85929245, 0.36875078, -0.95888263, 0.8784503, -0.049925912, -0.18486236, -0.68092954], "[ 0.879398    0.7777919   0.0660307   1.1272413   0.46750933 -0.85929245\n  0.36875078 -0.95888263  0.8784503  -0.04992591 -0.18486236 -0.68092954]"),
        ("f32_integral", &[3], &[1.0, 2.0, -3.0], "[ 1.  2. -3.]"),
        ("f32_nan_inf", &[3], &[f32::NAN, f32::INFINITY, -1.5], "[ nan  inf -1.5]"),
        ("f32_wrap", &[20], &[0.0012225413, -0.00015452948, -0.00042832782, -0.00035213356, 0.0005323092, 0.00036544405, 0.00041273262, 0.000430821, 0.0021416475, -0.00040641503, -0.0005122427, -0.0008137727, 0.0006159794, 0.0011289723, -0.000113947455, -0.00084015646, -0.0008244812, 0.0006505928, 0.00074325415, 0.00054315425], "[ 0.00122254 -0.00015453 -0.00042833 -0.00035213  0.00053231  0.00036544\n  0.00041273  0.00043082  0.00214165 -0.00040642 -0.00051224 -0.00081377\n  0.00061598  0.00112897 -0.00011395 -0.00084016 -0.00082448  0.00065059\n  0.00074325  0.00054315]"),
        ("f32_matrix", &[2, 2], &[0.1, 0.2, 0.3, 0.4], "[[0.1 0.2]\n [0.3 0.4]]"),
        ("f32_random_2x5", &[2, 5], &[-1.4708062, -1.0155791, 0.31351385, 0.83812654, 1.9967309, 2.9138625, 0.41440943, -0.98953813, -2.1320462, 0.26771146], "[[-1.4708062  -1.0155791   0.31351385  0.83812654  1.9967309 ]\n [ 2.9138625   0.41440943 -0.98953813 -2.1320462   0.26771146]]"),
        ("f32_cube", &[2, 2, 3], &[-0.8129411, -0.41535726, -0.6120968, -0.14079088, 1.0659802, 0.15704857, -0.15863484, -1.0356537, -1.674683, -0.48630792, -0.053782552, 1.7679299], "[[[-0.8129411  -0.41535726 -0.6120968 ]\n  [-0.14079088  1.0659802   0.15704857]]\n\n [[-0.15863484 -1.0356537  -1.674683  ]\n  [-0.48630792 -0.05378255  1.7679299 ]]]"),
        ("f32_empty", &[0, 3], &[], "[]"),
    ];

    /// `(name, shape, str(np.arange(prod(shape), dtype) / 7).reshape(shape))`.
    const SEQ_F64: &[(&str, &[usize], &str)] = &[
        ("just_threshold", &[1000], "[  0.           0.14285714   0.28571429   0.42857143   0.57142857\n   0.71428571   0.85714286   1.           1.14285714   1.28571429\n   1.42857143   1.57142857   1.71428571   1.85714286   2.\n   2.14285714   2.28571429   2.42857143   2.57142857   2.71428571\n   2.85714286   3.           3.14285714   3.28571429   3.42857143\n   3.57142857   3.71428571   3.85714286   4.           4.14285714\n   4.28571429   4.42857143   4.57142857   4.71428571   4.85714286\n   5.           5.14285714   5.28571429   5.42857143   5.57142857\n   5.71428571   5.85714286   6.           6.14285714   6.28571429\n   6.42857143   6.57142857   6.71428571   6.85714286   7.\n   7.14285714   7.28571429   7.42857143   7.57142857   7.71428571\n   7.85714286   8.           8.14285714   8.28571429   8.42857143\n   8.57142857   8.71428571   8.85714286   9.           9.14285714\n   9.28571429   9.42857143   9.57142857   9.71428571   9.85714286\n  10.          10.14285714  10.28571429  10.42857143  10.57142857\n  10.71428571  10.85714286  11.          11.14285714  11.28571429\n  11.42857143  11.57142857  11.71428571  11.85714286  12.\n  12.14285714  12.28571429  12.42857143  12.57142857  12.71428571\n  12.85714286  13.          13.14285714  13.28571429  13.42857143\n  13.57142857  13.71428571  13.85714286  14.          14.14285714\n  14.28571429  14.42857143  14.57142857  14.71428571  14.85714286\n  15.          15.14285714  15.28571429  15.42857143  15.57142857\n  15.71428571  15.85714286  16.          16.14285714  16.28571429\n  16.42857143  16.57142857  16.71428571  16.85714286  17.\n  17.14285714  17.28571429  17.42857143  17.57142857  17.71428571\n  17.85714286  18.          18.14285714  18.28571429  18.42857143\n  18.57142857  18.71428571  18.85714286  19.          19.14285714\n  19.28571429  19.42857143  19.57142857  19.71428571  19.85714286\n  20.          20.14285714  20.28571429  20.42857143  20.57142857\n  20.71428571  20.85714286  21.          21.14285714  21.28571429\n  21.42857143  21.57142857  21.71428571  21.85714286  22.\n  22.14285714  22.28571429  22.42857143  22.57142857  22.71428571\n  22.85714286  23.          23.14285714  23.28571429  23.42857143\n  23.57142857  23.71428571  23.85714286  24.          24.14285714\n  24.28571429  24.42857143  24.57142857  24.71428571  24.85714286\n  25.          25.14285714  25.28571429  25.42857143  25.57142857\n  25.71428571  25.85714286  26.          26.14285714  26.28571429\n  26.42857143  26.57142857  26.71428571  26.85714286  27.\n  27.14285714  27.28571429  27.42857143  27.57142857  27.71428571\n  27.85714286  28.          28.14285714  28.28571429  28.42857143\n  28.57142857  28.71428571  28.85714286  29.          29.14285714\n  29.28571429  29.42857143  29.57142857  29.71428571  29.85714286\n  30.          30.14285714  30.28571429  30.42857143  30.57142857\n  30.71428571  30.85714286  31.          31.14285714  31.28571429\n  31.42857143  31.57142857  31.71428571  31.85714286  32.\n  32.14285714  32.28571429  32.42857143  32.57142857  32.71428571\n  32.85714286  33.          33.14285714  33.28571429  33.42857143\n  33.57142857  33.71428571  33.85714286  34.          34.14285714\n  34.28571429  34.42857143  34.57142857  34.71428571  34.85714286\n  35.          35.14285714  35.28571429  35.42857143  35.57142857\n  35.71428571  35.85714286  36.          36.14285714  36.28571429\n  36.42857143  36.57142857  36.71428571  36.85714286  37.\n  37.14285714  37.28571429  37.42857143  37.57142857  37.71428571\n  37.85714286  38.          38.14285714  38.28571429  38.42857143\n  38.57142857  38.71428571  38.85714286  39.          39.14285714\n  39.28571429  39.42857143  39.57142857  39.71428571  39.85714286\n  40.          40.14285714  40.28571429  40.42857143  40.57142857\n  40.71428571  40.85714286  41.          41.14285714  41.28571429\n  41.42857143  41.57142857  41.71428571  41.85714286  42.\n  42.14285714  42.28571429  42.42857143  42.57142857  42.71428571\n  42.85714286  43.          43.14285714  43.28571429  43.42857143\n  43.57142857  43.71428571  43.85714286  44.          44.14285714\n  44.28571429  44.42857143  44.57142857  44.71428571  44.85714286\n  45.          45.14285714  45.28571429  45.42857143  45.57142857\n  45.71428571  45.85714286  46.          46.14285714  46.28571429\n  46.42857143  46.57142857  46.71428571  46.85714286  47.\n  47.14285714  47.28571429  47.42857143  47.57142857  47.71428571\n  47.85714286  48.          48.14285714  48.28571429  48.42857143\n  48.57142857  48.71428571  48.85714286  49.          49.14285714\n  49.28571429  49.42857143  49.57142857  49.71428571  49.85714286\n  50.          50.14285714  50.28571429  50.42857143  50.57142857\n  50.71428571  50.85714286  51.          51.14285714  51.28571429\n  51.42857143  51.57142857  51.71428571  51.85714286  52.\n  52.14285714  52.28571429  52.42857143  52.57142857  52.71428571\n  52.85714286  53.          53.14285714  53.28571429  53.42857143\n  53.57142857  53.71428571  53.85714286  54.          54.14285714\n  54.28571429  54.42857143  54.57142857  54.71428571  54.85714286\n  55.          55.14285714  55.28571429  55.42857143  55.57142857\n  55.71428571  55.85714286  56.          56.14285714  56.28571429\n  56.42857143  56.57142857  56.71428571  56.85714286  57.\n  57.14285714  57.28571429  57.42857143  57.57142857  57.71428571\n  57.85714286  58.          58.14285714  58.28571429  58.42857143\n  58.57142857  58.71428571  58.85714286  59.          59.14285714\n  59.28571429  59.42857143  59.57142857  59.71428571  59.85714286\n  60.          60.14285714  60.28571429  60.42857143  60.57142857\n  60.71428571  60.85714286  61.          61.14285714  61.28571429\n  61.42857143  61.57142857  61.71428571  61.85714286  62.\n  62.14285714  62.28571429  62.42857143  62.57142857  62.71428571\n  62.85714286  63.          63.14285714  63.28571429  63.42857143\n  63.57142857  63.71428571  63.85714286  64.          64.14285714\n  64.28571429  64.42857143  64.57142857  64.71428571  64.85714286\n  65.          65.14285714  65.28571429  65.42857143  65.57142857\n  65.71428571  65.85714286  66.          66.14285714  66.28571429\n  66.42857143  66.57142857  66.71428571  66.85714286  67.\n  67.14285714  67.28571429  67.42857143  67.57142857  67.71428571\n  67.85714286  68.          68.14285714  68.28571429  68.42857143\n  68.57142857  68.71428571  68.85714286  69.          69.14285714\n  69.28571429  69.42857143  69.57142857  69.71428571  69.85714286\n  70.          70.14285714  70.28571429  70.42857143  70.57142857\n  70.71428571  70.85714286  71.          71.14285714  71.28571429\n  71.42857143  71.57142857  71.71428571  71.85714286  72.\n  72.14285714  72.28571429  72.42857143  72.57142857  72.71428571\n  72.85714286  73.          73.14285714  73.28571429  73.42857143\n  73.57142857  73.71428571  73.85714286  74.          74.14285714\n  74.28571429  74.42857143  74.57142857  74.71428571  74.85714286\n  75.          75.14285714  75.28571429  75.42857143  75.57142857\n  75.71428571  75.85714286  76.          76.14285714  76.28571429\n  76.42857143  76.57142857  76.71428571  76.85714286  77.\n  77.14285714  77.28571429  77.42857143  77.57142857  77.71428571\n  77.85714286  78.          78.14285714  78.28571429  78.42857143\n  78.57142857  78.71428571  78.85714286  79.          79.14285714\n  79.28571429  79.42857143  79.57142857  79.71428571  79.85714286\n  80.          80.14285714  80.28571429  80.42857143  80.57142857\n  80.71428571  80.85714286  81.          81.14285714  81.28571429\n  81.42857143  81.57142857  81.71428571  81.85714286  82.\n  82.14285714  82.28571429  82.42857143  82.57142857  82.71428571\n  82.85714286  83.          83.14285714  83.28571429  83.42857143\n  83.57142857  83.71428571  83.85714286  84.          84.14285714\n  84.28571429  84.42857143  84.57142857  84.71428571  84.85714286\n  85.          85.14285714  85.28571429  85.42857143  85.57142857\n  85.71428571  85.85714286  86.          86.14285714  86.28571429\n  86.42857143  86.57142857  86.71428571  86.85714286  87.\n  87.14285714  87.28571429  87.42857143  87.57142857  87.71428571\n  87.85714286  88.          88.14285714  88.28571429  88.42857143\n  88.57142857  88.71428571  88.85714286  89.          89.14285714\n  89.28571429  89.42857143  89.57142857  89.71428571  89.85714286\n  90.          90.14285714  90.28571429  90.42857143  90.57142857\n  90.71428571  90.85714286  91.          91.14285714  91.28571429\n  91.42857143  91.57142857  91.71428571  91.85714286  92.\n  92.14285714  92.28571429  92.42857143  92.57142857  92.71428571\n  92.85714286  93.          93.14285714  93.28571429  93.42857143\n  93.57142857  93.71428571  93.85714286  94.          94.14285714\n  94.28571429  94.42857143  94.57142857  94.71428571  94.85714286\n  95.          95.14285714  95.28571429  95.42857143  95.57142857\n  95.71428571  95.85714286  96.          96.14285714  96.28571429\n  96.42857143  96.57142857  96.71428571  96.85714286  97.\n  97.14285714  97.28571429  97.42857143  97.57142857  97.71428571\n  97.85714286  98.          98.14285714  98.28571429  98.42857143\n  98.57142857  98.71428571  98.85714286  99.          99.14285714\n  99.28571429  99.42857143  99.57142857  99.71428571  99.85714286\n 100.         100.14285714 100.28571429 100.42857143 100.57142857\n 100.71428571 100.85714286 101.         101.14285714 101.28571429\n 101.42857143 101.57142857 101.71428571 101.85714286 102.\n 102.14285714 102.28571429 102.42857143 102.57142857 102.71428571\n 102.85714286 103.         103.14285714 103.28571429 103.42857143\n 103.57142857 103.71428571 103.85714286 104.         104.14285714\n 104.28571429 104.42857143 104.57142857 104.71428571 104.85714286\n 105.         105.14285714 105.28571429 105.42857143 105.57142857\n 105.71428571 105.85714286 106.         106.14285714 106.28571429\n 106.42857143 106.57142857 106.71428571 106.85714286 107.\n 107.14285714 107.28571429 107.42857143 107.57142857 107.71428571\n 107.85714286 108.         108.14285714 108.28571429 108.42857143\n 108.57142857 108.71428571 108.85714286 109.         109.14285714\n 109.28571429 109.42857143 109.57142857 109.71428571 109.85714286\n 110.         110.14285714 110.28571429 110.42857143 110.57142857\n 110.71428571 110.85714286 111.         111.14285714 111.28571429\n 111.42857143 111.57142857 111.71428571 111.85714286 112.\n 112.14285714 112.28571429 112.42857143 112.57142857 112.71428571\n 112.85714286 113.         113.14285714 113.28571429 113.42857143\n 113.57142857 113.71428571 113.85714286 114.         114.14285714\n 114.28571429 114.42857143 114.57142857 114.71428571 114.85714286\n 115.         115.14285714 115.28571429 115.42857143 115.57142857\n 115.71428571 115.85714286 116.         116.14285714 116.28571429\n 116.42857143 116.57142857 116.71428571 116.85714286 117.\n 117.14285714 117.28571429 117.42857143 117.57142857 117.71428571\n 117.85714286 118.         118.14285714 118.28571429 118.42857143\n 118.57142857 118.71428571 118.85714286 119.         119.14285714\n 119.28571429 119.42857143 119.57142857 119.71428571 119.85714286\n 120.         120.14285714 120.28571429 120.42857143 120.57142857\n 120.71428571 120.85714286 121.         121.14285714 121.28571429\n 121.42857143 121.57142857 121.71428571 121.85714286 122.\n 122.14285714 122.28571429 122.42857143 122.57142857 122.71428571\n 122.85714286 123.         123.14285714 123.28571429 123.42857143\n 123.57142857 123.71428571 123.85714286 124.         124.14285714\n 124.28571429 124.42857143 124.57142857 124.71428571 124.85714286\n 125.         125.14285714 125.28571429 125.42857143 125.57142857\n 125.71428571 125.85714286 126.         126.14285714 126.28571429\n 126.42857143 126.57142857 126.71428571 126.85714286 127.\n 127.14285714 127.28571429 127.42857143 127.57142857 127.71428571\n 127.85714286 128.         128.14285714 128.28571429 128.42857143\n 128.57142857 128.71428571 128.85714286 129.         129.14285714\n 129.28571429 129.42857143 129.57142857 129.71428571 129.85714286\n 130.         130.14285714 130.28571429 130.42857143 130.57142857\n 130.71428571 130.85714286 131.         131.14285714 131.28571429\n 131.42857143 131.57142857 131.71428571 131.85714286 132.\n 132.14285714 132.28571429 132.42857143 132.57142857 132.71428571\n 132.85714286 133.         133.14285714 133.28571429 133.42857143\n 133.57142857 133.71428571 133.85714286 134.         134.14285714\n 134.28571429 134.42857143 134.57142857 134.71428571 134.85714286\n 135.         135.14285714 135.28571429 135.42857143 135.57142857\n 135.71428571 135.85714286 136.         136.14285714 136.28571429\n 136.42857143 136.57142857 136.71428571 136.85714286 137.\n 137.14285714 137.28571429 137.42857143 137.57142857 137.71428571\n 137.85714286 138.         138.14285714 138.28571429 138.42857143\n 138.57142857 138.71428571 138.85714286 139.         139.14285714\n 139.28571429 139.42857143 139.57142857 139.71428571 139.85714286\n 140.         140.14285714 140.28571429 140.42857143 140.57142857\n 140.71428571 140.85714286 141.         141.14285714 141.28571429\n 141.42857143 141.57142857 141.71428571 141.85714286 142.\n 142.14285714 142.28571429 142.42857143 142.57142857 142.71428571]"),
        ("summary_1d", &[2000], "[0.00000000e+00 1.42857143e-01 2.85714286e-01 ... 2.85285714e+02\n 2.85428571e+02 2.85571429e+02]"),
        ("summary_2d", &[40, 50], "[[0.00000000e+00 1.42857143e-01 2.85714286e-01 ... 6.71428571e+00\n  6.85714286e+00 7.00000000e+00]\n [7.14285714e+00 7.28571429e+00 7.42857143e+00 ... 1.38571429e+01\n  1.40000000e+01 1.41428571e+01]\n [1.42857143e+01 1.44285714e+01 1.45714286e+01 ... 2.10000000e+01\n  2.11428571e+01 2.12857143e+01]\n ...\n [2.64285714e+02 2.64428571e+02 2.64571429e+02 ... 2.71000000e+02\n  2.71142857e+02 2.71285714e+02]\n [2.71428571e+02 2.71571429e+02 2.71714286e+02 ... 2.78142857e+02\n  2.78285714e+02 2.78428571e+02]\n [2.78571429e+02 2.78714286e+02 2.78857143e+02 ... 2.85285714e+02\n  2.85428571e+02 2.85571429e+02]]"),
        ("summary_2x1000", &[2, 1000], "[[0.00000000e+00 1.42857143e-01 2.85714286e-01 ... 1.42428571e+02\n  1.42571429e+02 1.42714286e+02]\n [1.42857143e+02 1.43000000e+02 1.43142857e+02 ... 2.85285714e+02\n  2.85428571e+02 2.85571429e+02]]"),
        ("summary_column", &[1001, 1], "[[0.00000000e+00]\n [1.42857143e-01]\n [2.85714286e-01]\n ...\n [1.42571429e+02]\n [1.42714286e+02]\n [1.42857143e+02]]"),
        ("summary_wide_rows", &[3, 400], "[[0.00000000e+00 1.42857143e-01 2.85714286e-01 ... 5.67142857e+01\n  5.68571429e+01 5.70000000e+01]\n [5.71428571e+01 5.72857143e+01 5.74285714e+01 ... 1.13857143e+02\n  1.14000000e+02 1.14142857e+02]\n [1.14285714e+02 1.14428571e+02 1.14571429e+02 ... 1.71000000e+02\n  1.71142857e+02 1.71285714e+02]]"),
    ];

    const SEQ_F32: &[(&str, &[usize], &str)] = &[
        ("summary_1001_f32", &[1001], "[  0.           0.14285715   0.2857143  ... 142.57143    142.71428\n 142.85715   ]"),
        ("summary_3d_f32", &[10, 10, 20], "[[[0.0000000e+00 1.4285715e-01 2.8571430e-01 ... 2.4285715e+00\n   2.5714285e+00 2.7142856e+00]\n  [2.8571429e+00 3.0000000e+00 3.1428571e+00 ... 5.2857141e+00\n   5.4285712e+00 5.5714288e+00]\n  [5.7142859e+00 5.8571429e+00 6.0000000e+00 ... 8.1428576e+00\n   8.2857141e+00 8.4285717e+00]\n  ...\n  [2.0000000e+01 2.0142857e+01 2.0285715e+01 ... 2.2428572e+01\n   2.2571428e+01 2.2714285e+01]\n  [2.2857143e+01 2.3000000e+01 2.3142857e+01 ... 2.5285715e+01\n   2.5428572e+01 2.5571428e+01]\n  [2.5714285e+01 2.5857143e+01 2.6000000e+01 ... 2.8142857e+01\n   2.8285715e+01 2.8428572e+01]]\n\n [[2.8571428e+01 2.8714285e+01 2.8857143e+01 ... 3.1000000e+01\n   3.1142857e+01 3.1285715e+01]\n  [3.1428572e+01 3.1571428e+01 3.1714285e+01 ... 3.3857143e+01\n   3.4000000e+01 3.4142857e+01]\n  [3.4285713e+01 3.4428570e+01 3.4571430e+01 ... 3.6714287e+01\n   3.6857143e+01 3.7000000e+01]\n  ...\n  [4.8571430e+01 4.8714287e+01 4.8857143e+01 ... 5.1000000e+01\n   5.1142857e+01 5.1285713e+01]\n  [5.1428570e+01 5.1571430e+01 5.1714287e+01 ... 5.3857143e+01\n   5.4000000e+01 5.4142857e+01]\n  [5.4285713e+01 5.4428570e+01 5.4571430e+01 ... 5.6714287e+01\n   5.6857143e+01 5.7000000e+01]]\n\n [[5.7142857e+01 5.7285713e+01 5.7428570e+01 ... 5.9571430e+01\n   5.9714287e+01 5.9857143e+01]\n  [6.0000000e+01 6.0142857e+01 6.0285713e+01 ... 6.2428570e+01\n   6.2571430e+01 6.2714287e+01]\n  [6.2857143e+01 6.3000000e+01 6.3142857e+01 ... 6.5285713e+01\n   6.5428574e+01 6.5571426e+01]\n  ...\n  [7.7142860e+01 7.7285713e+01 7.7428574e+01 ... 7.9571426e+01\n   7.9714287e+01 7.9857140e+01]\n  [8.0000000e+01 8.0142860e+01 8.0285713e+01 ... 8.2428574e+01\n   8.2571426e+01 8.2714287e+01]\n  [8.2857140e+01 8.3000000e+01 8.3142860e+01 ... 8.5285713e+01\n   8.5428574e+01 8.5571426e+01]]\n\n ...\n\n [[2.0000000e+02 2.0014285e+02 2.0028572e+02 ... 2.0242857e+02\n   2.0257143e+02 2.0271428e+02]\n  [2.0285715e+02 2.0300000e+02 2.0314285e+02 ... 2.0528572e+02\n   2.0542857e+02 2.0557143e+02]\n  [2.0571428e+02 2.0585715e+02 2.0600000e+02 ... 2.0814285e+02\n   2.0828572e+02 2.0842857e+02]\n  ...\n  [2.2000000e+02 2.2014285e+02 2.2028572e+02 ... 2.2242857e+02\n   2.2257143e+02 2.2271428e+02]\n  [2.2285715e+02 2.2300000e+02 2.2314285e+02 ... 2.2528572e+02\n   2.2542857e+02 2.2557143e+02]\n  [2.2571428e+02 2.2585715e+02 2.2600000e+02 ... 2.2814285e+02\n   2.2828572e+02 2.2842857e+02]]\n\n [[2.2857143e+02 2.2871428e+02 2.2885715e+02 ... 2.3100000e+02\n   2.3114285e+02 2.3128572e+02]\n  [2.3142857e+02 2.3157143e+02 2.3171428e+02 ... 2.3385715e+02\n   2.3400000e+02 2.3414285e+02]\n  [2.3428572e+02 2.3442857e+02 2.3457143e+02 ... 2.3671428e+02\n   2.3685715e+02 2.3700000e+02]\n  ...\n  [2.4857143e+02 2.4871428e+02 2.4885715e+02 ... 2.5100000e+02\n   2.5114285e+02 2.5128572e+02]\n  [2.5142857e+02 2.5157143e+02 2.5171428e+02 ... 2.5385715e+02\n   2.5400000e+02 2.5414285e+02]\n  [2.5428572e+02 2.5442857e+02 2.5457143e+02 ... 2.5671429e+02\n   2.5685715e+02 2.5700000e+02]]\n\n [[2.5714285e+02 2.5728571e+02 2.5742856e+02 ... 2.5957144e+02\n   2.5971429e+02 2.5985715e+02]\n  [2.6000000e+02 2.6014285e+02 2.6028571e+02 ... 2.6242856e+02\n   2.6257144e+02 2.6271429e+02]\n  [2.6285715e+02 2.6300000e+02 2.6314285e+02 ... 2.6528571e+02\n   2.6542856e+02 2.6557144e+02]\n  ...\n  [2.7714285e+02 2.7728571e+02 2.7742856e+02 ... 2.7957144e+02\n   2.7971429e+02 2.7985715e+02]\n  [2.8000000e+02 2.8014285e+02 2.8028571e+02 ... 2.8242856e+02\n   2.8257144e+02 2.8271429e+02]\n  [2.8285715e+02 2.8300000e+02 2.8314285e+02 ... 2.8528571e+02\n   2.8542856e+02 2.8557144e+02]]]"),
    ];

    fn from_parts<T: Clone>(shape: &[usize], data: &[T]) -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape matches data")
    }

    #[test]
    fn float64_matches_numpy() {
        for &(name, shape, data, expected) in CASES_F64 {
            assert_eq!(
                array_str(&from_parts(shape, data)),
                expected,
                "case {name} {data:?}"
            );
        }
    }

    #[test]
    fn float32_matches_numpy() {
        for &(name, shape, data, expected) in CASES_F32 {
            assert_eq!(
                array_str(&from_parts(shape, data)),
                expected,
                "case {name} {data:?}"
            );
        }
    }

    #[test]
    fn sequences_match_numpy() {
        for &(name, shape, expected) in SEQ_F64 {
            let n: usize = shape.iter().product();
            let data: Vec<f64> = (0..n).map(|i| i as f64 / 7.0).collect();
            assert_eq!(
                array_str(&from_parts(shape, &data)),
                expected,
                "case {name}"
            );
        }
        for &(name, shape, expected) in SEQ_F32 {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| i as f32 / 7.0).collect();
            assert_eq!(
                array_str(&from_parts(shape, &data)),
                expected,
                "case {name}"
            );
        }
    }

    #[test]
    fn dezero_variable_wrapper_shape() {
        // DeZero's repr indents continuation lines by 9 columns.
        let a = from_parts(&[2, 2], &[1.0_f64, 2.0, 3.0, 4.0]);
        let repr = format!("variable({})", array_str(&a).replace('\n', "\n         "));
        assert_eq!(repr, "variable([[1. 2.]\n          [3. 4.]])");
    }

    #[test]
    fn non_contiguous_views_print_logically() {
        let a = from_parts(&[2, 3], &[1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = a.t().to_owned();
        assert_eq!(array_str(&t), "[[1. 4.]\n [2. 5.]\n [3. 6.]]");
        let r = a.reversed_axes();
        assert_eq!(array_str(&r), "[[1. 4.]\n [2. 5.]\n [3. 6.]]");
    }
}
