//! Validation of the syntax tree: one function per rule, each reporting
//! every violation into the [`Ctxt`] at the offending token. Nothing here
//! generates code; shape rules are in [`shape`](crate::shape).

use std::collections::BTreeMap;

use quote::{quote, ToTokens};
use syn::{Ident, Type};

use crate::ctxt::Ctxt;
use crate::parse::{Body, Call, Expr, Field, Function, Model};

/// The activations `fn forward` may call.
pub const ACTIVATIONS: &[&str] = &["sigmoid", "relu", "tanh"];
/// The losses `fn loss` may end with.
pub const LOSSES: &[&str] = &["mean_squared_error", "softmax_cross_entropy"];
/// The layer types the compiler knows; any other type is a nested model.
pub const LAYER_TYPES: &[&str] = &["Linear"];

/// Runs every rule.
pub fn check(cx: &Ctxt, m: &Model) {
    functions_are_forward_then_loss(cx, m);
    function_params(cx, m);
    model_has_layers(cx, m);
    names_are_unique(cx, m);
    layer_types_are_known(cx, m);
    linear_args(cx, m);
    size_args_are_usize(cx, m);
    bodies_resolve(cx, m);
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

/// A model has `fn forward` and at most one `fn loss`, declared after it,
/// and no other functions.
fn functions_are_forward_then_loss(cx: &Ctxt, m: &Model) {
    let mut seen_forward = false;
    let mut seen_loss = false;
    let mut misspelt = false;
    for f in &m.fns {
        if f.ident == "forward" {
            if seen_forward {
                cx.error_spanned_by(&f.ident, "duplicate `fn forward`");
            }
            seen_forward = true;
        } else if f.ident == "loss" {
            if seen_loss {
                cx.error_spanned_by(&f.ident, "duplicate `fn loss`");
            } else if !seen_forward {
                cx.error_spanned_by(&f.ident, "`fn loss` must come last, after `fn forward`");
            }
            seen_loss = true;
        } else {
            let near = suggest(&f.ident.to_string(), ["forward", "loss"].iter().copied());
            misspelt |= near == Some("forward");
            let hint = near
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "unknown function `{}`: a model has `fn forward(x)` and may have `fn loss(y, t)`{hint}",
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

/// `fn forward` takes one parameter (the input), `fn loss` two (the output
/// and the target).
fn function_params(cx: &Ctxt, m: &Model) {
    for f in &m.fns {
        let (want, what) = if f.ident == "forward" {
            (1, "`fn forward` takes the input only: `fn forward(x)`")
        } else if f.ident == "loss" {
            (
                2,
                "`fn loss` takes the output and the target: `fn loss(y, t)`",
            )
        } else {
            continue;
        };
        if f.params.len() != want {
            cx.error_at(f.paren.span.join(), what);
        }
    }
}

/// A model declares at least one layer (else there is nothing to train).
fn model_has_layers(cx: &Ctxt, m: &Model) {
    if m.fields.is_empty() {
        cx.error_at(
            m.brace.span.join(),
            "a model needs at least one layer, e.g. `l1: Linear(10)`",
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
            cx.error_spanned_by(&f.ident, format!("duplicate layer `{name}`"));
        } else if ACTIVATIONS.contains(&name.as_str()) || LOSSES.contains(&name.as_str()) {
            cx.error_spanned_by(
                &f.ident,
                format!("`{name}` is a built-in function; give the layer another name"),
            );
        } else if name.starts_with("__") {
            cx.error_spanned_by(&f.ident, "layer names starting with `__` are reserved");
        }
    }
    let mut args: BTreeMap<String, ()> = BTreeMap::new();
    for a in ctor_args(m) {
        if args.insert(a.ident.to_string(), ()).is_some() {
            cx.error_spanned_by(
                &a.ident,
                format!("duplicate constructor argument `{}`", a.ident),
            );
        }
    }
}

/// A layer type is `Linear` or a nested `model!` type; a name that is close
/// to a built-in layer is taken for a misspelling of it.
fn layer_types_are_known(cx: &Ctxt, m: &Model) {
    for f in &m.fields {
        if is_linear(f) {
            continue;
        }
        let Some(ident) = f.ty.get_ident() else {
            continue;
        };
        let name = ident.to_string();
        let near = suggest(&name, LAYER_TYPES.iter().copied());
        let lower = name.chars().next().is_some_and(|c| c.is_lowercase());
        if let Some(s) = near {
            cx.error_spanned_by(
                ident,
                format!("unknown layer `{name}`; did you mean `{s}`?"),
            );
        } else if lower {
            cx.error_spanned_by(
                ident,
                format!("unknown layer `{name}`: a layer is `Linear(..)` or another `model!` type"),
            );
        }
    }
}

/// `Linear` takes one or two sizes (`out_size` or `in_size, out_size`),
/// each an integer literal of at least 1 or a constructor argument, and
/// optionally `nobias` last.
fn linear_args(cx: &Ctxt, m: &Model) {
    let names: Vec<String> = ctor_args(m).map(|a| a.ident.to_string()).collect();
    for f in m.fields.iter().filter(|f| is_linear(f)) {
        let mut sizes = 0;
        let mut nobias = false;
        for arg in &f.args {
            if is_nobias(arg) {
                if nobias {
                    cx.error_spanned_by(arg, "duplicate `nobias`");
                }
                nobias = true;
                continue;
            }
            if nobias {
                cx.error_spanned_by(arg, "`nobias` must come after the sizes");
            }
            sizes += 1;
            if sizes > 2 {
                cx.error_spanned_by(
                    arg,
                    "`Linear` takes at most two sizes: `Linear(in_size, out_size)`",
                );
                continue;
            }
            match size_of_expr(arg) {
                Some(SizeExpr::Lit(0)) => {
                    cx.error_spanned_by(arg, "a layer size must be at least 1");
                }
                Some(SizeExpr::Lit(_)) => {}
                Some(SizeExpr::Arg(id)) => {
                    if !names.iter().any(|n| id == n) {
                        let hint = suggest(&id.to_string(), names.iter().map(String::as_str))
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "; declare it in the struct's parentheses: \
                                 `struct Net(hidden_size: usize)`"
                                    .to_string()
                            });
                        cx.error_spanned_by(
                            id,
                            format!("cannot find constructor argument `{id}`{hint}"),
                        );
                    }
                }
                None => cx.error_spanned_by(
                    arg,
                    "a layer size is an integer literal or a constructor argument",
                ),
            }
        }
        if sizes == 0 {
            cx.error_at(
                f.paren.span.join(),
                "`Linear` needs its output size: `Linear(out_size)` or `Linear(in_size, out_size)`",
            );
        }
    }
}

/// A constructor argument used as a layer size has type `usize`.
fn size_args_are_usize(cx: &Ctxt, m: &Model) {
    for a in ctor_args(m) {
        let used = m.fields.iter().filter(|f| is_linear(f)).any(|f| {
            f.args
                .iter()
                .any(|e| matches!(size_of_expr(e), Some(SizeExpr::Arg(id)) if *id == a.ident))
        });
        if used && !is_usize(&a.ty) {
            cx.error_spanned_by(
                &a.ty,
                format!("`{}` is a layer size, so its type must be `usize`", a.ident),
            );
        }
    }
}

/// Every name in a body is bound, every call is to a layer, an activation or
/// (last in `fn loss`) a loss, with the right number of arguments, and every
/// binding is used.
fn bodies_resolve(cx: &Ctxt, m: &Model) {
    let layers: Vec<&Field> = m.fields.iter().collect();
    for f in &m.fns {
        let role = if f.ident == "forward" {
            Role::Forward
        } else if f.ident == "loss" {
            Role::Loss
        } else {
            continue;
        };
        let mut r = Resolver {
            cx,
            layers: &layers,
            scope: Vec::new(),
            role,
            target: None,
        };
        for (i, p) in f.params.iter().enumerate() {
            if role == Role::Loss && i == 1 {
                r.target = Some(p.clone());
            } else {
                r.scope.push(Binding {
                    ident: p.clone(),
                    used: false,
                    is_param: true,
                });
            }
        }
        r.body(&f.body);
    }
}

/// Every declared layer is called in `fn forward`, and a nested model once.
fn layers_are_used(cx: &Ctxt, m: &Model) {
    let Some(fwd) = forward_fn(m) else {
        return;
    };
    let mut calls: BTreeMap<String, Vec<&Call>> = BTreeMap::new();
    for l in &fwd.body.lets {
        collect_calls(&l.init, &mut calls);
    }
    if let Some(t) = &fwd.body.tail {
        collect_calls(t, &mut calls);
    }
    for f in &m.fields {
        let uses = calls.get(&f.ident.to_string()).map_or(0, Vec::len);
        if uses == 0 {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "layer `{}` is declared but never called in `fn forward`",
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

/// Reports a call with the wrong number of arguments: under the extra
/// arguments when there are too many, under the parentheses otherwise.
fn arity(cx: &Ctxt, c: &Call, want: usize, what: &str) {
    let got = c.args.len();
    if got == want {
        return;
    }
    let plural = if want == 1 { "argument" } else { "arguments" };
    let msg = format!("{what} takes {want} {plural} but {got} were given");
    if got > want {
        let extra: proc_macro2::TokenStream = c
            .args
            .iter()
            .skip(want)
            .map(ToTokens::to_token_stream)
            .collect();
        cx.error_spanned_by(extra, msg);
    } else {
        cx.error_at(c.paren.span.join(), msg);
    }
}

/// Every call in `e`, by callee name, in source order.
fn collect_calls<'a>(e: &'a Expr, calls: &mut BTreeMap<String, Vec<&'a Call>>) {
    match e {
        Expr::Name(_) => {}
        Expr::Call(c) => {
            calls.entry(c.func.to_string()).or_default().push(c);
            for a in &c.args {
                collect_calls(a, calls);
            }
        }
        Expr::Binary(b) => {
            collect_calls(&b.lhs, calls);
            collect_calls(&b.rhs, calls);
        }
        Expr::Paren(p) => collect_calls(&p.inner, calls),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Forward,
    Loss,
}

struct Binding {
    ident: Ident,
    used: bool,
    is_param: bool,
}

/// Walks one body with its scope of bindings.
struct Resolver<'a> {
    cx: &'a Ctxt,
    layers: &'a [&'a Field],
    scope: Vec<Binding>,
    role: Role,
    target: Option<Ident>,
}

impl Resolver<'_> {
    fn body(&mut self, body: &Body) {
        for l in &body.lets {
            self.expr(&l.init, false);
            self.scope.push(Binding {
                ident: l.ident.clone(),
                used: false,
                is_param: false,
            });
        }
        match &body.tail {
            None => {
                let msg = match self.role {
                    Role::Forward => "`fn forward` must end with an expression: the model's output",
                    Role::Loss => {
                        "`fn loss` must end with a loss: `mean_squared_error(y, t)` or \
                         `softmax_cross_entropy(y, t)`"
                    }
                };
                self.cx.error_at(body.brace.span.close(), msg);
            }
            Some(tail) => {
                if self.role == Role::Loss && !is_loss_call(tail) {
                    self.cx.error_spanned_by(
                        tail,
                        "`fn loss` must end with a loss: `mean_squared_error(y, t)` or \
                         `softmax_cross_entropy(y, t)`",
                    );
                }
                self.expr(tail, true);
            }
        }
        for b in &self.scope {
            if !b.used {
                let msg = if b.is_param {
                    format!("parameter `{}` is never used", b.ident)
                } else {
                    format!("`{}` is never used", b.ident)
                };
                self.cx.error_spanned_by(&b.ident, msg);
            }
        }
    }

    /// Checks `e`; `is_tail` says whether it is the whole value of the body.
    fn expr(&mut self, e: &Expr, is_tail: bool) {
        match e {
            Expr::Name(id) => self.name(id),
            Expr::Paren(p) => self.expr(&p.inner, false),
            Expr::Binary(b) => {
                self.expr(&b.lhs, false);
                self.expr(&b.rhs, false);
            }
            Expr::Call(c) => self.call(c, is_tail),
        }
    }

    /// `loss(t, y)`: one error for the swap, rather than one per argument.
    fn swapped_loss_args(&mut self, c: &Call) -> bool {
        let (Some(Expr::Name(a)), Some(Expr::Name(b))) = (c.args.first(), c.args.iter().nth(1))
        else {
            return false;
        };
        let is_target = self.target.as_ref().is_some_and(|t| t == a);
        let Some(out) = self.scope.iter_mut().rev().find(|x| x.ident == *b) else {
            return false;
        };
        if !is_target {
            return false;
        }
        out.used = true;
        let msg = format!(
            "the arguments are swapped: the output comes first, then the target: `{}({b}, {a})`",
            c.func
        );
        self.cx.error_at(c.paren.span.join(), msg);
        true
    }

    fn name(&mut self, id: &Ident) {
        if let Some(b) = self.scope.iter_mut().rev().find(|b| b.ident == *id) {
            b.used = true;
            return;
        }
        if self.target.as_ref().is_some_and(|t| t == id) {
            self.cx.error_spanned_by(
                id,
                format!("the target `{id}` can only be the second argument of the loss"),
            );
            return;
        }
        if self.layers.iter().any(|l| l.ident == *id) {
            self.cx.error_spanned_by(
                id,
                format!("`{id}` is a layer; call it on a value: `{id}(x)`"),
            );
            return;
        }
        let names: Vec<String> = self.scope.iter().map(|b| b.ident.to_string()).collect();
        let near = suggest(&id.to_string(), names.iter().map(String::as_str));
        // The suggested binding was surely meant: do not also call it unused.
        if let Some(n) = near {
            if let Some(b) = self.scope.iter_mut().rev().find(|b| b.ident == n) {
                b.used = true;
            }
        }
        let hint = near
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        self.cx
            .error_spanned_by(id, format!("cannot find value `{id}` in this model{hint}"));
    }

    fn call(&mut self, c: &Call, is_tail: bool) {
        let name = c.func.to_string();
        if let Some(layer) = self.layers.iter().find(|l| l.ident == c.func) {
            if self.role == Role::Loss {
                self.cx.error_spanned_by(
                    &c.func,
                    format!("layer `{name}` is called in `fn loss`; call layers in `fn forward`"),
                );
            }
            arity(self.cx, c, 1, &format!("layer `{}`", layer.ident));
            for a in &c.args {
                self.expr(a, false);
            }
        } else if ACTIVATIONS.contains(&name.as_str()) {
            arity(self.cx, c, 1, &format!("`{name}`"));
            for a in &c.args {
                self.expr(a, false);
            }
        } else if LOSSES.contains(&name.as_str()) {
            if !(is_tail && self.role == Role::Loss) {
                let where_ = if self.role == Role::Forward {
                    "; `fn forward` computes the output, and `fn loss(y, t)` its loss"
                } else {
                    ""
                };
                self.cx.error_spanned_by(
                    &c.func,
                    format!(
                        "`{name}` is a loss: it can only be the last expression of `fn loss`{where_}"
                    ),
                );
            }
            arity(
                self.cx,
                c,
                2,
                &format!("`{name}` (of the output and the target)"),
            );
            if self.swapped_loss_args(c) {
                return;
            }
            if let Some(first) = c.args.first() {
                self.expr(first, false);
            }
            if let Some(second) = c.args.iter().nth(1) {
                let is_target = matches!(second, Expr::Name(id)
                    if self.target.as_ref().is_some_and(|t| t == id));
                if !is_target && self.role == Role::Loss {
                    let t = self
                        .target
                        .as_ref()
                        .map_or_else(|| "t".to_string(), |t| t.to_string());
                    self.cx.error_spanned_by(
                        second,
                        format!("the second argument of a loss is the target `{t}`"),
                    );
                }
            }
        } else {
            let mut candidates: Vec<String> =
                self.layers.iter().map(|l| l.ident.to_string()).collect();
            candidates.extend(ACTIVATIONS.iter().map(|s| s.to_string()));
            if self.role == Role::Loss {
                candidates.extend(LOSSES.iter().map(|s| s.to_string()));
            }
            let hint = match suggest(&name, candidates.iter().map(String::as_str)) {
                Some(s) => format!("; did you mean `{s}`?"),
                None => {
                    let layers: Vec<String> = self
                        .layers
                        .iter()
                        .map(|l| format!("`{}`", l.ident))
                        .collect();
                    format!(
                        "; expected a layer ({}) or one of `sigmoid`, `relu`, `tanh`",
                        layers.join(", ")
                    )
                }
            };
            self.cx
                .error_spanned_by(&c.func, format!("unknown function `{name}`{hint}"));
            for a in &c.args {
                self.expr(a, false);
            }
        }
    }
}

fn is_loss_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if LOSSES.contains(&c.func.to_string().as_str()))
}

/// The constructor arguments of a model.
pub fn ctor_args(m: &Model) -> impl Iterator<Item = &crate::parse::CtorArg> {
    m.args.iter().flat_map(|a| a.args.iter())
}

/// A layer size as written.
pub enum SizeExpr<'a> {
    /// An integer literal.
    Lit(usize),
    /// A constructor argument.
    Arg(&'a Ident),
}

/// Reads a size argument: an integer literal or a plain identifier.
pub fn size_of_expr(e: &syn::Expr) -> Option<SizeExpr<'_>> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => i.base10_parse::<usize>().ok().map(SizeExpr::Lit),
            _ => None,
        },
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(SizeExpr::Arg),
        _ => None,
    }
}

/// Whether an argument of `Linear` is the `nobias` flag.
pub fn is_nobias(e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Path(p) if p.path.is_ident("nobias"))
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
