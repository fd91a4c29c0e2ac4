//! Drawing define-by-run graphs with Graphviz (DeZero's `get_dot_graph` and
//! `plot_dot_graph`, step 26).
//!
//! [`get_dot_graph`] walks back from an output through creators and writes
//! the graph in the DOT language: variables are orange ellipses, Functions
//! light-blue boxes. [`plot_dot_graph`] hands that text to Graphviz's `dot`
//! program, which must be installed to draw images.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::function::FuncNode;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// The graph behind `output` in Graphviz's DOT language, as DeZero's
/// `get_dot_graph(output, verbose)` writes it.
///
/// Each variable is a node labelled with its name (empty when unnamed); with
/// `verbose`, the label also gives the shape and dtype as NumPy prints them
/// (`x: (2, 3) float32`). Each Function is a box labelled with its class
/// name (`Add`, `Sigmoid`), with an edge from each input and one to each
/// output. Functions are visited in DeZero's order (last found, first
/// written), and a variable used by several Functions is written once per
/// use, as DeZero does; Graphviz merges the repeats.
///
/// Nodes are numbered from 0 in the order they are first written, so the
/// same graph always gives the same text (DeZero uses Python's `id`, which
/// changes from run to run). Quotes and backslashes in names are escaped.
///
/// A variable without a creator gives a graph of that one node (DeZero
/// fails on it).
///
/// ```
/// // Step 26: `y = x0 + x1` drawn as DOT.
/// use dezero_runtime::{graph::get_dot_graph, Variable};
/// use ndarray::arr1;
/// let x0 = Variable::with_name(arr1(&[1.0_f32]).into_dyn(), "x0");
/// let x1 = Variable::with_name(arr1(&[1.0_f32]).into_dyn(), "x1");
/// let y = &x0 + &x1;
/// y.set_name(Some("y".into()));
/// assert_eq!(
///     get_dot_graph(&y, false),
///     "digraph g {\n\
///      0 [label=\"y\", color=orange, style=filled]\n\
///      1 [label=\"Add\", color=lightblue, style=filled, shape=box]\n\
///      2 -> 1\n\
///      3 -> 1\n\
///      1 -> 0\n\
///      2 [label=\"x0\", color=orange, style=filled]\n\
///      3 [label=\"x1\", color=orange, style=filled]\n\
///      }"
/// );
/// assert!(get_dot_graph(&y, true).contains("[label=\"x0: (1,) float32\""));
/// ```
pub fn get_dot_graph<T: Scalar>(output: &Variable<T>, verbose: bool) -> String {
    let mut ids = NodeIds::default();
    let mut txt = String::new();
    let mut funcs: Vec<Arc<FuncNode<T>>> = Vec::new();
    let mut seen: HashSet<*const FuncNode<T>> = HashSet::new();
    let mut add_func = |f: Arc<FuncNode<T>>, funcs: &mut Vec<Arc<FuncNode<T>>>| {
        if seen.insert(Arc::as_ptr(&f)) {
            funcs.push(f);
        }
    };

    if let Some(f) = output.creator_node() {
        add_func(f, &mut funcs);
    }
    dot_var(&mut txt, &mut ids, output, verbose);

    while let Some(f) = funcs.pop() {
        dot_func(&mut txt, &mut ids, &f);
        for x in &f.inputs {
            dot_var(&mut txt, &mut ids, x, verbose);
            if let Some(c) = x.creator_node() {
                add_func(c, &mut funcs);
            }
        }
    }
    format!("digraph g {{\n{txt}}}")
}

/// Draws the graph behind `output` into `to_file` with Graphviz's `dot`
/// program (DeZero's `plot_dot_graph(output, verbose, to_file)`).
///
/// The image format is `to_file`'s extension (`graph.png`, `graph.svg`,
/// `graph.pdf`), passed to `dot` as `-T`. The DOT text goes to `dot` on its
/// standard input, so no temporary file is left behind (DeZero writes
/// `~/.dezero/tmp_graph.dot`).
///
/// ```no_run
/// // Step 35: draw the graph of a higher-order derivative.
/// use dezero_runtime::{functions::tanh, graph::plot_dot_graph, Variable};
/// let x = Variable::with_name(ndarray::arr0(1.0_f64).into_dyn(), "x");
/// let y = tanh(&x);
/// plot_dot_graph(&y, false, "tanh.png")?;
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Program`] naming `dot` when it is not installed (or cannot be
/// run), when it fails (with what it printed), or when `to_file` has no
/// extension to pick a format from.
pub fn plot_dot_graph<T: Scalar>(
    output: &Variable<T>,
    verbose: bool,
    to_file: impl AsRef<Path>,
) -> Result<()> {
    render_dot(&get_dot_graph(output, verbose), to_file)
}

/// Renders DOT text into `to_file` with Graphviz's `dot` program, the
/// format taken from the file's extension.
///
/// ```no_run
/// use dezero_runtime::graph::render_dot;
/// render_dot("digraph g {\n0 -> 1\n}", "edge.svg")?;
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// As [`plot_dot_graph`].
pub fn render_dot(dot: &str, to_file: impl AsRef<Path>) -> Result<()> {
    render_dot_with("dot", dot, to_file)
}

/// [`render_dot`] with another Graphviz layout program (`neato`, `circo`)
/// or a `dot` that is not on the `PATH`.
///
/// ```
/// use dezero_runtime::graph::render_dot_with;
/// let err = render_dot_with("no-such-dot-program", "digraph g {}", "g.png").unwrap_err();
/// assert!(err.to_string().starts_with("program `no-such-dot-program`: not found"));
/// ```
///
/// # Errors
/// [`Error::Program`] naming `program` when it cannot be found or run,
/// when it exits with an error (with what it printed), or when `to_file`
/// has no extension to pick a format from.
pub fn render_dot_with(
    program: impl AsRef<OsStr>,
    dot: &str,
    to_file: impl AsRef<Path>,
) -> Result<()> {
    let (program, to_file) = (program.as_ref(), to_file.as_ref());
    let fail = |message: String| Error::Program {
        program: program.to_string_lossy().into_owned(),
        message,
    };
    let format = to_file
        .extension()
        .and_then(OsStr::to_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            fail(format!(
                "cannot pick an output format: `{}` has no extension (such as `.png`)",
                to_file.display()
            ))
        })?;

    let mut child = Command::new(program)
        .arg(format!("-T{format}"))
        .arg("-o")
        .arg(to_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                fail(format!(
                    "not found; install Graphviz (https://graphviz.org) to draw graphs ({e})"
                ))
            } else {
                fail(format!("cannot be run: {e}"))
            }
        })?;

    // Written from a thread so that a program that fills its stderr pipe
    // before reading all of stdin cannot deadlock us.
    let writer = child.stdin.take().map(|mut stdin| {
        let text = dot.to_owned();
        std::thread::spawn(move || stdin.write_all(text.as_bytes()))
    });
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("did not finish: {e}")))?;
    let written = writer.map(|w| w.join());
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(fail(format!(
            "failed to write `{}` ({}): {}",
            to_file.display(),
            out.status,
            stderr.trim()
        )));
    }
    match written {
        Some(Ok(Err(e))) => Err(fail(format!("could not be sent the graph: {e}"))),
        Some(Err(_)) => Err(fail("could not be sent the graph".to_string())),
        _ => Ok(()),
    }
}

/// Numbers nodes in the order they are first written.
#[derive(Default)]
struct NodeIds(HashMap<*const (), usize>);

impl NodeIds {
    fn of(&mut self, ptr: *const ()) -> usize {
        let next = self.0.len();
        *self.0.entry(ptr).or_insert(next)
    }
}

/// One variable node (DeZero's `_dot_var`).
fn dot_var<T: Scalar>(txt: &mut String, ids: &mut NodeIds, v: &Variable<T>, verbose: bool) {
    let name = v.name();
    let mut label = name.clone().unwrap_or_default();
    if verbose && v.has_data() {
        if name.is_some() {
            label.push_str(": ");
        }
        let _ = write!(label, "{} {}", py_tuple(&v.shape()), v.dtype());
    }
    let id = ids.of(v.ptr().cast());
    let _ = writeln!(
        txt,
        "{id} [label=\"{}\", color=orange, style=filled]",
        escape(&label)
    );
}

/// One Function node and its edges (DeZero's `_dot_func`).
fn dot_func<T: Scalar>(txt: &mut String, ids: &mut NodeIds, f: &Arc<FuncNode<T>>) {
    let fid = ids.of(Arc::as_ptr(f).cast());
    let _ = writeln!(
        txt,
        "{fid} [label=\"{}\", color=lightblue, style=filled, shape=box]",
        escape(f.func.name())
    );
    for x in &f.inputs {
        let _ = writeln!(txt, "{} -> {fid}", ids.of(x.ptr().cast()));
    }
    // An output that has been dropped has no node to point to (DeZero would
    // point at `id(None)`).
    for y in f.live_outputs() {
        let _ = writeln!(txt, "{fid} -> {}", ids.of(y.ptr().cast()));
    }
}

/// A shape as Python prints a tuple: `()`, `(3,)`, `(2, 3)`.
fn py_tuple(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let items: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", items.join(", "))
        }
    }
}

/// Escapes a label for a double-quoted DOT string.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_print_like_python() {
        assert_eq!(py_tuple(&[]), "()");
        assert_eq!(py_tuple(&[3]), "(3,)");
        assert_eq!(py_tuple(&[2, 3]), "(2, 3)");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape(r#"a "b" \c"#), r#"a \"b\" \\c"#);
    }
}
