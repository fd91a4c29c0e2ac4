//! Code generation for the API around the passes: the constructors' check
//! of their arguments (`try_new`, and `new` that panics with its message)
//! and the owned and into-a-buffer forms of `predict`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{dz, Compiled};
use crate::ir::{LayerKind, LossKind, Size};

/// A place in the declaration that sets a width: `` `a`'s output ``.
struct Source<'a> {
    size: &'a Size,
    place: String,
}

/// The widths each class gets from the layers' declared sizes, by class.
fn sources<'a>(c: &'a Compiled) -> BTreeMap<usize, Vec<Source<'a>>> {
    let mut by_class: BTreeMap<usize, Vec<Source<'a>>> = BTreeMap::new();
    for (i, l) in c.graph.layers.iter().enumerate() {
        if let LayerKind::Linear {
            in_size, out_size, ..
        } = &l.kind
        {
            if let Some(s) = in_size {
                by_class
                    .entry(c.shapes.layer_in[i])
                    .or_default()
                    .push(Source {
                        size: s,
                        place: format!("`{}`'s input", l.ident),
                    });
            }
            by_class
                .entry(c.shapes.layer_out[i])
                .or_default()
                .push(Source {
                    size: out_size,
                    place: format!("`{}`'s output", l.ident),
                });
        }
    }
    by_class
}

/// The expression a size is when it is known only once the model is built
/// (a constructor argument, a `const`, or arithmetic naming them).
fn arg_of(s: &Size) -> Option<&syn::Expr> {
    if let Size::Sym(e) = s {
        Some(e)
    } else {
        None
    }
}

/// How a symbolic size is named in messages: its tokens as written.
fn arg_name(e: &syn::Expr) -> String {
    quote!(#e).to_string()
}

/// The literal a size is, if it is one.
fn lit_of(s: &Size) -> Option<usize> {
    if let Size::Lit(n) = s {
        Some(*n)
    } else {
        None
    }
}

/// `__check_args`: every rule on the constructor arguments that the
/// declaration implies. Widths that shape inference put in one class must
/// be equal (two arguments, or an argument and a literal; two literals
/// were compared at compile time); a `softmax_cross_entropy` output set by
/// an argument needs at least two classes.
pub(crate) fn emit_check_args(c: &Compiled, args: &[TokenStream]) -> TokenStream {
    let dz = dz();
    let who = format!("{}::new", c.model.ident);
    let mut checks = Vec::new();
    for srcs in sources(c).values() {
        let Some(first) = srcs.iter().find(|s| arg_of(s.size).is_some()) else {
            continue;
        };
        let a = arg_of(first.size).expect("found above");
        let arg = arg_name(a);
        let mut seen = vec![arg.clone()];
        for s in srcs {
            let because = format!(
                "`fn forward` gives {} and {} one width",
                first.place, s.place
            );
            if let Some(b) = arg_of(s.size) {
                let other = arg_name(b);
                if seen.contains(&other) {
                    continue;
                }
                seen.push(other.clone());
                checks.push(quote! {
                    #dz::compiled::same_width(#who, #dz::compiled::SameWidth {
                        arg: #arg,
                        value: #a,
                        other: ::core::option::Option::Some(#other),
                        other_value: #b,
                        because: #because,
                    })?;
                });
            } else if let Some(n) = lit_of(s.size) {
                if seen.contains(&n.to_string()) {
                    continue;
                }
                seen.push(n.to_string());
                checks.push(quote! {
                    #dz::compiled::same_width(#who, #dz::compiled::SameWidth {
                        arg: #arg,
                        value: #a,
                        other: ::core::option::Option::None,
                        other_value: #n,
                        because: #because,
                    })?;
                });
            }
        }
    }
    if let Some(loss) = c
        .graph
        .loss
        .filter(|l| l.kind == LossKind::SoftmaxCrossEntropy)
    {
        let class = c.shapes.value_class[loss.y.0];
        let srcs = sources(c);
        let arg = srcs
            .get(&class)
            .and_then(|v| v.iter().find_map(|s| arg_of(s.size)));
        if let Some(a) = arg {
            let name = arg_name(a);
            checks.push(quote! {
                #dz::compiled::enough_classes(#who, #name, #a)?;
            });
        }
    }
    quote! {
        /// Checks what the declaration implies of the constructor
        /// arguments, before anything is built or drawn.
        #[allow(unused_variables, clippy::too_many_arguments)]
        fn __check_args(#(#args),*) -> #dz::Result<()> {
            #(#checks)*
            ::core::result::Result::Ok(())
        }
    }
}

/// `predict_owned` and `predict_into`: `predict`'s output as an array of
/// the caller's, so that two predictions can be held at once.
pub(crate) fn emit_predict_forms(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
    let name = c.model.ident.to_string();
    let who = format!("{name}.predict");
    let owned_doc = format!(
        "`predict`'s output as an array of its own, so that it outlives the next call (two \
         predictions can be held at once).\n\n\
         # Errors\n\
         As `{name}::predict`."
    );
    let into_doc = format!(
        "`predict`'s output written into `out`, block by block (so a large batch leaves no \
         output buffer held by the model); `out` is reshaped (reallocated) only when its \
         shape is not the output's (`rows × outputs`): with a buffer of the right shape and \
         a warm model, it allocates nothing.\n\n\
         # Errors\n\
         As `{name}::predict`. A batch or width that does not fit leaves `out` as it was; a \
         pass that fails later (a non-finite value in check-finite mode) may have written \
         some of its rows."
    );
    quote! {
        #[doc = #owned_doc]
        pub fn predict_owned<'__x>(
            &mut self,
            x: impl #dz::compiled::Batch<'__x, T>,
        ) -> #dz::Result<#nd::Array2<T>> {
            ::core::result::Result::Ok(self.predict(x)?.to_owned())
        }

        #[doc = #into_doc]
        pub fn predict_into<'__x>(
            &mut self,
            x: impl #dz::compiled::Batch<'__x, T>,
            out: &mut #nd::Array2<T>,
        ) -> #dz::Result<()> {
            // Straight into `out`, block by block: a large batch leaves no
            // output buffer held by the model.
            let x = #dz::compiled::batch(x, #who)?;
            let __n = #dz::compiled::CompiledModel::<T>::out_width(self, x.ncols())?;
            let __y = #dz::compiled::output_buffer(out, x.nrows(), __n);
            self.__predict_in(x, ::core::option::Option::Some(__y)).map(|_| ())
        }
    }
}
