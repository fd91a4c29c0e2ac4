//! Layer sizes: what an argument of `Linear` may be, and the rules about
//! them. A size is an integer literal, a constructor argument, a `const`
//! item in scope (`HIDDEN`, `consts::HIDDEN`), or `+ - * /` of sizes, with
//! parentheses. Literals alone are folded to a number, which the shape
//! checker compares at compile time; any other size is symbolic, named by
//! its text, and checked when the model is built and called.

use quote::ToTokens;
use syn::{BinOp, Expr, Ident};

use super::{ctor_args, is_linear, is_usize, suggest};
use crate::ctxt::Ctxt;
use crate::nesting::MAX_NESTING;
use crate::parse::Model;

/// A layer size as written.
pub enum SizeExpr<'a> {
    /// A literal, or arithmetic of literals, folded.
    Lit(usize),
    /// Anything naming a constructor argument or a `const`: its value is
    /// known when the model is built.
    Sym(&'a Expr),
}

/// What [`size_of_expr`] accepts, for messages.
const WHAT_A_SIZE_IS: &str = "a size is an integer literal, a constructor argument, a `const` \
     item, or `+ - * /` of those, e.g. `Linear(10)`, `Linear(hidden_size)`, `Linear(HIDDEN)` \
     or `Linear(2 * hidden_size)`";

/// Reads a size argument; `None` if it is not one (see [`linear_args`]'s
/// errors for why).
pub fn size_of_expr(e: &Expr) -> Option<SizeExpr<'_>> {
    match eval(e, 0) {
        Ok(Some(n)) => Some(SizeExpr::Lit(n)),
        Ok(None) => Some(SizeExpr::Sym(e)),
        Err(_) => None,
    }
}

/// Why a size is refused: at which tokens, saying what.
struct Refusal {
    at: proc_macro2::TokenStream,
    msg: String,
}

fn refuse(at: &impl ToTokens, msg: String) -> Refusal {
    Refusal {
        at: at.to_token_stream(),
        msg,
    }
}

/// The value of `e` when it is made of literals only (`Ok(None)` when it
/// names something), or why it is not a size. Recursion is bounded by
/// [`MAX_NESTING`].
fn eval(e: &Expr, depth: usize) -> Result<Option<usize>, Refusal> {
    match e {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Int(i) => i
                .base10_parse::<usize>()
                .map(Some)
                .map_err(|_| refuse(e, format!("`{i}` is not a layer size: {WHAT_A_SIZE_IS}"))),
            _ => Err(not_a_size(e)),
        },
        Expr::Path(p) if p.qself.is_none() && is_name(&p.path) => Ok(None),
        Expr::Paren(p) => eval(&p.expr, depth + 1),
        Expr::Group(g) => eval(&g.expr, depth + 1),
        Expr::Binary(b) => {
            if depth > MAX_NESTING {
                // At the operator: printing the rest of the tree would
                // recurse as deeply as it nests.
                return Err(refuse(
                    &b.op,
                    format!("size nested too deeply: at most {MAX_NESTING} levels of operators"),
                ));
            }
            let (l, r) = (eval(&b.left, depth + 1)?, eval(&b.right, depth + 1)?);
            let text = e.to_token_stream().to_string();
            if matches!(b.op, BinOp::Div(_)) && r == Some(0) {
                return Err(refuse(e, format!("`{text}` divides by zero")));
            }
            let (Some(l), Some(r)) = (l, r) else {
                return match b.op {
                    BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) => Ok(None),
                    _ => Err(operator(e, &b.op)),
                };
            };
            let v = match b.op {
                BinOp::Add(_) => l.checked_add(r),
                BinOp::Sub(_) => l.checked_sub(r),
                BinOp::Mul(_) => l.checked_mul(r),
                BinOp::Div(_) => l.checked_div(r),
                _ => return Err(operator(e, &b.op)),
            };
            v.map(Some).ok_or_else(|| {
                refuse(
                    e,
                    format!("`{text}` is not a layer size: it is negative or overflows `usize`"),
                )
            })
        }
        _ => Err(not_a_size(e)),
    }
}

/// A name a size may use: an identifier (a constructor argument or a
/// `const`), or a path to a `const` (`consts::HIDDEN`).
fn is_name(p: &syn::Path) -> bool {
    let plain = p.segments.iter().all(|s| s.arguments.is_none());
    plain && (p.get_ident().is_some() || p.segments.last().is_some_and(|s| is_const_name(&s.ident)))
}

/// Whether a name is written as Rust writes constants (`HIDDEN`, `N_2`).
pub fn is_const_name(id: &Ident) -> bool {
    let s = id.to_string();
    s.starts_with(|c: char| c.is_ascii_uppercase()) && !s.chars().any(|c| c.is_lowercase())
}

fn operator(e: &Expr, op: &BinOp) -> Refusal {
    refuse(
        e,
        format!(
            "`{}` is not a layer size: sizes combine with `+ - * /` only, not `{}`",
            e.to_token_stream(),
            op.to_token_stream()
        ),
    )
}

/// Why an argument of `Linear` is not a size; DeZero's keyword arguments
/// (`nobias=True`, `in_size=3`) get the positional form.
fn not_a_size(arg: &Expr) -> Refusal {
    let text = arg.to_token_stream().to_string();
    if let Expr::Assign(a) = arg {
        let left = a.left.to_token_stream().to_string();
        let msg = if left == "nobias" {
            format!(
                "`{text}` is a keyword argument: write `nobias` alone, e.g. `Linear(10, nobias)`"
            )
        } else {
            format!(
                "`{text}` is a keyword argument: sizes are positional, \
                 `Linear(out_size)` or `Linear(in_size, out_size)`"
            )
        };
        return refuse(arg, msg);
    }
    refuse(
        arg,
        format!("`{text}` is not a layer size: {WHAT_A_SIZE_IS}"),
    )
}

/// The identifiers a size reads (constructor arguments or `const`s).
fn names_in<'a>(e: &'a Expr, out: &mut Vec<&'a Ident>) {
    match e {
        Expr::Path(p) => out.extend(p.path.get_ident()),
        Expr::Paren(p) => names_in(&p.expr, out),
        Expr::Group(g) => names_in(&g.expr, out),
        Expr::Binary(b) => {
            names_in(&b.left, out);
            names_in(&b.right, out);
        }
        _ => {}
    }
}

/// Whether an argument of `Linear` is the `nobias` flag.
pub fn is_nobias(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.path.is_ident("nobias"))
}

/// `Linear` takes one or two sizes (`out_size` or `in_size, out_size`),
/// each a size as [`size_of_expr`] reads it (at least 1 when it is a
/// number), and optionally `nobias` last.
pub fn linear_args(cx: &Ctxt, m: &Model) {
    for f in m.fields.iter().filter(|f| is_linear(f)) {
        let mut sizes = 0;
        let mut nobias = false;
        for arg in &f.args {
            if is_nobias(arg) {
                if nobias {
                    cx.error_spanned_by(arg, "duplicate `nobias`: write it once, after the sizes");
                }
                nobias = true;
                continue;
            }
            if nobias {
                cx.error_spanned_by(
                    arg,
                    "`nobias` must come after the sizes: `Linear(10, nobias)`",
                );
            }
            sizes += 1;
            if sizes > 2 {
                cx.error_spanned_by(
                    arg,
                    "`Linear` takes at most two sizes: `Linear(in_size, out_size)`",
                );
                continue;
            }
            match eval(arg, 0) {
                Ok(Some(0)) => {
                    let text = arg.to_token_stream().to_string();
                    let msg = if text == "0" {
                        "layer size `0` is too small: a size is at least 1".to_string()
                    } else {
                        format!("layer size `{text}` is 0, too small: a size is at least 1")
                    };
                    cx.error_spanned_by(arg, msg);
                }
                Ok(_) => names_are_args_or_consts(cx, m, arg),
                Err(r) => cx.error_spanned_by(r.at, r.msg),
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

/// Every lowercase name in a size is a constructor argument (a `const` is
/// written in capitals, and rustc resolves it).
fn names_are_args_or_consts(cx: &Ctxt, m: &Model, size: &Expr) {
    let names: Vec<String> = ctor_args(m).map(|a| a.ident.to_string()).collect();
    let mut used = Vec::new();
    names_in(size, &mut used);
    for id in used {
        if is_const_name(id) || names.iter().any(|n| id == n) {
            continue;
        }
        let candidates = names.iter().map(String::as_str).chain(["nobias"]);
        let hint = suggest(&id.to_string(), candidates)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| {
                format!(
                    "; declare it in the struct's parentheses: `struct {}({id}: usize)`, \
                     or name a `const` in capitals",
                    m.ident
                )
            });
        cx.error_spanned_by(id, format!("cannot find constructor argument `{id}`{hint}"));
    }
}

/// A constructor argument used in a layer size has type `usize`.
pub fn size_args_are_usize(cx: &Ctxt, m: &Model) {
    for a in ctor_args(m) {
        let used = m.fields.iter().filter(|f| is_linear(f)).any(|f| {
            f.args.iter().any(|e| {
                if size_of_expr(e).is_none() {
                    return false;
                }
                let mut names = Vec::new();
                names_in(e, &mut names);
                names.contains(&&a.ident)
            })
        });
        if used && !is_usize(&a.ty) {
            cx.error_spanned_by(
                &a.ty,
                format!("`{}` is a layer size, so its type must be `usize`", a.ident),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(src: &str) -> Option<Option<usize>> {
        let e: Expr = syn::parse_str(src).expect("an expression");
        size_of_expr(&e).map(|s| match s {
            SizeExpr::Lit(n) => Some(n),
            SizeExpr::Sym(_) => None,
        })
    }

    #[test]
    fn sizes_are_literals_names_consts_and_arithmetic() {
        assert_eq!(size("10"), Some(Some(10)));
        assert_eq!(size("2 * (3 + 1)"), Some(Some(8)));
        assert_eq!(size("7 / 2"), Some(Some(3)));
        assert_eq!(size("h"), Some(None));
        assert_eq!(size("HIDDEN"), Some(None));
        assert_eq!(size("consts::HIDDEN"), Some(None));
        assert_eq!(size("2 * h + 1"), Some(None));
        assert_eq!(size("h / 2 - 1"), Some(None));
    }

    #[test]
    fn other_expressions_are_not_sizes() {
        for src in [
            "1 - 2", "h / 0", "h % 2", "h.max(2)", "f(h)", "1.5", "-1", "a::b",
        ] {
            assert_eq!(size(src), None, "{src}");
        }
    }

    #[test]
    fn long_sums_are_refused_not_overflowed() {
        let long = vec!["1"; 1000].join(" + ");
        assert_eq!(size(&long), None);
    }
}
