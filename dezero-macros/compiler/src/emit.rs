//! Code generation, the driver and the type's API: the struct, its
//! constructors, width resolution and lazy initialisation. The passes are
//! emitted by [`emit_pass`](crate::emit_pass) (one step at a time by
//! [`emit_step`](crate::emit_step)), the trait impls and plan constants by
//! [`emit_impl`](crate::emit_impl). Everything here works on checked,
//! planned input and cannot fail.
//!
//! Generated code reaches the runtime only through the absolute path
//! `::dezero::__private`, and its locals start with `__` so that they never
//! meet a user's names.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Ident;

use crate::check;
use crate::emit_api::{emit_check_args, emit_predict_forms};
use crate::emit_impl::{emit_compiled_impl, emit_layer_impl, emit_plan};
use crate::emit_memory::emit_memory;
use crate::emit_pass::{emit_accuracy, emit_predict, emit_split, emit_train};
use crate::ir::{Graph, LayerKind, Op, Size};
use crate::parse::Model;
use crate::plan::Slots;
use crate::program::Program;
use crate::shape::Shapes;

/// Everything codegen needs.
pub struct Compiled<'a> {
    /// The syntax tree (names, attributes, constructor arguments).
    pub model: &'a Model,
    /// The forward graph.
    pub graph: &'a Graph,
    /// Its width classes.
    pub shapes: &'a Shapes,
    /// The training program, when the model has a loss.
    pub train: Option<(Program, Slots)>,
    /// The split (nested / define-by-run) program.
    pub split: (Program, Slots),
    /// The inference program.
    pub predict: (Program, Slots),
    /// What a naive training plan keeps: every intermediate of the
    /// unfused program, with its width class.
    pub naive_train: Vec<(String, usize)>,
    /// The same for inference.
    pub naive_predict: Vec<(String, usize)>,
}

/// The runtime, as generated code names it.
pub(crate) fn dz() -> TokenStream {
    quote!(::dezero::__private)
}

/// `CompiledModel::<T>::method(&self.layer, args..)` (`&mut self.layer`
/// when `mutable`) for a nested layer, the path and the receiver at the
/// layer's type: a field whose type is not a `model!` type then gets its
/// errors there rather than at the macro call, one for all uses (rustc
/// shows identical errors once).
pub(crate) fn nested_call(
    l: &crate::ir::Layer,
    method: &str,
    mutable: bool,
    args: TokenStream,
) -> TokenStream {
    let span = match &l.kind {
        LayerKind::Nested { ty, .. } => ty.span(),
        LayerKind::Linear { .. } => proc_macro2::Span::call_site(),
    };
    let method = Ident::new(method, span);
    let mut ident = l.ident.clone();
    ident.set_span(span);
    let recv = if mutable {
        quote_spanned!(span=> &mut self.#ident)
    } else {
        quote_spanned!(span=> &self.#ident)
    };
    quote_spanned!(span=> ::dezero::__private::compiled::CompiledModel::<T>::#method(#recv, #args))
}

/// An unsuffixed integer literal.
pub(crate) fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// The whole expansion.
pub fn emit(c: &Compiled) -> TokenStream {
    let dz = dz();
    let m = c.model;
    let name = &m.ident;
    let name_str = name.to_string();
    let k = lit(c.shapes.classes.len());
    let strukt = emit_struct(c);
    let build = emit_build(c);
    let dims = emit_dims(c);
    let init = emit_init_lazy(c);
    let standardize = emit_standardize(c);
    let train = emit_train(c);
    let predict = emit_predict(c);
    let accuracy = emit_accuracy(c);
    let split = emit_split(c);
    let plan_fn = emit_plan(c);
    let memory = emit_memory(c);
    let layer_impl = emit_layer_impl(c);
    let compiled_impl = emit_compiled_impl(c);
    let args = ctor_params(m);
    let check_args = emit_check_args(c, &args);
    let predict_forms = emit_predict_forms(c);
    let arg_names: Vec<&Ident> = check::ctor_args(m).map(|a| &a.ident).collect();
    let arg_types: Vec<&syn::Type> = check::ctor_args(m).map(|a| &a.ty).collect();
    // At the model's name, where an error about a nested model's
    // arguments shows the arguments this model takes.
    let build_from = quote_spanned! {name.span()=>
        impl<T: ::dezero::__private::Scalar> ::dezero::__private::compiled::BuildFrom<(#(#arg_types,)*)> for #name<T> {
            fn build_from(
                (#(#arg_names,)*): (#(#arg_types,)*),
                __rng: ::core::option::Option<&mut ::dezero::__private::random::RandomState>,
            ) -> ::dezero::__private::Result<Self> {
                Self::__check_args(#(#arg_names),*)?;
                Self::__build(#(#arg_names,)* __rng)
            }
        }
    };
    let new_doc = format!(
        "Builds a `{name_str}` (layers with a known input size are initialised now from \
         the global random stream, the others at the first call, as define-by-run would).\n\n\
         # Panics\n\
         If the arguments disagree with the declaration, with `try_new`'s message: two \
         arguments (or an argument and a literal) that set one width must be equal, and a \
         `softmax_cross_entropy` output needs at least 2 classes."
    );
    let try_new_doc = format!(
        "Builds a `{name_str}` as `new` does, or says which constructor arguments disagree \
         with the declaration.\n\n\
         # Errors\n\
         `Error::Shape` naming `{name_str}::new` and the arguments, before anything is \
         built: if two arguments (or an argument and a literal) that the declaration makes \
         one width differ (`a: Linear(h1), b: Linear(h2)` with `a(x) + b(x)`), or if an \
         argument gives a `softmax_cross_entropy` output fewer than 2 classes; a nested \
         model's own error (naming it) if the arguments it is built from disagree with its \
         declaration."
    );
    quote! {
        #strukt

        #build_from

        impl<T: #dz::Scalar> #name<T> {
            #[doc = #new_doc]
            pub fn new(#(#args),*) -> Self {
                match Self::try_new(#(#arg_names),*) {
                    ::core::result::Result::Ok(__m) => __m,
                    ::core::result::Result::Err(__e) => ::core::panic!("{}", __e),
                }
            }

            #[doc = #try_new_doc]
            pub fn try_new(#(#args),*) -> #dz::Result<Self> {
                Self::__check_args(#(#arg_names),*)?;
                Self::__build(#(#arg_names,)* ::core::option::Option::None)
            }

            #check_args

            /// Builds the model and initialises every layer now from `rng`, as the
            /// first call with inputs of width `in_size` would.
            ///
            /// # Errors
            /// As `try_new`; if `in_size` does not fit a layer declared with
            /// an input size.
            pub fn with_rng(
                #(#args,)*
                in_size: usize,
                rng: &mut #dz::random::RandomState,
            ) -> #dz::Result<Self> {
                Self::__check_args(#(#arg_names),*)?;
                let __m = Self::__build(#(#arg_names,)* ::core::option::Option::Some(&mut *rng))?;
                let __d = __m.__resolve(in_size, 0)?;
                __m.__init_lazy(&__d, rng)?;
                ::core::result::Result::Ok(__m)
            }

            #build
            #dims
            #init
            #standardize

            /// Resolves every width class for an input of `width` columns.
            fn __resolve(&self, __width: usize, __rows: usize) -> #dz::Result<[usize; #k]> {
                let __d = self.__dims(::core::option::Option::Some(__width), __rows)?;
                ::core::result::Result::Ok(__d.map(|__v| __v.unwrap_or(0)))
            }

            /// Calls the model on a Variable as one define-by-run node whose
            /// backward is the fused backward pass.
            ///
            /// # Errors
            /// If `x` is not a matrix whose width fits the model. In
            /// check-finite mode (`dezero::check_finite()`,
            /// `DEZERO_CHECK_FINITE=1`), `Error::NonFinite` naming the first
            /// step of the model that wrote a NaN or an infinity, or the
            /// report of an earlier op not yet taken (see `dezero::finite`).
            pub fn try_forward(
                &self,
                x: &#dz::Variable<T>,
            ) -> #dz::Result<#dz::Variable<T>> {
                #dz::compiled::try_forward_node(self, x)
            }

            #train
            #predict
            #predict_forms
            #accuracy
            #split
            #plan_fn
            #memory
        }

        #layer_impl
        #compiled_impl
    }
}

fn ctor_params(m: &Model) -> Vec<TokenStream> {
    check::ctor_args(m)
        .map(|a| {
            let (i, t) = (&a.ident, &a.ty);
            quote!(#i: #t)
        })
        .collect()
}

/// The struct: public layers, private workspace.
pub fn emit_struct(c: &Compiled) -> TokenStream {
    let dz = dz();
    let m = c.model;
    let (attrs, vis, name, st) = (&m.attrs, &m.vis, &m.ident, &m.struct_token);
    let k = lit(c.shapes.classes.len());
    let fields = c.graph.layers.iter().zip(&m.fields).map(|(l, f)| {
        let ident = &l.ident;
        let ty = layer_type(&l.kind);
        let doc = if f.attrs.iter().any(|a| a.path().is_ident("doc")) {
            quote!()
        } else {
            let text = format!("Layer `{ident}`: `{}`.", declared(l));
            quote!(#[doc = #text])
        };
        let attrs = &f.attrs;
        quote! {
            #(#attrs)*
            #doc
            pub #ident: #ty,
        }
    });
    // Spanned at the name, so that a diagnostic about the type points at
    // `struct Name` rather than at the whole macro.
    let generics = quote_spanned!(name.span()=> <T: ::dezero::__private::Scalar = f32>);
    let has_doc = attrs.iter().any(|a| a.path().is_ident("doc"));
    let doc = if has_doc {
        quote!()
    } else {
        let text = format!("The `{name}` model, compiled by `model!`.");
        let mut text = Literal::string(&text);
        text.set_span(st.span);
        quote_spanned!(st.span=> #[doc = #text])
    };
    // The body's braces are the user's too: with the first and last token
    // of the item from the input, diagnostics can point into it.
    let mut body = TokenStream::new();
    m.brace.surround(&mut body, |b| {
        b.extend(quote! {
            #(#fields)*
            __ws: #dz::compiled::Workspace<T>,
            __split: #dz::compiled::RowSplit<T>,
            __split_dims: [usize; #k],
        })
    });
    quote! {
        #(#attrs)*
        #doc
        #vis #st #name #generics #body
    }
}

/// The Rust type of a layer field.
pub fn layer_type(kind: &LayerKind) -> TokenStream {
    let dz = dz();
    match kind {
        LayerKind::Linear { .. } => quote!(#dz::Linear<T>),
        LayerKind::Nested { ty, .. } => quote_spanned!(ty.span()=> #ty<T>),
    }
}

fn declared(l: &crate::ir::Layer) -> String {
    l.tokens
        .to_string()
        .split_once(':')
        .map_or_else(String::new, |(_, t)| t.trim().replace(" (", "("))
}

fn size_tokens(s: &Size) -> TokenStream {
    match s {
        Size::Lit(n) => lit(*n).into_token_stream(),
        Size::Sym(e) => e.into_token_stream(),
    }
}

fn emit_build(c: &Compiled) -> TokenStream {
    let dz = dz();
    let args = ctor_params(c.model);
    let k = lit(c.shapes.classes.len());
    let inits = c.graph.layers.iter().map(|l| {
        let ident = &l.ident;
        match &l.kind {
            LayerKind::Linear {
                in_size,
                out_size,
                bias,
            } => {
                let o = size_tokens(out_size);
                let nobias = if *bias { quote!() } else { quote!(.nobias()) };
                match in_size {
                    None => quote!(let #ident = #dz::Linear::<T>::new(#o) #nobias;),
                    Some(i) => {
                        let i = size_tokens(i);
                        quote! {
                            let #ident = match __rng.as_deref_mut() {
                                ::core::option::Option::Some(__r) => #dz::Linear::<T>::with_in_rng(#i, #o, __r),
                                ::core::option::Option::None => #dz::Linear::<T>::with_in(#i, #o),
                            } #nobias;
                        }
                    }
                }
            }
            // The type is not named here: it is inferred from the field, so
            // that a misspelt one is reported once (at the field), and a
            // wrong argument list by `BuildFrom`'s message.
            LayerKind::Nested { ty, args } => {
                // Every token at the type (the path written out rather than
                // `#dz`, which is at the macro call), so that the error's
                // notes point into the field too.
                let call = quote_spanned! {ty.span()=>
                    ::dezero::__private::compiled::BuildFrom::build_from((#(#args,)*), __rng.as_deref_mut())?
                };
                // A type that is not a `model!` type (`MLP`) fails here
                // with the error every other use of it gives, at the same
                // token, so that rustc shows it once; its `BuildFrom` (see
                // the runtime's impls for define-by-run models) then fails
                // only through this bound, and is not reported again.
                let mut local = ident.clone();
                local.set_span(ty.span());
                let check = quote_spanned! {ty.span()=>
                    let _ = ::dezero::__private::compiled::CompiledModel::<T>::workspace_bytes(&#local);
                };
                quote!(let #ident = #call; #check)
            }
        }
    });
    let names = c.graph.layers.iter().map(|l| &l.ident);
    quote! {
        #[doc(hidden)]
        #[allow(unused_variables, unused_mut, clippy::too_many_arguments, clippy::needless_option_as_deref)]
        pub fn __build(
            #(#args,)*
            mut __rng: ::core::option::Option<&mut #dz::random::RandomState>,
        ) -> #dz::Result<Self> {
            #(#inits)*
            ::core::result::Result::Ok(Self {
                #(#names,)*
                __ws: #dz::compiled::Workspace::new(),
                __split: ::core::default::Default::default(),
                __split_dims: [0; #k],
            })
        }
    }
}

/// The name of the first layer that reads the model's input.
fn first_consumer(c: &Compiled) -> String {
    let model = c.model.ident.to_string();
    for n in &c.graph.nodes {
        match n.op {
            Op::Linear { layer, x } | Op::Nested { layer, x } if x.0 == 0 => {
                return format!("{model}.{}", c.graph.layer(layer).ident);
            }
            _ => {}
        }
    }
    model
}

fn emit_dims(c: &Compiled) -> TokenStream {
    let dz = dz();
    let k = lit(c.shapes.classes.len());
    let model = c.model.ident.to_string();
    let mut body = Vec::new();
    for (i, l) in c.graph.layers.iter().enumerate() {
        if let LayerKind::Linear { .. } = l.kind {
            let ident = &l.ident;
            let who = format!("{model}.{ident}");
            let (ci, co) = (lit(c.shapes.layer_in[i]), lit(c.shapes.layer_out[i]));
            body.push(quote! {
                if let ::core::option::Option::Some(__i) = self.#ident.in_size() {
                    #dz::compiled::fix_width(&mut __d[#ci], __i, #who, "input")?;
                }
                #dz::compiled::fix_width(&mut __d[#co], self.#ident.out_size(), #who, "output")?;
            });
        }
    }
    let cin = lit(c.shapes.value_class[0]);
    let first = first_consumer(c);
    body.push(quote! {
        if let ::core::option::Option::Some(__w) = __x {
            match __d[#cin] {
                ::core::option::Option::Some(__e) => #dz::compiled::check_input(__rows, __w, __e, #first)?,
                ::core::option::Option::None => __d[#cin] = ::core::option::Option::Some(__w),
            }
        }
    });
    for n in &c.graph.nodes[..c.graph.forward_len] {
        if let Op::Nested { layer, .. } = n.op {
            let ident = &c.graph.layer(layer).ident;
            let who = format!("{model}.{ident}");
            let (ci, co) = (
                lit(c.shapes.layer_in[layer.0]),
                lit(c.shapes.layer_out[layer.0]),
            );
            let out_width = nested_call(c.graph.layer(layer), "out_width", false, quote!(__i));
            body.push(quote! {
                if let ::core::option::Option::Some(__i) = __d[#ci] {
                    let __o = #out_width?;
                    #dz::compiled::fix_width(&mut __d[#co], __o, #who, "output")?;
                }
            });
        }
    }
    quote! {
        /// The width of every class that the layers, the input width `__x`
        /// and the nested models determine, checking that they agree.
        #[allow(unused_variables)]
        fn __dims(
            &self,
            __x: ::core::option::Option<usize>,
            __rows: usize,
        ) -> #dz::Result<[::core::option::Option<usize>; #k]> {
            let mut __d: [::core::option::Option<usize>; #k] = [::core::option::Option::None; #k];
            #(#body)*
            ::core::result::Result::Ok(__d)
        }
    }
}

fn emit_init_lazy(c: &Compiled) -> TokenStream {
    let dz = dz();
    let k = lit(c.shapes.classes.len());
    let mut seen = vec![false; c.graph.layers.len()];
    let mut body = Vec::new();
    for n in &c.graph.nodes[..c.graph.forward_len] {
        match n.op {
            Op::Linear { layer, .. } if !seen[layer.0] => {
                seen[layer.0] = true;
                let ident = &c.graph.layer(layer).ident;
                let ci = lit(c.shapes.layer_in[layer.0]);
                body.push(quote! {
                    if self.#ident.in_size().is_none() {
                        self.#ident.init_w(__d[#ci], __rng);
                    }
                });
            }
            Op::Nested { layer, .. } if !seen[layer.0] => {
                seen[layer.0] = true;
                let ci = lit(c.shapes.layer_in[layer.0]);
                let init_lazy = nested_call(
                    c.graph.layer(layer),
                    "init_lazy",
                    false,
                    quote!(__d[#ci], __rng),
                );
                body.push(quote!(#init_lazy?;));
            }
            _ => {}
        }
    }
    quote! {
        /// Initialises the layers still waiting for their input size, in the
        /// order the forward pass first calls them (define-by-run's order).
        #[allow(unused_variables)]
        fn __init_lazy(
            &self,
            __d: &[usize; #k],
            __rng: &mut #dz::random::RandomState,
        ) -> #dz::Result<()> {
            #(#body)*
            ::core::result::Result::Ok(())
        }
    }
}

fn emit_standardize(c: &Compiled) -> TokenStream {
    let dz = dz();
    let body = c.graph.layers.iter().filter_map(|l| match l.kind {
        LayerKind::Linear { .. } => {
            let ident = &l.ident;
            Some(quote! {
                #dz::compiled::make_standard(&self.#ident.w);
                if let ::core::option::Option::Some(__b) = &self.#ident.b {
                    #dz::compiled::make_standard(__b);
                }
            })
        }
        LayerKind::Nested { .. } => None,
    });
    quote! {
        /// Makes every weight contiguous (a no-op once it is).
        fn __standardize(&self) {
            #(#body)*
        }
    }
}
