//! The syntax tree of a `model!` input, one struct per production, with the
//! grammar in each doc comment. Parsing only checks the grammar; what the
//! names mean is [`check`](crate::check)'s business.

use proc_macro2::extra::DelimSpan;
use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, token, Attribute, Ident, Path, Token, Type, Visibility};

use crate::nesting;

mod expr;

use expr::{expr_end, Then};
pub use expr::{BinOp, Call, Expr};

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
    /// Syntax errors among the constructor arguments or the fields, or
    /// stray tokens where a function should start. The parse goes on past a
    /// bad argument or field (from the next comma) and ends at stray tokens
    /// (skipping the rest), so that the stub still declares the type, its
    /// constructor and the fields that did parse.
    pub error: Option<syn::Error>,
}

impl Parse for Model {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = Attribute::parse_outer(input)?;
        let vis: Visibility = input.parse()?;
        let struct_token: Token![struct] = input.parse()?;
        let ident: Ident = input.parse()?;
        let mut error = None;
        let args = if input.peek(token::Paren) {
            Some(ctor_args(input, &mut error)?)
        } else {
            None
        };
        expect_group(input, Delimiter::Brace, ident.span(), || {
            format!("expected `{{` and the layers after `{ident}`: `struct {ident} {{ l1: Linear(10) }}`")
        })?;
        let content;
        let brace = braced!(content in input);
        let fields = fields(&content, &ident, &mut error);
        let mut fns = Vec::new();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(Token![fn]) {
                fns.push(input.parse()?);
            } else {
                add_error(&mut error, lookahead.error());
                // What follows is not a function: nothing more to read.
                input.step(|cursor| {
                    let mut rest = *cursor;
                    while let Some((_, next)) = rest.token_tree() {
                        rest = next;
                    }
                    Ok(((), rest))
                })?;
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
            error,
        })
    }
}

/// The fields, comma-separated. A field that does not parse is recorded in
/// `error` and skipped up to the next comma, so that one mistake among the
/// layers is reported once and the others are still declared.
fn fields(
    content: ParseStream,
    model: &Ident,
    error: &mut Option<syn::Error>,
) -> Punctuated<Field, Token![,]> {
    let mut fields = Punctuated::new();
    while !content.is_empty() {
        match content.parse::<Field>() {
            Ok(f) => {
                if let Some(g) = &f.generics {
                    let kind = f.ty.to_token_stream().to_string();
                    let msg = format!(
                        "a layer takes no type arguments: write `{kind}(..)`; the element type \
                         is the whole model's, chosen when it is built (`{model}::<f64>::new(..)`)"
                    );
                    add_error(error, syn::Error::new_spanned(g, msg));
                }
                fields.push_value(f);
                if content.is_empty() {
                    break;
                }
                match content.parse::<Token![,]>() {
                    Ok(comma) => fields.push_punct(comma),
                    Err(e) => {
                        // Read on from the next comma.
                        add_error(error, e);
                        skip_past_comma(content);
                        fields.push_punct(<Token![,]>::default());
                    }
                }
            }
            Err(e) => {
                add_error(error, e);
                skip_past_comma(content);
            }
        }
    }
    fields
}

/// Skips tokens up to and including the next comma outside brackets (or to
/// the end).
fn skip_past_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            rest = next;
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}

/// Adds `e` to the errors collected so far.
fn add_error(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(all) => all.combine(e),
        None => *errors = Some(e),
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

/// The constructor's arguments. One that does not parse is recorded in
/// `error` and skipped up to the next comma; one written without its type
/// (`hidden_size`) is kept as a `usize`, the type of a size, so that the
/// stub's constructor takes as many arguments as the user's calls pass.
fn ctor_args(input: ParseStream, error: &mut Option<syn::Error>) -> syn::Result<CtorArgs> {
    let content;
    let paren = parenthesized!(content in input);
    let mut args = Punctuated::new();
    while !content.is_empty() {
        // `name` alone, up to a comma or the end: an argument without its type.
        let ahead = content.fork();
        let untyped = ahead
            .parse::<Ident>()
            .ok()
            .filter(|_| ahead.is_empty() || ahead.peek(Token![,]));
        match content.parse::<CtorArg>() {
            Ok(a) => args.push_value(a),
            Err(e) => {
                add_error(error, e);
                if let Some(ident) = untyped {
                    args.push_value(CtorArg {
                        ident,
                        colon: <Token![:]>::default(),
                        ty: syn::parse_quote!(usize),
                    });
                }
                // Read on after the next comma.
                skip_past_comma(&content);
                if !args.empty_or_trailing() {
                    args.push_punct(<Token![,]>::default());
                }
                continue;
            }
        }
        if content.is_empty() {
            break;
        }
        match content.parse::<Token![,]>() {
            Ok(comma) => args.push_punct(comma),
            Err(e) => {
                add_error(error, e);
                skip_past_comma(&content);
                args.push_punct(<Token![,]>::default());
            }
        }
    }
    Ok(CtorArgs { paren, args })
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
        let ident: Ident = input.parse()?;
        if !input.peek(Token![:]) {
            return Err(syn::Error::new(
                ident.span(),
                format!("constructor argument `{ident}` needs a type: `{ident}: usize`"),
            ));
        }
        Ok(CtorArg {
            ident,
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
    /// Type arguments written on the layer kind (`Linear<f32>`), a
    /// mistake after which the field is still read; reported by [`fields`].
    pub generics: Option<syn::AngleBracketedGenericArguments>,
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
        // `Linear<f32>(10)`: kept, to be reported by `fields`, which knows
        // the model's name, with the field still declared in the stub.
        let generics = if input.peek(Token![<]) {
            Some(input.parse()?)
        } else {
            None
        };
        if !input.peek(token::Paren) {
            return Err(syn::Error::new_spanned(
                &ty,
                format!(
                    "`{}` needs its arguments in parentheses, e.g. `Linear(10)`, \
                     or `Block()` for a model without arguments",
                    ty.to_token_stream()
                ),
            ));
        }
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
            generics,
        })
    }
}

/// ```text
/// Function := `fn` Ident `(` Ident,* `)` Body
/// ```
///
/// A syntax error inside the parentheses or the body is kept in `error`
/// rather than returned, so that the rest of the model is still checked
/// and its stub emitted.
#[allow(dead_code, reason = "tokens kept for spans, as in syn's syntax trees")]
pub struct Function {
    /// The `fn` keyword.
    pub fn_token: Token![fn],
    /// `forward` or `loss`.
    pub ident: Ident,
    /// The parentheses around the parameters.
    pub paren: token::Paren,
    /// The parameters (`x`; or `y, t`); empty if they did not parse.
    pub params: Punctuated<Ident, Token![,]>,
    /// The body; empty if it did not parse.
    pub body: Body,
    /// The syntax errors inside the parentheses, return type or body.
    pub error: Option<syn::Error>,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let fn_token = input.parse()?;
        let ident: Ident = input.parse()?;
        let signature = match ident.to_string().as_str() {
            "forward" => "fn forward(x)".to_string(),
            "loss" => "fn loss(y, t)".to_string(),
            other => format!("fn {other}(..)"),
        };
        expect_group(input, Delimiter::Parenthesis, ident.span(), || {
            format!("expected `(` and the parameters after `fn {ident}`: `{signature}`")
        })?;
        let mut error = None;
        let (paren, params) = recover(
            input,
            &mut error,
            |input| {
                let content;
                let paren = parenthesized!(content in input);
                Ok((paren, parse_params(&content)?))
            },
            |span| (token::Paren(span), Punctuated::new()),
        )?;
        if input.peek(Token![->]) {
            let arrow: Token![->] = input.parse()?;
            let ty: Type = input.parse()?;
            push_error(
                &mut error,
                syn::Error::new_spanned(
                    quote::quote!(#arrow #ty),
                    format!(
                        "`fn {ident}` takes no return type: remove `-> {}`; its value is a \
                         matrix whose width the compiler infers",
                        ty.to_token_stream()
                    ),
                ),
            );
        }
        expect_group(input, Delimiter::Brace, paren.span.close(), || {
            format!("expected the body of `fn {ident}` in braces: `{signature} {{ .. }}`")
        })?;
        let body = recover(input, &mut error, Body::parse, |span| Body {
            brace: token::Brace(span),
            lets: Vec::new(),
            tail: None,
        })?;
        Ok(Function {
            fn_token,
            ident,
            paren,
            params,
            body,
            error,
        })
    }
}

/// Parameters are bare names: their values are matrices.
fn parse_params(input: ParseStream) -> syn::Result<Punctuated<Ident, Token![,]>> {
    let mut params = Punctuated::new();
    while !input.is_empty() {
        let p: Ident = input.parse()?;
        if input.peek(Token![:]) {
            let colon: Token![:] = input.parse()?;
            let ty: Type = input.parse()?;
            return Err(syn::Error::new_spanned(
                quote::quote!(#p #colon #ty),
                format!(
                    "parameter `{p}` takes no type: remove `: {}`; every value is a matrix \
                     whose width the compiler infers",
                    ty.to_token_stream()
                ),
            ));
        }
        params.push_value(p);
        if input.is_empty() {
            break;
        }
        params.push_punct(input.parse()?);
    }
    Ok(params)
}

/// Fails with `msg` unless the next token is a group delimited by `delim`:
/// at that token, or at `last` when the input ends there (syn would point
/// at the whole macro call).
fn expect_group(
    input: ParseStream,
    delim: Delimiter,
    last: Span,
    msg: impl FnOnce() -> String,
) -> syn::Result<()> {
    if input.cursor().group(delim).is_some() {
        Ok(())
    } else if input.is_empty() {
        Err(syn::Error::new(last, msg()))
    } else {
        Err(input.error(msg()))
    }
}

/// Parses the next token tree, a group (see [`expect_group`]), with
/// `parse`. A syntax error inside the group is added to `error` and the
/// group skipped (the value is then `empty`).
fn recover<T>(
    input: ParseStream,
    error: &mut Option<syn::Error>,
    parse: impl FnOnce(ParseStream) -> syn::Result<T>,
    empty: impl FnOnce(DelimSpan) -> T,
) -> syn::Result<T> {
    // A fork, because syn fails the whole parse when a group is left
    // half-read, and a fork keeps its own record of that.
    let ahead = input.fork();
    let parsed = parse(&ahead);
    let group: Group = input.parse()?;
    parsed.or_else(|e| {
        push_error(error, e);
        Ok(empty(group.delim_span()))
    })
}

fn push_error(error: &mut Option<syn::Error>, e: syn::Error) {
    match error {
        Some(first) => first.combine(e),
        None => *error = Some(e),
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
            expr_end(&content, Then::BodyEnd)?;
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
        expr_end(input, Then::Semi)?;
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

impl ToTokens for Field {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.ident.to_tokens(tokens);
        self.colon.to_tokens(tokens);
        self.ty.to_tokens(tokens);
        self.paren.surround(tokens, |t| self.args.to_tokens(t));
    }
}

/// Parses a whole `model!` input, once its brackets are known not to nest
/// too deeply for the parser's recursion.
pub fn parse(input: TokenStream) -> syn::Result<Model> {
    nesting::check_groups(&input)?;
    syn::parse2(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_in_a_function_keeps_the_rest_of_the_model() {
        let src = "
            struct Net { l1: Linear(10), l2: Linear(1) }
            fn forward(x: Variable) { l2(l1(x) / 2) }
            fn loss(y, t) { mean_squared_error(y, t) }";
        let m = parse(src.parse().expect("tokens")).expect("the model parses");
        assert_eq!(m.fields.len(), 2);
        assert_eq!(m.fns.len(), 2);
        // One error in the parameters, one in the body.
        let err = m.fns[0].error.as_ref().expect("forward's errors are kept");
        assert_eq!(err.clone().into_iter().count(), 2, "{err}");
        assert!(m.fns[0].body.tail.is_none());
        assert!(m.fns[1].error.is_none());
        assert!(m.fns[1].body.tail.is_some());
    }
}
