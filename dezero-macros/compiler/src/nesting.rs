//! Limits on how deeply the input nests. The parser and every pass after
//! it recurse over the syntax, so without a limit a deeply nested input
//! would abort the compiler with a stack overflow instead of getting an
//! error: about a thousand nested calls exhaust rustc's 8 MiB stack in a
//! debug build of the macro (macros are built without optimisation).

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// The most levels of brackets in the input, and the deepest expression
/// tree (calls, parentheses and operators) in a function: far beyond any
/// model, and far within the stack.
pub const MAX_NESTING: usize = 128;

/// Fails at the opening bracket of the first group nested more than
/// [`MAX_NESTING`] deep. Iterative, so that the check itself cannot
/// overflow.
pub fn check_groups(input: &TokenStream) -> syn::Result<()> {
    let mut stack = vec![input.clone().into_iter()];
    while let Some(tokens) = stack.last_mut() {
        match tokens.next() {
            Some(TokenTree::Group(g)) => {
                if stack.len() > MAX_NESTING {
                    return Err(syn::Error::new(
                        g.span_open(),
                        format!(
                            "{} nested too deeply: `model!` accepts at most {MAX_NESTING} \
                             levels of brackets",
                            opening(g.delimiter())
                        ),
                    ));
                }
                stack.push(g.stream().into_iter());
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    Ok(())
}

/// The opening bracket of a group, as the message names it.
fn opening(delim: Delimiter) -> &'static str {
    match delim {
        Delimiter::Parenthesis => "`(`",
        Delimiter::Bracket => "`[`",
        Delimiter::Brace => "`{`",
        Delimiter::None => "a group",
    }
}

/// Fails at `span` (the operator, call or parentheses where the tree got
/// too deep) if an expression tree of `depth` levels is over the limit.
pub fn check_expr_depth(depth: usize, span: Span) -> syn::Result<()> {
    if depth <= MAX_NESTING {
        return Ok(());
    }
    Err(syn::Error::new(
        span,
        format!(
            "expression nested too deeply: at most {MAX_NESTING} levels of calls, \
             parentheses and operators; give parts of it a name with `let`"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::thread;

    /// Expands `src` on a thread with rustc's 8 MiB stack, as the macro
    /// runs; a stack overflow would abort the test binary.
    fn expand(src: String) -> String {
        thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || crate::expand::model(src.parse().expect("tokens")).to_string())
            .expect("a thread")
            .join()
            .expect("no panic")
    }

    /// A model whose `fn forward` is `l1(<body>)`.
    fn forward(body: &str) -> String {
        format!("struct Net {{ l1: Linear(1) }} fn forward(x) {{ l1({body}) }}")
    }

    /// `n` nested parentheses around `x`.
    fn parens(n: usize) -> String {
        format!("{}x{}", "(".repeat(n), ")".repeat(n))
    }

    /// `x` and `n` more terms, `x + x + ..`.
    fn chain(n: usize) -> String {
        format!("x{}", " + x".repeat(n))
    }

    // Found by probing while fuzzing: a thousand nested calls overflowed
    // the stack in the parser (a debug build, as macros are built).
    #[test]
    fn deeply_nested_calls_are_an_error_not_a_stack_overflow() {
        let body = format!("{}x{}", "sigmoid(".repeat(1000), ")".repeat(1000));
        let out = expand(forward(&body));
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("nested too deeply"), "{out}");
    }

    // Found by the same probes: a chain, which the parser builds in a loop,
    // is a tree as deep as it is long, which every later pass recurses
    // through; 4,000 terms took minutes (fusion is superlinear).
    #[test]
    fn long_operator_chains_are_an_error() {
        let out = expand(forward(&chain(4000)));
        assert!(out.contains("expression nested too deeply"), "{out}");
        assert!(out.contains("struct Net"), "the stub is emitted: {out}");
    }

    #[test]
    fn brackets_nest_up_to_the_limit() {
        // The body's braces and the call's parentheses are two levels.
        let ok = expand(forward(&parens(super::MAX_NESTING - 2)));
        assert!(!ok.contains("compile_error"), "{ok}");
        let deep = expand(forward(&parens(super::MAX_NESTING - 1)));
        assert!(deep.contains("levels of brackets"), "{deep}");
    }

    #[test]
    fn expressions_nest_up_to_the_limit() {
        // The call is one level, `x` another.
        let ok = expand(forward(&chain(super::MAX_NESTING - 2)));
        assert!(!ok.contains("compile_error"), "{ok}");
        let deep = expand(forward(&chain(super::MAX_NESTING - 1)));
        assert!(deep.contains("expression nested too deeply"), "{deep}");
    }
}
