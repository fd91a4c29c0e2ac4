//! Validation of the syntax tree: one function per rule, each reporting
//! every violation into the [`Ctxt`] at the offending token. Nothing here
//! generates code; shape rules are in [`shape`](crate::shape).

use std::collections::{BTreeMap, BTreeSet};

use quote::{quote, ToTokens};
use syn::Type;

use crate::ctxt::Ctxt;
use crate::parse::{Call, Expr, Field, Function, Model};

mod bodies;
mod sizes;

pub use sizes::{is_nobias, size_of_expr, SizeExpr};
use sizes::{linear_args, size_args_are_usize};

/// The activations `fn forward` may call.
pub const ACTIVATIONS: &[&str] = &["sigmoid", "relu", "tanh"];
/// The losses `fn loss` may end with.
pub const LOSSES: &[&str] = &["mean_squared_error", "softmax_cross_entropy"];
/// The layer types the compiler knows; any other type is a nested model.
pub const LAYER_TYPES: &[&str] = &["Linear"];
/// DeZero's layers (the book's `dezero.layers` and `dezero.functions` that
/// readers declare as layers) that the language does not have: a field of
/// one of these kinds is refused with the list of kinds it has, rather
/// than left to rustc's "cannot find type".
pub const UNSUPPORTED_LAYERS: &[&str] = &[
    "BatchNorm",
    "Conv2d",
    "Deconv2d",
    "EmbedID",
    "RNN",
    "LSTM",
    "Dropout",
    "Conv1d",
    "Embedding",
    "GRU",
    "LayerNorm",
    "MaxPool2d",
    "Pooling",
];
/// The layer kinds of the language, as messages list them.
const KINDS: &str = "`Linear(out_size)` or `Linear(in_size, out_size)` (either with `nobias`), \
     or another `model!` type with its constructor arguments";

/// Runs every rule.
pub fn check(cx: &Ctxt, m: &Model) {
    syntax_errors(cx, m);
    if m.error.is_some() {
        // A field or function is missing from what was read: every rule
        // about names and layers would report its absence again.
        return;
    }
    functions_are_forward_then_loss(cx, m);
    function_params(cx, m);
    model_has_layers(cx, m);
    names_are_unique(cx, m);
    ctor_arg_names_are_free(cx, m);
    layer_types_are_known(cx, m);
    linear_args(cx, m);
    size_args_are_usize(cx, m);
    bodies::resolve(cx, m);
    layers_are_used(cx, m);
}

/// The `fn forward` of a model, if declared (the first one).
pub fn forward_fn(m: &Model) -> Option<&Function> {
    m.fns.iter().find(|f| f.ident == "forward")
}

/// The `fn loss` of a model, if declared (the first one).
pub fn loss_fn(m: &Model) -> Option<&Function> {
    m.fns.iter().find(|f| f.ident == "loss")
}

/// Whether a field declares a built-in `Linear` layer.
pub fn is_linear(f: &Field) -> bool {
    f.ty.is_ident("Linear")
}

/// A syntax error inside a function is reported; the rules below skip that
/// function's parameters and body (what parsed of them is not what was
/// meant).
fn syntax_errors(cx: &Ctxt, m: &Model) {
    if let Some(e) = &m.error {
        cx.syn_error(e.clone());
    }
    for f in &m.fns {
        if let Some(e) = &f.error {
            cx.syn_error(e.clone());
        }
    }
}

/// Whether a function's parameters and body parsed.
fn parsed(f: &Function) -> bool {
    f.error.is_none()
}

/// A model has `fn forward` and at most one `fn loss`, declared after it,
/// and no other functions.
fn functions_are_forward_then_loss(cx: &Ctxt, m: &Model) {
    let mut seen_forward = false;
    let mut seen_loss = false;
    let mut misspelt = false;
    for f in &m.fns {
        if f.ident == "forward" {
            if seen_forward {
                cx.error_spanned_by(
                    &f.ident,
                    "duplicate `fn forward`: a model has one `fn forward(x)`",
                );
            }
            seen_forward = true;
        } else if f.ident == "loss" {
            if seen_loss {
                cx.error_spanned_by(
                    &f.ident,
                    "duplicate `fn loss`: a model has at most one `fn loss(y, t)`",
                );
            } else if !seen_forward {
                cx.error_spanned_by(&f.ident, "`fn loss` must come last, after `fn forward`");
            }
            seen_loss = true;
        } else {
            let near = suggest(&f.ident.to_string(), ["forward", "loss"].iter().copied());
            misspelt |= near == Some("forward");
            let hint = near
                .map(|s| format!("; did you mean `fn {s}`?"))
                .unwrap_or_default();
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "unexpected `fn {}`: a model has `fn forward(x)` and may have \
                     `fn loss(y, t)`{hint}",
                    f.ident
                ),
            );
        }
    }
    // A misspelt `fn forward` was reported already; one error is enough.
    if !seen_forward && !misspelt {
        cx.error_spanned_by(
            &m.ident,
            format!(
                "model `{}` has no `fn forward(x)`: add one after the layers",
                m.ident
            ),
        );
    }
}

/// `fn forward` takes one parameter (the input), `fn loss` two with
/// different names (the output and the target).
fn function_params(cx: &Ctxt, m: &Model) {
    for f in m.fns.iter().filter(|f| parsed(f)) {
        let (want, what) = if f.ident == "forward" {
            (
                1,
                "`fn forward` takes one parameter, the input: `fn forward(x)`",
            )
        } else if f.ident == "loss" {
            (
                2,
                "`fn loss` takes two parameters, the output and the target: `fn loss(y, t)`",
            )
        } else {
            continue;
        };
        if f.params.len() != want {
            cx.error_at(f.paren.span.join(), what);
        } else if want == 2 && f.params[0] == f.params[1] {
            let t = &f.params[1];
            cx.error_spanned_by(
                t,
                format!(
                    "duplicate parameter `{t}`: the output and the target need two names, \
                     e.g. `fn loss(y, t)`"
                ),
            );
        }
    }
}

/// A model declares at least one layer (else there is nothing to train).
fn model_has_layers(cx: &Ctxt, m: &Model) {
    if m.fields.is_empty() {
        cx.error_at(
            m.brace.span.join(),
            format!(
                "model `{}` has no layers: declare at least one, e.g. `l1: Linear(10)`",
                m.ident
            ),
        );
    }
}

/// Layer names are unique, distinct from the built-in functions, and
/// constructor arguments are unique.
fn names_are_unique(cx: &Ctxt, m: &Model) {
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    for f in &m.fields {
        let name = f.ident.to_string();
        if seen.insert(name.clone(), ()).is_some() {
            cx.error_spanned_by(
                &f.ident,
                format!("duplicate layer `{name}`: each layer needs its own name"),
            );
        } else if ACTIVATIONS.contains(&name.as_str()) || LOSSES.contains(&name.as_str()) {
            cx.error_spanned_by(
                &f.ident,
                format!("layer `{name}` has the name of a built-in function: rename the layer"),
            );
        } else if name.starts_with("__") {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "layer name `{name}` is reserved: names starting with `__` are the compiler's"
                ),
            );
        }
    }
    let mut args: BTreeMap<String, ()> = BTreeMap::new();
    for a in ctor_args(m) {
        if args.insert(a.ident.to_string(), ()).is_some() {
            cx.error_spanned_by(
                &a.ident,
                format!(
                    "duplicate constructor argument `{}`: each argument needs its own name",
                    a.ident
                ),
            );
        }
    }
}

/// A constructor argument is named neither like a layer (the layer would
/// hide it while the layers are built) nor like a parameter of the
/// generated `with_rng(.., in_size, rng)`, nor with the compiler's `__`.
fn ctor_arg_names_are_free(cx: &Ctxt, m: &Model) {
    for a in ctor_args(m) {
        let name = a.ident.to_string();
        let msg = if m.fields.iter().any(|f| f.ident == a.ident) {
            format!("constructor argument `{name}` has the name of a layer: rename one of them")
        } else if name == "in_size" || name == "rng" {
            format!(
                "constructor argument `{name}` is reserved: the generated \
                 `with_rng(.., in_size, rng)` takes a parameter of that name; rename it"
            )
        } else if name.starts_with("__") {
            format!(
                "constructor argument `{name}` is reserved: names starting with `__` are the \
                 compiler's"
            )
        } else {
            continue;
        };
        cx.error_spanned_by(&a.ident, msg);
    }
}

/// A layer type is `Linear` or a nested `model!` type; a name that is close
/// to a built-in layer is taken for a misspelling of it, one that names an
/// activation for a mistaken layer, and a lowercase one for neither.
fn layer_types_are_known(cx: &Ctxt, m: &Model) {
    for f in &m.fields {
        if let Some(TypeMistake::Constructor(kind)) = layer_type_mistake(f) {
            let args = f.args.to_token_stream();
            cx.error_spanned_by(
                &f.ty,
                format!(
                    "`{}` is a Rust function: a field declares its layer kind and arguments, \
                     `{}: {kind}({args})`",
                    f.ty.to_token_stream().to_string().replace(' ', ""),
                    f.ident,
                ),
            );
            continue;
        }
        let Some(ident) = f.ty.get_ident() else {
            continue;
        };
        match layer_type_mistake(f) {
            Some(TypeMistake::Misspelt(s)) => cx.error_spanned_by(
                ident,
                format!("unknown layer `{ident}`; did you mean `{s}`?"),
            ),
            Some(TypeMistake::Activation(a)) => cx.error_spanned_by(
                ident,
                format!(
                    "`{ident}` is not a layer: activations are functions; \
                     call `{a}(..)` in `fn forward` and remove this field"
                ),
            ),
            Some(TypeMistake::Lowercase) => cx.error_spanned_by(
                ident,
                format!(
                    "unknown layer `{ident}`: a layer is `Linear(..)` or another `model!` type"
                ),
            ),
            Some(TypeMistake::Unsupported) => cx.error_spanned_by(
                ident,
                format!("`model!` has no `{ident}` layer: a field is {KINDS}"),
            ),
            Some(TypeMistake::Constructor(_)) | None => {}
        }
    }
}

/// Why a field's layer type is rejected.
pub enum TypeMistake {
    /// Close to a built-in layer.
    Misspelt(&'static str),
    /// An activation written as a layer (`ReLU()`).
    Activation(&'static str),
    /// Lowercase, so neither built in nor a `model!` type.
    Lowercase,
    /// One of DeZero's layers that the language does not have.
    Unsupported,
    /// A Rust constructor call (`Linear::new(10)`): the path without its
    /// function, the kind meant.
    Constructor(String),
}

/// The mistake in a field's layer type, if [`layer_types_are_known`]
/// rejects it (the stub then declares the field as a `Linear`).
pub fn layer_type_mistake(f: &Field) -> Option<TypeMistake> {
    if is_linear(f) {
        return None;
    }
    let segments = &f.ty.segments;
    if let (Some(last), true) = (segments.last(), segments.len() >= 2) {
        if last.ident.to_string().starts_with(char::is_lowercase) {
            let kind: Vec<String> = segments
                .iter()
                .take(segments.len() - 1)
                .map(|s| s.ident.to_string())
                .collect();
            return Some(TypeMistake::Constructor(kind.join("::")));
        }
    }
    let name = f.ty.get_ident()?.to_string();
    if UNSUPPORTED_LAYERS.contains(&name.as_str()) {
        return Some(TypeMistake::Unsupported);
    }
    if let Some(s) = suggest(&name, LAYER_TYPES.iter().copied()) {
        return Some(TypeMistake::Misspelt(s));
    }
    if let Some(a) = ACTIVATIONS.iter().find(|a| a.eq_ignore_ascii_case(&name)) {
        return Some(TypeMistake::Activation(a));
    }
    name.starts_with(char::is_lowercase)
        .then_some(TypeMistake::Lowercase)
}

/// Whether a function has the parameters [`function_params`] requires.
fn params_ok(f: &Function) -> bool {
    if f.ident == "forward" {
        f.params.len() == 1
    } else {
        f.params.len() == 2 && f.params[0] != f.params[1]
    }
}

/// Every declared layer is called in a finished `fn forward`, and a nested
/// model once.
fn layers_are_used(cx: &Ctxt, m: &Model) {
    let Some(fwd) = forward_fn(m).filter(|f| parsed(f)) else {
        return;
    };
    let Some(tail) = &fwd.body.tail else {
        return;
    };
    let mut calls: BTreeMap<String, Vec<&Call>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for l in &fwd.body.lets {
        collect_calls(&l.init, &mut calls, &mut names);
    }
    collect_calls(tail, &mut calls, &mut names);
    for f in &m.fields {
        let uses = calls.get(&f.ident.to_string()).map_or(0, Vec::len);
        // A layer written as a value was reported as such.
        if uses == 0 && !names.contains(&f.ident.to_string()) {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "layer `{}` is declared but never called in `fn forward`: \
                     call it or remove it",
                    f.ident
                ),
            );
        } else if !is_linear(f) && uses > 1 {
            // The nested model keeps one pass's activations in its workspace.
            if let Some(c) = calls.get(&f.ident.to_string()).and_then(|v| v.get(1)) {
                cx.error_spanned_by(
                    &c.func,
                    format!(
                        "nested model `{}` can be called only once per pass; \
                         declare a second field for a second use",
                        f.ident
                    ),
                );
            }
        }
    }
}

/// Every call in `e`, by callee name, in source order; and every name used
/// as a value.
fn collect_calls<'a>(
    e: &'a Expr,
    calls: &mut BTreeMap<String, Vec<&'a Call>>,
    names: &mut BTreeSet<String>,
) {
    match e {
        Expr::Name(id) => {
            names.insert(id.to_string());
        }
        Expr::Call(c) => {
            calls.entry(c.func.to_string()).or_default().push(c);
            for a in &c.args {
                collect_calls(a, calls, names);
            }
        }
        Expr::Binary(b) => {
            collect_calls(&b.lhs, calls, names);
            collect_calls(&b.rhs, calls, names);
        }
        Expr::Paren(p) => collect_calls(&p.inner, calls, names),
    }
}

/// The constructor arguments of a model.
pub fn ctor_args(m: &Model) -> impl Iterator<Item = &crate::parse::CtorArg> {
    m.args.iter().flat_map(|a| a.args.iter())
}

fn is_usize(ty: &Type) -> bool {
    let t = ty.to_token_stream().to_string();
    t == quote!(usize).to_string()
}

/// The candidate closest to `name` by edit distance, if close enough to be
/// a likely misspelling (at most a third of the name's length, at least 1;
/// case differences count as half).
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != name)
        .map(|c| {
            let d = if c.eq_ignore_ascii_case(name) {
                0
            } else {
                edit_distance(&name.to_lowercase(), &c.to_lowercase())
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_misspellings_only() {
        assert_eq!(
            suggest("sigmod", ACTIVATIONS.iter().copied()),
            Some("sigmoid")
        );
        assert_eq!(
            suggest("Linaer", LAYER_TYPES.iter().copied()),
            Some("Linear")
        );
        assert_eq!(
            suggest("linear", LAYER_TYPES.iter().copied()),
            Some("Linear")
        );
        assert_eq!(suggest("Encoder", LAYER_TYPES.iter().copied()), None);
        assert_eq!(suggest("softmax", ACTIVATIONS.iter().copied()), None);
    }
}
