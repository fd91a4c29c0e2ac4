//! The rule on function bodies: names resolve, calls are to what exists
//! with the right arguments, losses and the target are where they belong,
//! and every `let` is used. One [`Resolver`] walks each body.

use quote::ToTokens;
use syn::Ident;

use super::{params_ok, parsed, suggest, ACTIVATIONS, LOSSES};
use crate::ctxt::Ctxt;
use crate::parse::{Body, Call, Expr, Field, Model};

/// Every name in a body is bound, every call is to a layer, an activation or
/// (last in `fn loss`) a loss, with the right number of arguments, and every
/// `let` is used. A function whose parameters were reported is skipped: its
/// names cannot be told apart.
pub(super) fn resolve(cx: &Ctxt, m: &Model) {
    let layers: Vec<&Field> = m.fields.iter().collect();
    for f in m.fns.iter().filter(|f| parsed(f) && params_ok(f)) {
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
            tail_is_loss: f.body.tail.as_ref().is_some_and(is_loss_call),
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

/// Reports a call with the wrong number of arguments, showing the right
/// `usage`: under the extra arguments when there are too many, under the
/// parentheses otherwise.
fn arity(cx: &Ctxt, c: &Call, want: usize, what: &str, usage: &str) {
    let got = c.args.len();
    if got == want {
        return;
    }
    let plural = if want == 1 { "argument" } else { "arguments" };
    let were = if got == 1 { "was" } else { "were" };
    let msg = format!("{what} takes {want} {plural} but {got} {were} given: `{usage}`");
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
    /// Whether the body ends with a loss; if not, that is the one error
    /// about the losses in `fn loss`.
    tail_is_loss: bool,
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
                // The body is unfinished: its bindings are likely meant for
                // the missing value, so they are not reported unused.
                return;
            }
            Some(tail) => {
                // An unknown function gets its own error (with a suggestion).
                if self.role == Role::Loss && !is_loss_call(tail) && !self.is_unknown_call(tail) {
                    self.cx.error_spanned_by(
                        tail,
                        "`fn loss` must end with a loss: `mean_squared_error(y, t)` or \
                         `softmax_cross_entropy(y, t)`",
                    );
                }
                self.expr(tail, true);
            }
        }
        // A parameter left unused always comes with another error (every
        // value is computed from one), which names it.
        for b in self.scope.iter().filter(|b| !b.used && !b.is_param) {
            let id = &b.ident;
            self.cx.error_spanned_by(
                id,
                format!("`{id}` is never used: use its value or remove the `let`"),
            );
        }
    }

    /// Whether `e` calls something that is not a layer nor a built-in.
    fn is_unknown_call(&self, e: &Expr) -> bool {
        let Expr::Call(c) = e else {
            return false;
        };
        let name = c.func.to_string();
        !self.layers.iter().any(|l| l.ident == c.func)
            && !ACTIVATIONS.contains(&name.as_str())
            && !LOSSES.contains(&name.as_str())
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
                format!(
                    "the target `{id}` can only be the second argument of the loss, \
                     e.g. `mean_squared_error(y, {id})`"
                ),
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
        let mut names: Vec<String> = Vec::new();
        for b in &self.scope {
            let n = b.ident.to_string();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let near = suggest(&id.to_string(), names.iter().map(String::as_str));
        // The suggested binding was surely meant: do not also call it unused.
        if let Some(n) = near {
            if let Some(b) = self.scope.iter_mut().rev().find(|b| b.ident == n) {
                b.used = true;
            }
        }
        let hint = match near {
            Some(s) => format!("; did you mean `{s}`?"),
            None if names.is_empty() => String::new(),
            None if names.len() == 1 => format!("; the value in scope is `{}`", names[0]),
            None => {
                let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!("; the values in scope are {}", quoted.join(", "))
            }
        };
        self.cx
            .error_spanned_by(id, format!("cannot find value `{id}` in this model{hint}"));
    }

    fn call(&mut self, c: &Call, is_tail: bool) {
        let name = c.func.to_string();
        if self.layers.iter().any(|l| l.ident == c.func) {
            if self.role == Role::Loss {
                self.cx.error_spanned_by(
                    &c.func,
                    format!("layer `{name}` is called in `fn loss`; call layers in `fn forward`"),
                );
            }
            arity(
                self.cx,
                c,
                1,
                &format!("layer `{name}`"),
                &format!("{name}(x)"),
            );
            for a in &c.args {
                self.expr(a, false);
            }
        } else if ACTIVATIONS.contains(&name.as_str()) {
            arity(self.cx, c, 1, &format!("`{name}`"), &format!("{name}(x)"));
            for a in &c.args {
                self.expr(a, false);
            }
        } else if LOSSES.contains(&name.as_str()) {
            let misplaced = match self.role {
                Role::Forward => true,
                Role::Loss => !is_tail && self.tail_is_loss,
            };
            if misplaced {
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
                &format!("`{name}`"),
                &format!("{name}(y, t)"),
            );
            if self.swapped_loss_args(c) {
                return;
            }
            if let Some(first) = c.args.first() {
                self.expr(first, false);
            }
            // In `fn loss` (where `target` is set), the target comes second.
            if let (Some(second), Some(t)) = (c.args.iter().nth(1), &self.target) {
                if !matches!(second, Expr::Name(id) if id == t) {
                    self.cx.error_spanned_by(
                        second,
                        format!(
                            "`{}` is not the target: the second argument of a loss is the \
                             target `{t}` itself",
                            second.to_token_stream()
                        ),
                    );
                }
            }
        } else {
            // Layers are called in `fn forward` only; losses in `fn loss` only.
            let mut candidates: Vec<String> = ACTIVATIONS.iter().map(|s| s.to_string()).collect();
            match self.role {
                Role::Forward => {
                    candidates.extend(self.layers.iter().map(|l| l.ident.to_string()));
                }
                Role::Loss => candidates.extend(LOSSES.iter().map(|s| s.to_string())),
            }
            let hint = match suggest(&name, candidates.iter().map(String::as_str)) {
                Some(s) => format!("; did you mean `{s}`?"),
                None => {
                    let quoted = |s: &str| format!("`{s}`");
                    let builtins: Vec<String> = ACTIVATIONS.iter().map(|s| quoted(s)).collect();
                    match self.role {
                        Role::Forward => {
                            let layers: Vec<String> = self
                                .layers
                                .iter()
                                .map(|l| quoted(&l.ident.to_string()))
                                .collect();
                            format!(
                                "; expected a layer ({}) or one of {}",
                                layers.join(", "),
                                builtins.join(", ")
                            )
                        }
                        Role::Loss => {
                            let losses: Vec<String> = LOSSES.iter().map(|s| quoted(s)).collect();
                            format!(
                                "; `fn loss` may call {} and ends with {}",
                                builtins.join(", "),
                                losses.join(" or ")
                            )
                        }
                    }
                }
            };
            self.cx
                .error_spanned_by(&c.func, format!("unknown function `{name}`{hint}"));
            // A misspelt loss takes the target: no second error for it.
            let is_target =
                |a: &Expr| matches!(a, Expr::Name(id) if self.target.as_ref() == Some(id));
            let args: Vec<&Expr> = c.args.iter().filter(|a| !is_target(a)).collect();
            for a in args {
                self.expr(a, false);
            }
        }
    }
}

fn is_loss_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if LOSSES.contains(&c.func.to_string().as_str()))
}
