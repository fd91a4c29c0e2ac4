//! The syntax tree of a `model!` input, one struct per production, with the
//! grammar in each doc comment. Parsing only checks the grammar; what the
//! names mean is [`check`](crate::check)'s business.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, token, Attribute, Ident, Path, Token, Type, Visibility};

/// ```text
/// Model := Attribute* Visibility `struct` Ident CtorArgs? `{` Field,* `}` Function*
/// ```
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct Model {
    /// Outer attributes (doc comments), carried over to the struct.
    pub attrs: Vec<Attribute>,
    /// The struct's visibility, carried over.
    pub vis: Visibility,
    /// The `struct` keyword.
    pub struct_token: Token![struct],
    /// The model's name.
    pub ident: Ident,
    /// The constructor's arguments, if any.
    pub args: Option<CtorArgs>,
    /// The braces around the fields.
    pub brace: token::Brace,
    /// The layers.
    pub fields: Punctuated<Field, Token![,]>,
    /// `fn forward` and `fn loss`, in the order written.
    pub fns: Vec<Function>,
}

impl Parse for Model {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let vis: Visibility = input.parse()?;
        let struct_token: Token![struct] = input.parse()?;
        let ident: Ident = input.parse()?;
        let args = if input.peek(token::Paren) {
            Some(input.parse()?)
        } else {
            None
        };
        let content;
        let brace = braced!(content in input);
        let fields = content.parse_terminated(Field::parse, Token![,])?;
        let mut fns = Vec::new();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![fn]) {
                fns.push(input.parse()?);
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(Model {
            attrs,
            vis,
            struct_token,
            ident,
            args,
            brace,
            fields,
            fns,
        })
    }
}

/// ```text
/// CtorArgs := `(` CtorArg,* `)`
/// ```
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct CtorArgs {
    /// The parentheses.
    pub paren: token::Paren,
    /// The arguments.
    pub args: Punctuated<CtorArg, Token![,]>,
}

impl Parse for CtorArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let paren = parenthesized!(content in input);
        let args = content.parse_terminated(CtorArg::parse, Token![,])?;
        Ok(CtorArgs { paren, args })
    }
}

/// ```text
/// CtorArg := Ident `:` Type
/// ```
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct CtorArg {
    /// The argument's name, in scope in the layer declarations.
    pub ident: Ident,
    /// The colon.
    pub colon: Token![:],
    /// Its type (`usize` when it is a layer size).
    pub ty: Type,
}

impl Parse for CtorArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(CtorArg {
            ident: input.parse()?,
            colon: input.parse()?,
            ty: input.parse()?,
        })
    }
}

/// ```text
/// Field := Attribute* `pub`? Ident `:` Path `(` syn::Expr,* `)`
/// ```
///
/// `Path` is `Linear` or another `model!` type; the arguments are sizes and
/// `nobias` for `Linear`, or the nested model's constructor arguments.
pub struct Field {
    /// Doc comments, carried over to the public field.
    pub attrs: Vec<Attribute>,
    /// The layer's name (`l1`).
    pub ident: Ident,
    /// The colon.
    pub colon: Token![:],
    /// The layer type.
    pub ty: Path,
    /// The parentheses around the arguments.
    pub paren: token::Paren,
    /// The arguments.
    pub args: Punctuated<syn::Expr, Token![,]>,
}

impl Parse for Field {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        if input.peek(Token![pub]) {
            // Layers are always public; `pub` is accepted for familiarity.
            let _: Visibility = input.parse()?;
        }
        let ident = input.parse()?;
        let colon = input.parse()?;
        let ty = Path::parse_mod_style(input)?;
        let content;
        let paren = parenthesized!(content in input);
        let args = content.parse_terminated(syn::Expr::parse, Token![,])?;
        Ok(Field {
            attrs,
            ident,
            colon,
            ty,
            paren,
            args,
        })
    }
}

/// ```text
/// Function := `fn` Ident `(` Ident,* `)` Body
/// ```
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct Function {
    /// The `fn` keyword.
    pub fn_token: Token![fn],
    /// `forward` or `loss`.
    pub ident: Ident,
    /// The parentheses around the parameters.
    pub paren: token::Paren,
    /// The parameters (`x`; or `y, t`).
    pub params: Punctuated<Ident, Token![,]>,
    /// The body.
    pub body: Body,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let fn_token = input.parse()?;
        let ident = input.parse()?;
        let content;
        let paren = parenthesized!(content in input);
        let params = content.parse_terminated(Ident::parse, Token![,])?;
        let body = input.parse()?;
        Ok(Function {
            fn_token,
            ident,
            paren,
            params,
            body,
        })
    }
}

/// ```text
/// Body := `{` Let* Expr? `}`
/// ```
pub struct Body {
    /// The braces.
    pub brace: token::Brace,
    /// The `let` statements.
    pub lets: Vec<Let>,
    /// The value of the function.
    pub tail: Option<Expr>,
}

impl Parse for Body {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let brace = braced!(content in input);
        let mut lets = Vec::new();
        while content.peek(Token![let]) {
            lets.push(content.parse()?);
        }
        let tail = if content.is_empty() {
            None
        } else {
            let e: Expr = content.parse()?;
            if content.peek(Token![;]) {
                return Err(content.error(
                    "expected the end of the body: the last expression is the function's value, \
                     without `;`",
                ));
            }
            if content.peek(Token![/]) {
                return Err(content.error(
                    "`/` is not supported: values combine with `+`, `-` and `*` (elementwise)",
                ));
            }
            if !content.is_empty() {
                let lookahead = content.lookahead1();
                lookahead.peek(Token![+]);
                lookahead.peek(Token![-]);
                lookahead.peek(Token![*]);
                return Err(lookahead.error());
            }
            Some(e)
        };
        Ok(Body { brace, lets, tail })
    }
}

/// ```text
/// Let := `let` Ident `=` Expr `;`
/// ```
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct Let {
    /// The `let` keyword.
    pub let_token: Token![let],
    /// The bound name.
    pub ident: Ident,
    /// The `=`.
    pub eq: Token![=],
    /// The value.
    pub init: Expr,
    /// The `;`.
    pub semi: Token![;],
}

impl Parse for Let {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let let_token = input.parse()?;
        let ident = input.parse()?;
        let eq = input.parse()?;
        let init = input.parse()?;
        if input.peek(Token![/]) {
            return Err(input.error(
                "`/` is not supported: values combine with `+`, `-` and `*` (elementwise)",
            ));
        }
        let lookahead = input.lookahead1();
        if !lookahead.peek(Token![;]) {
            lookahead.peek(Token![+]);
            lookahead.peek(Token![-]);
            lookahead.peek(Token![*]);
            return Err(lookahead.error());
        }
        let semi = input.parse()?;
        Ok(Let {
            let_token,
            ident,
            eq,
            init,
            semi,
        })
    }
}

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
        let mut lhs = parse_term(input)?;
        loop {
            let op = if input.peek(Token![+]) {
                BinOp::Add(input.parse()?)
            } else if input.peek(Token![-]) {
                BinOp::Sub(input.parse()?)
            } else {
                return Ok(lhs);
            };
            let rhs = parse_term(input)?;
            lhs = Expr::Binary(Binary {
                lhs: Box::new(lhs),
                op,
                rhs: Box::new(rhs),
            });
        }
    }
}

fn parse_term(input: ParseStream) -> syn::Result<Expr> {
    let mut lhs = parse_atom(input)?;
    while input.peek(Token![*]) {
        let op = BinOp::Mul(input.parse()?);
        let rhs = parse_atom(input)?;
        lhs = Expr::Binary(Binary {
            lhs: Box::new(lhs),
            op,
            rhs: Box::new(rhs),
        });
    }
    Ok(lhs)
}

fn parse_atom(input: ParseStream) -> syn::Result<Expr> {
    let lookahead = input.lookahead1();
    if lookahead.peek(Ident) {
        let ident: Ident = input.parse()?;
        if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let args = content.parse_terminated(Expr::parse, Token![,])?;
            Ok(Expr::Call(Call {
                func: ident,
                paren,
                args,
            }))
        } else {
            Ok(Expr::Name(ident))
        }
    } else if lookahead.peek(token::Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let inner: Expr = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("expected `)`"));
        }
        Ok(Expr::Paren(ParenExpr {
            paren,
            inner: Box::new(inner),
        }))
    } else {
        Err(lookahead.error())
    }
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

impl ToTokens for Field {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.ident.to_tokens(tokens);
        self.colon.to_tokens(tokens);
        self.ty.to_tokens(tokens);
        self.paren.surround(tokens, |t| self.args.to_tokens(t));
    }
}

/// Parses a whole `model!` input.
pub fn parse(input: TokenStream) -> syn::Result<Model> {
    syn::parse2(input)
}
