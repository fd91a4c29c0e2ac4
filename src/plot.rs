//! PNG plots of the figures the book draws with matplotlib: data with a
//! fitted curve (steps 43 and 45), a loss curve, and a classifier's
//! decision regions (step 48).
//!
//! ```no_run
//! // Step 48's figure, after training `model` on the spiral `(x, t)`.
//! use dezero::{datasets::get_spiral, plot, Layer, MLP};
//! let (x, t) = get_spiral(true);
//! let model = MLP::new(&[10, 3]);
//! plot::plot_decision_regions("step48.png", |x| model.forward(x), &x, &t)?;
//! # Ok::<(), dezero::Error>(())
//! ```
//!
//! # Text
//!
//! Axis numbers and names are drawn with a TrueType font read at run time:
//! the file named by the `DEZERO_PLOT_FONT` environment variable, or else
//! the first of a few common system fonts (DejaVu Sans, Liberation Sans,
//! Arial). With none of them (or `DEZERO_PLOT_FONT` set to an empty
//! string), plots are drawn without text. Building needs no font library:
//! fonts are read by the pure-Rust `ab_glyph`.
//!
//! ```
//! // Plots without text, as on a machine without fonts. The choice is made
//! // once per program, at the first plot.
//! std::env::set_var("DEZERO_PLOT_FONT", "");
//! let path = std::env::temp_dir().join(format!("dezero-doc-no-text-{}.png", std::process::id()));
//! dezero::plot::plot_losses(&path, &[1.0_f64, 0.5, 0.25][..])?;
//! assert!(std::fs::read(&path)?.starts_with(b"\x89PNG"));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use dezero_runtime::{no_grad, Error, Result, Scalar, Variable};
use ndarray::{Array2, ArrayBase, Data, Dimension, Ix2};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::ReverseCoordTranslate;
use plotters::prelude::*;

// ---------------------------------------------------------------------------
// Values to plot
// ---------------------------------------------------------------------------

/// Numbers that can be plotted: an array or view of any shape (read in
/// logical order), a slice or `Vec`, or a [`Variable`]'s data, of `f32` or
/// `f64`.
///
/// ```
/// use dezero::plot::Values;
/// use ndarray::array;
/// assert_eq!(array![[1.0_f32], [2.0]].values(), [1.0, 2.0]);
/// assert_eq!(vec![0.5_f64, 0.25].values(), [0.5, 0.25]);
/// ```
pub trait Values {
    /// The numbers, widened to `f64`.
    fn values(&self) -> Vec<f64>;
}

impl<S: Data<Elem = T>, D: Dimension, T: Scalar> Values for ArrayBase<S, D> {
    fn values(&self) -> Vec<f64> {
        self.iter().map(|v| v.to_f64_lossless()).collect()
    }
}

impl<T: Scalar> Values for [T] {
    fn values(&self) -> Vec<f64> {
        self.iter().map(|v| v.to_f64_lossless()).collect()
    }
}

impl<T: Scalar> Values for Vec<T> {
    fn values(&self) -> Vec<f64> {
        self.as_slice().values()
    }
}

impl<T: Scalar> Values for Variable<T> {
    /// The data of the variable.
    ///
    /// # Panics
    /// If its data was freed.
    fn values(&self) -> Vec<f64> {
        self.data().values()
    }
}

// ---------------------------------------------------------------------------
// The plots
// ---------------------------------------------------------------------------

/// Size of the line plots, in pixels.
const LINE_PLOT_SIZE: (u32, u32) = (640, 480);
/// Size of the decision-region plot, in pixels.
const REGION_PLOT_SIZE: (u32, u32) = (600, 600);

/// Draws the data `(x, y)` as dots and the curve `(curve_x, curve_y)` as a
/// line over them, into a PNG at `path` (steps 43 and 45: the noisy sine and
/// the network's fit, `plt.scatter(x, y)` then `plt.plot(t, y_pred)`).
///
/// Each pair is read in logical order, so `(100, 1)` columns work as they
/// are. The axes span both the data and the curve.
///
/// ```
/// use dezero::plot::plot_fit;
/// use ndarray::Array1;
/// let x = Array1::linspace(0.0_f64, 1.0, 20);
/// let y = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin());
/// let path = std::env::temp_dir().join(format!("dezero-doc-plot-fit-{}.png", std::process::id()));
/// plot_fit(&path, &x, &y, &x, &y)?;
/// assert!(path.exists());
/// # Ok::<(), dezero::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `x` and `y`, or `curve_x` and `curve_y`, differ in
/// length, or if there is nothing to plot; [`Error::Io`] if the file cannot
/// be written.
pub fn plot_fit(
    path: impl AsRef<Path>,
    x: &(impl Values + ?Sized),
    y: &(impl Values + ?Sized),
    curve_x: &(impl Values + ?Sized),
    curve_y: &(impl Values + ?Sized),
) -> Result<()> {
    let path = path.as_ref();
    let points = pairs("plot_fit", "x and y", x.values(), y.values())?;
    let curve = pairs(
        "plot_fit",
        "curve_x and curve_y",
        curve_x.values(),
        curve_y.values(),
    )?;
    if points.is_empty() && curve.is_empty() {
        return Err(nothing_to_plot("plot_fit"));
    }
    let all: Vec<(f64, f64)> = points.iter().chain(&curve).copied().collect();
    let (xs, ys) = padded_ranges(&all, 0.05);
    draw_fit(path, xs, ys, &points, &curve).map_err(|e| e.at(path))
}

/// Draws [`plot_fit`]'s figure.
fn draw_fit(
    path: &Path,
    xs: (f64, f64),
    ys: (f64, f64),
    points: &[(f64, f64)],
    curve: &[(f64, f64)],
) -> DrawResult {
    let root = BitMapBackend::new(path, LINE_PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = chart_on(&root, xs, ys)?;
    mesh(&mut chart, Some("x"), "y")?;
    chart.draw_series(
        points
            .iter()
            .map(|&p| Circle::new(p, 3, BLUE.mix(0.8).filled())),
    )?;
    chart.draw_series(LineSeries::new(curve.iter().copied(), RED.stroke_width(2)))?;
    root.present()?;
    Ok(())
}

/// Draws `losses[i]` against step `i + 1` (an epoch or an iteration) as a
/// line, into a PNG at `path`: the loss curve of a training run.
///
/// ```
/// use dezero::plot::plot_losses;
/// let losses: Vec<f64> = (1..=300).map(|e| 1.1 / f64::from(e).sqrt()).collect();
/// let path = std::env::temp_dir().join(format!("dezero-doc-plot-losses-{}.png", std::process::id()));
/// plot_losses(&path, &losses)?;
/// assert!(path.exists());
/// # Ok::<(), dezero::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `losses` is empty; [`Error::Io`] if the file cannot
/// be written.
pub fn plot_losses(path: impl AsRef<Path>, losses: &(impl Values + ?Sized)) -> Result<()> {
    let path = path.as_ref();
    let losses = losses.values();
    if losses.is_empty() {
        return Err(nothing_to_plot("plot_losses"));
    }
    let curve: Vec<(f64, f64)> = (1..).map(f64::from).zip(losses).collect();
    let (xs, mut ys) = padded_ranges(&curve, 0.02);
    // A loss curve reads best with zero in view.
    ys.0 = ys.0.min(0.0);
    draw_losses(path, xs, ys, &curve).map_err(|e| e.at(path))
}

/// Draws [`plot_losses`]'s figure.
fn draw_losses(path: &Path, xs: (f64, f64), ys: (f64, f64), curve: &[(f64, f64)]) -> DrawResult {
    let root = BitMapBackend::new(path, LINE_PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = chart_on(&root, xs, ys)?;
    mesh(&mut chart, None, "loss")?;
    chart.draw_series(LineSeries::new(curve.iter().copied(), BLUE.stroke_width(2)))?;
    root.present()?;
    Ok(())
}

/// Draws the class a model predicts over the plane as coloured regions, and
/// the points `x` (one per row, two columns) marked by their classes `t` over
/// them, into a PNG at `path` (step 48's figure: `plt.contourf` of
/// `argmax(model(X))` over a grid, then `plt.scatter` of the data with the
/// book's markers `o x ^` and colours orange, blue, green).
///
/// `predict` maps a batch of points, an `(n, 2)` variable, to class scores
/// `(n, classes)`; the predicted class is the first largest score. It is
/// called without recording graphs (`no_grad`), once for each row of pixels
/// of the plot. The plane shown is the data's extent plus 0.1 on each side,
/// as in the book.
///
/// ```
/// use dezero::plot::plot_decision_regions;
/// use dezero::{functions::matmul, Variable};
/// use ndarray::array;
/// // A linear classifier: class 0 left of x = 0, class 1 right of it.
/// let w = Variable::new(array![[-1.0_f32, 1.0], [0.0, 0.0]].into_dyn());
/// let x = array![[-0.5_f32, 0.0], [0.5, 0.2], [0.3, -0.4]];
/// let path = std::env::temp_dir().join(format!("dezero-doc-regions-{}.png", std::process::id()));
/// plot_decision_regions(&path, |x| matmul(x, &w), &x, &[0, 1, 1])?;
/// assert!(path.exists());
/// # Ok::<(), dezero::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`] if `x` does not have two columns, if `t` does not have
/// one class per row of `x`, if there are no points, or if `predict` does not
/// return one row of scores per point; [`Error::Io`] if the file cannot be
/// written.
pub fn plot_decision_regions<T: Scalar, S: Data<Elem = T>>(
    path: impl AsRef<Path>,
    mut predict: impl FnMut(&Variable<T>) -> Variable<T>,
    x: &ArrayBase<S, Ix2>,
    t: &[usize],
) -> Result<()> {
    let path = path.as_ref();
    let op = "plot_decision_regions";
    if x.ncols() != 2 || x.nrows() == 0 {
        return Err(Error::Shape {
            op: op.into(),
            expected: "points of shape [N, 2], N > 0".into(),
            got: format!("{:?}", x.shape()),
        });
    }
    if t.len() != x.nrows() {
        return Err(Error::Shape {
            op: op.into(),
            expected: format!("{} classes in `t`, one per point", x.nrows()),
            got: format!("{}", t.len()),
        });
    }
    let points: Vec<(f64, f64)> = x
        .rows()
        .into_iter()
        .map(|r| (r[0].to_f64_lossless(), r[1].to_f64_lossless()))
        .collect();
    let (xs, ys) = padded_ranges_abs(&points, 0.1);

    draw_regions(path, xs, ys, &mut predict, &points, t)
}

/// Draws [`plot_decision_regions`]'s figure; errors of `predict`'s output
/// are the crate's, drawing errors are [`Error::Io`].
fn draw_regions<T: Scalar>(
    path: &Path,
    xs: (f64, f64),
    ys: (f64, f64),
    predict: &mut dyn FnMut(&Variable<T>) -> Variable<T>,
    points: &[(f64, f64)],
    t: &[usize],
) -> Result<()> {
    let at = |e: DrawError| e.at(path);
    let root = BitMapBackend::new(path, REGION_PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| at(e.into()))?;
    let mut chart = chart_on(&root, xs, ys).map_err(at)?;

    // The predicted class at every pixel of the plotting area, a row of
    // pixels per call of `predict`.
    let area = chart.plotting_area().use_screen_coord();
    let (px_range, py_range) = chart.plotting_area().get_pixel_range();
    let width = px_range.len();
    for py in py_range {
        let mut grid = Array2::<T>::zeros((width, 2));
        for (i, px) in px_range.clone().enumerate() {
            let (gx, gy) = chart
                .as_coord_spec()
                .reverse_translate((px, py))
                .unwrap_or((f64::NAN, f64::NAN));
            grid[[i, 0]] = T::from_f64_lossy(gx);
            grid[[i, 1]] = T::from_f64_lossy(gy);
        }
        let classes = {
            let _no_grad = no_grad();
            let score = predict(&Variable::new(grid.into_dyn()));
            let score = score.data();
            argmax_rows("plot_decision_regions", score.view(), width)?
        };
        for (px, class) in px_range.clone().zip(classes) {
            area.draw_pixel((px, py), &region_color(class))
                .map_err(|e| at(e.into()))?;
        }
    }
    draw_points(&root, &mut chart, points, t).map_err(at)
}

/// The axes and the marked points over the decision regions.
fn draw_points<'a>(
    root: &DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>,
    chart: &mut Chart<'a>,
    points: &[(f64, f64)],
    t: &[usize],
) -> DrawResult {
    mesh_over_regions(chart)?;
    for (&p, &c) in points.iter().zip(t) {
        let color = point_color(c);
        match c % 3 {
            0 => chart.draw_series([Circle::new(p, 4, color.filled())])?,
            1 => chart.draw_series([Cross::new(p, 4, color.stroke_width(2))])?,
            _ => chart.draw_series([TriangleMarker::new(p, 5, color.filled())])?,
        };
    }
    root.present()?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A drawing failure of plotters, as text (its error type is generic over
/// the backend).
struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>>
    for DrawError
{
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

impl DrawError {
    /// The crate's error for a plot that could not be drawn to `path`.
    fn at(self, path: &Path) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("cannot draw the plot: {}", self.0)),
        }
    }
}

impl fmt::Debug for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the drawing functions return.
type DrawResult = std::result::Result<(), DrawError>;

/// The chart type every plot draws on.
type Chart<'a> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Zips two equally long lists into points.
fn pairs(op: &str, what: &str, a: Vec<f64>, b: Vec<f64>) -> Result<Vec<(f64, f64)>> {
    if a.len() != b.len() {
        return Err(Error::Shape {
            op: op.into(),
            expected: format!("{what} of the same length"),
            got: format!("{} and {}", a.len(), b.len()),
        });
    }
    Ok(a.into_iter().zip(b).collect())
}

/// The error for an empty plot.
fn nothing_to_plot(op: &str) -> Error {
    Error::Shape {
        op: op.into(),
        expected: "at least one value".into(),
        got: "none".into(),
    }
}

/// The finite extent of `points` on each axis, widened by `pad` times its
/// span (or by 1 when the span is 0), so nothing sits on the frame.
fn padded_ranges(points: &[(f64, f64)], pad: f64) -> ((f64, f64), (f64, f64)) {
    let (xs, ys) = extent(points);
    let widen = |(lo, hi): (f64, f64)| {
        let d = if hi > lo { (hi - lo) * pad } else { 1.0 };
        (lo - d, hi + d)
    };
    (widen(xs), widen(ys))
}

/// The finite extent of `points` on each axis, widened by `pad` on each
/// side (the book's `x.min() - .1, x.max() + .1`).
fn padded_ranges_abs(points: &[(f64, f64)], pad: f64) -> ((f64, f64), (f64, f64)) {
    let (xs, ys) = extent(points);
    ((xs.0 - pad, xs.1 + pad), (ys.0 - pad, ys.1 + pad))
}

/// The smallest and largest finite coordinates, `(0, 1)` on an axis with
/// none.
fn extent(points: &[(f64, f64)]) -> ((f64, f64), (f64, f64)) {
    let span = |vals: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = vals
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if lo <= hi {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    };
    (
        span(&mut points.iter().map(|p| p.0)),
        span(&mut points.iter().map(|p| p.1)),
    )
}

/// A chart filling `root`, with room for axis numbers when text is drawn.
fn chart_on<'a>(
    root: &DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>,
    xs: (f64, f64),
    ys: (f64, f64),
) -> std::result::Result<Chart<'a>, DrawError> {
    let mut builder = ChartBuilder::on(root);
    builder.margin(15);
    if text_available() {
        builder.x_label_area_size(40).y_label_area_size(55);
    }
    Ok(builder.build_cartesian_2d(xs.0..xs.1, ys.0..ys.1)?)
}

/// Grid lines, and the axes with their numbers and names (`x_desc` if any)
/// when text is drawn.
fn mesh(chart: &mut Chart<'_>, x_desc: Option<&str>, y_desc: &str) -> DrawResult {
    if !text_available() {
        return grid_without_text(chart, true);
    }
    let mut m = chart.configure_mesh();
    m.light_line_style(BLACK.mix(0.05))
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label);
    if let Some(x_desc) = x_desc {
        m.x_desc(x_desc);
    }
    m.draw()?;
    Ok(())
}

/// Grid lines (when `lines`) and a frame, drawn without plotters' mesh,
/// which needs a font even for empty labels.
fn grid_without_text(chart: &mut Chart<'_>, lines: bool) -> DrawResult {
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    let (y0, y1) = (chart.y_range().start, chart.y_range().end);
    if lines {
        let style = BLACK.mix(0.15);
        let xs = chart.as_coord_spec().x_spec().key_points(10);
        let ys = chart.as_coord_spec().y_spec().key_points(10);
        chart.draw_series(
            xs.into_iter()
                .map(|x| PathElement::new([(x, y0), (x, y1)], style)),
        )?;
        chart.draw_series(
            ys.into_iter()
                .map(|y| PathElement::new([(x0, y), (x1, y)], style)),
        )?;
    }
    chart.draw_series([Rectangle::new([(x0, y0), (x1, y1)], BLACK)])?;
    Ok(())
}

/// An axis number as people write it: `50`, not `50.0`; `0.25`; at most
/// four decimals.
fn tick_label(v: &f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The axes over the decision regions, without grid lines (they would hide
/// the regions' edges).
fn mesh_over_regions(chart: &mut Chart<'_>) -> DrawResult {
    if !text_available() {
        return grid_without_text(chart, false);
    }
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style(("sans-serif", 14))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .draw()?;
    Ok(())
}

/// The index of the first largest score of each of the `n` rows of `score`
/// (NumPy's `argmax(axis=1)`; a NaN counts as largest, as in NumPy).
fn argmax_rows<T: Scalar>(
    op: &str,
    score: ndarray::ArrayViewD<'_, T>,
    n: usize,
) -> Result<Vec<usize>> {
    let shape = score.shape().to_vec();
    let score = match score.into_dimensionality::<Ix2>() {
        Ok(s) if s.nrows() == n && s.ncols() > 0 => s,
        _ => {
            return Err(Error::Shape {
                op: op.into(),
                expected: format!("`predict` to return scores of shape [{n}, classes]"),
                got: format!("{shape:?}"),
            })
        }
    };
    Ok(score
        .rows()
        .into_iter()
        .map(|row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                let b = row[best];
                if b.is_nan() {
                    break;
                }
                if v > b || v.is_nan() {
                    best = j;
                }
            }
            best
        })
        .collect())
}

/// The book's colours for classes 0, 1, 2 (orange, blue, green), and a
/// palette after them.
fn point_color(class: usize) -> RGBColor {
    const COLORS: [RGBColor; 6] = [
        RGBColor(255, 140, 0),
        RGBColor(30, 60, 220),
        RGBColor(20, 150, 40),
        RGBColor(200, 30, 30),
        RGBColor(140, 60, 170),
        RGBColor(90, 90, 90),
    ];
    COLORS[class % COLORS.len()]
}

/// A light version of the class's colour, for its region.
fn region_color(class: usize) -> RGBColor {
    let RGBColor(r, g, b) = point_color(class);
    let light = |c: u8| 255 - (255 - c) / 4;
    RGBColor(light(r), light(g), light(b))
}

// ---------------------------------------------------------------------------
// Fonts
// ---------------------------------------------------------------------------

/// Fonts tried, in order, when `DEZERO_PLOT_FONT` is not set.
const SYSTEM_FONTS: [&str; 7] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Whether a font is registered for text, registering the first usable one
/// on the first call.
///
/// The font's bytes are kept for the life of the program (plotters asks for
/// `'static` data); that happens at most once.
fn text_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let candidates: Vec<std::path::PathBuf> = match std::env::var_os("DEZERO_PLOT_FONT") {
            Some(p) if p.is_empty() => Vec::new(),
            Some(p) => vec![p.into()],
            None => SYSTEM_FONTS.iter().map(Into::into).collect(),
        };
        candidates.iter().any(|p| register_font_file(p))
    })
}

/// Registers the font at `path` as plotters' `sans-serif`; false if it
/// cannot be read or parsed.
fn register_font_file(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_largest() {
        let s = ndarray::array![[0.1_f32, 0.5, 0.5], [2.0, 1.0, 0.0], [0.0, f32::NAN, 9.0]];
        let got = argmax_rows("t", s.view().into_dyn(), 3).unwrap();
        assert_eq!(got, [1, 0, 1]);
    }

    #[test]
    fn argmax_rejects_a_wrong_shape() {
        let s = ndarray::array![[0.1_f32, 0.5]];
        let err = argmax_rows("op", s.view().into_dyn(), 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "op: expected `predict` to return scores of shape [2, classes], got [1, 2]"
        );
    }

    #[test]
    fn ranges_pad_and_ignore_non_finite_values() {
        let pts = [(0.0, 1.0), (10.0, 3.0), (f64::NAN, f64::INFINITY)];
        assert_eq!(padded_ranges(&pts, 0.1), ((-1.0, 11.0), (0.8, 3.2)));
        assert_eq!(padded_ranges(&[(2.0, 2.0)], 0.1), ((1.0, 3.0), (1.0, 3.0)));
        assert_eq!(padded_ranges_abs(&pts, 0.1), ((-0.1, 10.1), (0.9, 3.1)));
    }

    #[test]
    fn mismatched_lengths_name_the_arguments() {
        let dir = std::env::temp_dir();
        let err = plot_fit(
            dir.join("dezero_unit_bad.png"),
            &[1.0_f64][..],
            &[1.0_f64, 2.0][..],
            &[0.0_f64][..],
            &[0.0_f64][..],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plot_fit: expected x and y of the same length, got 1 and 2"
        );
        assert!(plot_losses(dir.join("dezero_unit_empty.png"), &Vec::<f64>::new()).is_err());
    }

    #[test]
    fn tick_labels_drop_needless_digits() {
        let labels: Vec<String> = [50.0, 0.25, -0.4, 1e-9, -1e-9, 0.30000000000000004]
            .iter()
            .map(tick_label)
            .collect();
        assert_eq!(labels, ["50", "0.25", "-0.4", "0", "0", "0.3"]);
    }

    #[test]
    fn region_colors_are_lighter_than_point_colors() {
        for c in 0..3 {
            let (RGBColor(r, g, b), RGBColor(lr, lg, lb)) = (point_color(c), region_color(c));
            assert!(lr >= r && lg >= g && lb >= b);
        }
    }
}
