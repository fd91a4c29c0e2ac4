//! DOT output of define-by-run graphs, as DeZero's `get_dot_graph` writes
//! it, and drawing through Graphviz's `dot`.

#[path = "common/tools.rs"]
mod tools;

use dezero::functions::{exp, sin};
use dezero::graph::{get_dot_graph, plot_dot_graph, render_dot_with};
use dezero::{Error, Variable};
use ndarray::{ArrayD, IxDyn};

fn named(shape: &[usize], name: &str) -> Variable<f64> {
    Variable::with_name(ArrayD::zeros(IxDyn(shape)), name)
}

/// `y = sin(x) + x`: DeZero writes the output, then each Function (last
/// found first) with its edges, then the Function's inputs, once per use.
#[test]
fn verbose_graph_matches_dezeros_layout() {
    let x = named(&[2, 3], "x");
    let y = &sin(&x) + &x;
    y.set_name(Some("y".into()));
    let expected = "digraph g {
0 [label=\"y: (2, 3) float64\", color=orange, style=filled]
1 [label=\"Add\", color=lightblue, style=filled, shape=box]
2 -> 1
3 -> 1
1 -> 0
2 [label=\"(2, 3) float64\", color=orange, style=filled]
3 [label=\"x: (2, 3) float64\", color=orange, style=filled]
4 [label=\"Sin\", color=lightblue, style=filled, shape=box]
3 -> 4
4 -> 2
3 [label=\"x: (2, 3) float64\", color=orange, style=filled]
}";
    assert_eq!(get_dot_graph(&y, true), expected);
    // The same graph always gives the same text.
    assert_eq!(get_dot_graph(&y, true), expected);
}

#[test]
fn plain_graph_has_names_only() {
    let x = named(&[2, 3], "x");
    let y = &sin(&x) + &x;
    let dot = get_dot_graph(&y, false);
    assert!(dot.starts_with("digraph g {\n0 [label=\"\", color=orange, style=filled]\n"));
    assert!(dot.contains("3 [label=\"x\", color=orange, style=filled]\n"));
    assert!(!dot.contains("float64"));
}

#[test]
fn verbose_labels_follow_python_tuples_and_dtype() {
    let s = Variable::<f32>::scalar(1.0);
    s.set_name(Some("s".into()));
    let v = Variable::<f32>::new(ArrayD::zeros(IxDyn(&[4])));
    let y = &s * &v;
    let dot = get_dot_graph(&y, true);
    assert!(
        dot.contains("[label=\"(4,) float32\", color=orange"),
        "{dot}"
    );
    assert!(
        dot.contains("[label=\"s: () float32\", color=orange"),
        "{dot}"
    );
    assert!(dot.contains("[label=\"Mul\", color=lightblue"), "{dot}");
}

/// A Function reached twice is written once; its input is written once per
/// use.
#[test]
fn shared_function_written_once() {
    let x = named(&[1], "x");
    let a = exp(&x);
    let z = &a * &a;
    let dot = get_dot_graph(&z, false);
    assert_eq!(dot.matches("label=\"Exp\"").count(), 1, "{dot}");
    assert_eq!(dot.matches("label=\"Mul\"").count(), 1, "{dot}");
    // Mul's two inputs are the same variable, so two edges from one node.
    assert_eq!(dot.matches("2 -> 1\n").count(), 2, "{dot}");
}

#[test]
fn leaf_output_is_one_node() {
    let x = named(&[1], "x");
    assert_eq!(
        get_dot_graph(&x, false),
        "digraph g {\n0 [label=\"x\", color=orange, style=filled]\n}"
    );
}

#[test]
fn names_are_escaped() {
    let x = named(&[1], "say \"hi\"");
    assert!(get_dot_graph(&x, false).contains(r#"[label="say \"hi\"", "#));
}

#[test]
fn missing_program_is_named() {
    let x = named(&[1], "x");
    let dir = std::env::temp_dir();
    let err = render_dot_with(
        "dezero-no-such-dot",
        &get_dot_graph(&x, true),
        dir.join("dezero-graph-missing.png"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Program { ref program, .. } if program == "dezero-no-such-dot"));
    let msg = err.to_string();
    assert!(
        msg.starts_with("program `dezero-no-such-dot`: not found; install Graphviz"),
        "{msg}"
    );
}

#[test]
fn failing_program_reports_its_exit() {
    let err = render_dot_with("false", "digraph g {}", "g.png").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("program `false`: failed to write `g.png`"),
        "{msg}"
    );
}

#[test]
fn output_without_extension_is_refused() {
    let err = render_dot_with("dot", "digraph g {}", "graph").unwrap_err();
    assert_eq!(
        err.to_string(),
        "program `dot`: cannot pick an output format: `graph` has no extension (such as `.png`)"
    );
}

/// With Graphviz installed the PNG is written; without it the error names
/// `dot` (and the drawing is reported skipped, or fails the test when
/// `DEZERO_REQUIRE_TOOLS=1`: see `tests/common/tools.rs`).
#[test]
fn plot_dot_graph_draws_png_or_names_dot() {
    let x = named(&[2], "x");
    let y = &sin(&x) + &x;
    let out = std::env::temp_dir().join(format!("dezero-graph-{}.png", std::process::id()));
    let have_dot = tools::dot("plot_dot_graph_draws_png_or_names_dot (the PNG it draws)");
    let result = plot_dot_graph(&y, true, &out);
    if have_dot {
        result.expect("dot is installed, so the graph is drawn");
        let png = std::fs::read(&out).expect("the PNG was written");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        std::fs::remove_file(&out).ok();
    } else {
        let msg = result.unwrap_err().to_string();
        assert!(msg.starts_with("program `dot`: not found"), "{msg}");
        assert!(!out.exists());
    }
}

/// The arguments and input `dot` gets, seen through a stand-in script that
/// records its arguments and copies its input to the `-o` file.
#[cfg(unix)]
#[test]
fn dot_gets_format_output_and_text() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("dezero-fake-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("fake-dot");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\ncat > \"$3\"\n",
            dir.join("args").display()
        ),
    )
    .expect("write script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let x = named(&[2], "x");
    let y = exp(&x);
    let out = dir.join("graph.svg");
    // A script just written may briefly be "busy" while a process spawned
    // by another test still holds its write handle; try again then.
    let mut tries = 0;
    while let Err(e) = render_dot_with(&script, &get_dot_graph(&y, false), &out) {
        tries += 1;
        assert!(
            tries < 20 && e.to_string().contains("busy"),
            "fake dot failed: {e}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let args = std::fs::read_to_string(dir.join("args")).expect("args recorded");
    assert_eq!(args.trim(), format!("-Tsvg -o {}", out.display()));
    let text = std::fs::read_to_string(&out).expect("output written");
    assert_eq!(text, get_dot_graph(&y, false));
    std::fs::remove_dir_all(&dir).ok();
}
