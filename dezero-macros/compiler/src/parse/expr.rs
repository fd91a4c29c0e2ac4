//! The expressions of `fn forward` and `fn loss`: names, calls, `+ - *`
//! and parentheses, each tree's depth bounded by [`nesting`] as it is
//! built.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{End, Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{parenthesized, token, Ident, Token};

use crate::nesting;

/// ```text
/// Expr := Term ((`+` | `-`) Term)*
/// Term := Atom (`*` Atom)*
/// Atom := Ident `(` Expr,* `)` | Ident | `(` Expr `)`
/// ```
///
/// The usual precedence: `*` binds tighter than `+` and `-`, all
/// left-associative.
pub enum Expr {
    /// A name: the input, a parameter of `fn loss`, or a `let` binding.
    Name(Ident),
    /// A call of a layer, an activation or a loss.
    Call(Call),
    /// `a + b`, `a - b`, `a * b`.
    Binary(Binary),
    /// `(e)`.
    Paren(ParenExpr),
}

/// ```text
/// Call := Ident `(` Expr,* `)`
/// ```
pub struct Call {
    /// The layer or function called.
    pub func: Ident,
    /// The parentheses.
    pub paren: token::Paren,
    /// The arguments.
    pub args: Punctuated<Expr, Token![,]>,
}

/// ```text
/// Binary := Expr BinOp Expr
/// ```
pub struct Binary {
    /// The left operand.
    pub lhs: Box<Expr>,
    /// The operator.
    pub op: BinOp,
    /// The right operand.
    pub rhs: Box<Expr>,
}

/// ```text
/// BinOp := `+` | `-` | `*`
/// ```
pub enum BinOp {
    /// Elementwise sum.
    Add(Token![+]),
    /// Elementwise difference.
    Sub(Token![-]),
    /// Elementwise product.
    Mul(Token![*]),
}

impl BinOp {
    /// The operator's token.
    fn span(&self) -> Span {
        match self {
            BinOp::Add(t) => t.span,
            BinOp::Sub(t) => t.span,
            BinOp::Mul(t) => t.span,
        }
    }
}

/// ```text
/// ParenExpr := `(` Expr `)`
/// ```
pub struct ParenExpr {
    /// The parentheses.
    pub paren: token::Paren,
    /// The inner expression.
    pub inner: Box<Expr>,
}

impl Parse for Expr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        parse_expr(input).map(|(e, _)| e)
    }
}

/// An expression and the depth of its tree (a name is 1), which
/// [`nesting`] bounds as the tree is built, so that no pass after the
/// parser (nor dropping the tree) recurses too deeply.
type Parsed = (Expr, usize);

fn parse_expr(input: ParseStream) -> syn::Result<Parsed> {
    let (mut lhs, mut depth) = parse_term(input)?;
    loop {
        let op = if input.peek(Token![+]) {
            BinOp::Add(input.parse()?)
        } else if input.peek(Token![-]) {
            BinOp::Sub(input.parse()?)
        } else {
            return Ok((lhs, depth));
        };
        let (rhs, d) = parse_term(input)?;
        depth = 1 + depth.max(d);
        nesting::check_expr_depth(depth, op.span())?;
        lhs = Expr::Binary(Binary {
            lhs: Box::new(lhs),
            op,
            rhs: Box::new(rhs),
        });
    }
}

fn parse_term(input: ParseStream) -> syn::Result<Parsed> {
    let (mut lhs, mut depth) = parse_atom(input)?;
    while input.peek(Token![*]) {
        let op = BinOp::Mul(input.parse()?);
        let (rhs, d) = parse_atom(input)?;
        depth = 1 + depth.max(d);
        nesting::check_expr_depth(depth, op.span())?;
        lhs = Expr::Binary(Binary {
            lhs: Box::new(lhs),
            op,
            rhs: Box::new(rhs),
        });
    }
    Ok((lhs, depth))
}

fn parse_atom(input: ParseStream) -> syn::Result<Parsed> {
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "constant `{}` is not supported: an operand is a value such as `x`, \
                 `l1(x)` or `(a + b)`",
                lit.to_token_stream()
            ),
        ));
    }
    if input.peek(Token![return]) {
        return Err(input.error(
            "`return` is not supported: a function's value is its last expression, \
             written without `;`",
        ));
    }
    let lookahead = input.lookahead1();
    if lookahead.peek(Ident) {
        let ident: Ident = input.parse()?;
        if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let (args, d) = parse_args(&content)?;
            let depth = 1 + d;
            nesting::check_expr_depth(depth, ident.span())?;
            Ok((
                Expr::Call(Call {
                    func: ident,
                    paren,
                    args,
                }),
                depth,
            ))
        } else {
            Ok((Expr::Name(ident), 1))
        }
    } else if lookahead.peek(token::Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let (inner, d) = parse_expr(&content)?;
        expr_end(&content, Then::Close)?;
        let depth = 1 + d;
        nesting::check_expr_depth(depth, paren.span.open())?;
        Ok((
            Expr::Paren(ParenExpr {
                paren,
                inner: Box::new(inner),
            }),
            depth,
        ))
    } else {
        Err(lookahead.error())
    }
}

/// `Expr,*` inside a call's parentheses, and the depth of the deepest.
fn parse_args(input: ParseStream) -> syn::Result<(Punctuated<Expr, Token![,]>, usize)> {
    let mut args = Punctuated::new();
    let mut depth = 0;
    while !input.is_empty() {
        let (arg, d) = parse_expr(input)?;
        args.push_value(arg);
        depth = depth.max(d);
        expr_end(input, Then::Comma)?;
        if input.is_empty() {
            break;
        }
        args.push_punct(input.parse()?);
    }
    Ok((args, depth))
}

/// What may follow a whole expression.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// `;`, ending a `let`.
    Semi,
    /// `,` or `)`, in a call's arguments.
    Comma,
    /// `)`, inside parentheses.
    Close,
    /// `}`: the expression is the function's value.
    BodyEnd,
}

/// After a whole expression comes what `then` allows, else an error says
/// what was expected (an operator would have continued the expression);
/// `/`, and `;` after a function's value, are explained.
pub fn expr_end(input: ParseStream, then: Then) -> syn::Result<()> {
    let done = match then {
        Then::Semi => input.peek(Token![;]),
        Then::Comma => input.peek(Token![,]) || input.is_empty(),
        Then::Close | Then::BodyEnd => input.is_empty(),
    };
    if done {
        return Ok(());
    }
    if input.peek(Token![/]) {
        return Err(
            input.error("`/` is not supported: values combine with `+`, `-` and `*` (elementwise)")
        );
    }
    if then == Then::BodyEnd && input.peek(Token![;]) {
        return Err(input.error(
            "unexpected `;` after the function's value: its last expression is written \
             without `;`",
        ));
    }
    let lookahead = input.lookahead1();
    lookahead.peek(Token![+]);
    lookahead.peek(Token![-]);
    lookahead.peek(Token![*]);
    match then {
        Then::Semi => {
            lookahead.peek(Token![;]);
        }
        Then::Comma => {
            lookahead.peek(Token![,]);
            lookahead.peek(End);
        }
        Then::Close | Then::BodyEnd => {
            lookahead.peek(End);
        }
    }
    Err(lookahead.error())
}

impl ToTokens for Expr {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Expr::Name(i) => i.to_tokens(tokens),
            Expr::Call(c) => c.to_tokens(tokens),
            Expr::Binary(b) => {
                b.lhs.to_tokens(tokens);
                b.op.to_tokens(tokens);
                b.rhs.to_tokens(tokens);
            }
            Expr::Paren(p) => p.paren.surround(tokens, |t| p.inner.to_tokens(t)),
        }
    }
}

impl ToTokens for Call {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.func.to_tokens(tokens);
        self.paren.surround(tokens, |t| self.args.to_tokens(t));
    }
}

impl ToTokens for BinOp {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            BinOp::Add(t) => t.to_tokens(tokens),
            BinOp::Sub(t) => t.to_tokens(tokens),
            BinOp::Mul(t) => t.to_tokens(tokens),
        }
    }
}
