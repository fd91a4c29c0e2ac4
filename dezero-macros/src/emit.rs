//! Code generation: the struct, its constructor, the fused passes, the
//! `Layer` and `CompiledModel` impls, and the plan constants. Everything
//! here works on checked, planned input and cannot fail.
//!
//! Generated code reaches the runtime only through the absolute path
//! `::dezero::__private`, and its locals start with `__` so that they never
//! meet a user's names.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Ident;

use crate::check;
use crate::ir::{BinKind, Buf, Graph, LayerId, LayerKind, LossKind, Mode, Op, Program, Size, Step};
use crate::parse::Model;
use crate::plan::Slots;
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

fn dz() -> TokenStream {
    quote!(::dezero::__private)
}

fn lit(n: usize) -> Literal {
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
    let split = emit_split(c);
    let plan_fn = emit_plan(c);
    let layer_impl = emit_layer_impl(c);
    let compiled_impl = emit_compiled_impl(c);
    let args = ctor_params(m);
    let arg_names: Vec<&Ident> = check::ctor_args(m).map(|a| &a.ident).collect();
    let new_doc = format!(
        "Builds a `{name_str}` (layers with a known input size are initialised now from \
         the global random stream, the others at the first call, as define-by-run would)."
    );
    quote! {
        #strukt

        impl<T: #dz::Scalar> #name<T> {
            #[doc = #new_doc]
            pub fn new(#(#args),*) -> Self {
                Self::__build(#(#arg_names,)* ::core::option::Option::None)
            }

            /// Builds the model and initialises every layer now from `rng`, as the
            /// first call with inputs of width `in_size` would.
            ///
            /// # Errors
            /// If `in_size` does not fit a layer declared with an input size.
            pub fn with_rng(
                #(#args,)*
                in_size: usize,
                rng: &mut #dz::random::RandomState,
            ) -> #dz::Result<Self> {
                let __m = Self::__build(#(#arg_names,)* ::core::option::Option::Some(&mut *rng));
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
            /// If `x` is not a matrix whose width fits the model.
            pub fn try_forward(
                &self,
                x: &#dz::Variable<T>,
            ) -> #dz::Result<#dz::Variable<T>> {
                #dz::compiled::forward_node(self, x)
            }

            #train
            #predict
            #split
            #plan_fn
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
        Size::Arg(a) => a.into_token_stream(),
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
            LayerKind::Nested { ty, args } => {
                quote_spanned! {ty.span()=>
                    let #ident = #ty::<T>::__build(#(#args,)* __rng.as_deref_mut());
                }
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
        ) -> Self {
            #(#inits)*
            Self {
                #(#names,)*
                __ws: #dz::compiled::Workspace::new(),
                __split_dims: [0; #k],
            }
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
            body.push(quote! {
                if let ::core::option::Option::Some(__i) = __d[#ci] {
                    let __o = #dz::compiled::CompiledModel::<T>::out_width(&self.#ident, __i)?;
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
                let ident = &c.graph.layer(layer).ident;
                let ci = lit(c.shapes.layer_in[layer.0]);
                body.push(quote! {
                    #dz::compiled::CompiledModel::<T>::init_lazy(&self.#ident, __d[#ci], __rng)?;
                });
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

// ---------------------------------------------------------------------------
// Passes
// ---------------------------------------------------------------------------

/// Emits the layout of a program's slots: offsets per slot for the current
/// rows and widths, growing the slab if needed.
fn layout(slots: &Slots, p: &Program) -> TokenStream {
    let s = slots.members.len();
    let sizes = slots.members.iter().map(|mem| {
        let mut classes: Vec<usize> = mem.iter().map(|b| p.bufs[b.0].class).collect();
        classes.sort_unstable();
        classes.dedup();
        let mut it = classes.into_iter().map(lit);
        match it.next() {
            Some(first) => {
                let rest = it;
                quote!(__d[#first] #(.max(__d[#rest]))*)
            }
            None => quote!(0),
        }
    });
    let s1 = lit(s + 1);
    let sl = lit(s);
    quote! {
        let __sz: [usize; #sl] = [#(#sizes),*];
        let mut __off = [0usize; #s1];
        for __i in 0..#sl {
            __off[__i + 1] = __off[__i] + __sz[__i] * __rows;
        }
        if __slab.len() < __off[#sl] {
            __slab.resize(__off[#sl], <T as ::dezero::__private::Scalar>::from_f64_lossy(0.0));
        }
    }
}

/// Code for one program's steps `range`.
struct StepEmitter<'a> {
    c: &'a Compiled<'a>,
    p: &'a Program,
    slots: &'a Slots,
}

impl StepEmitter<'_> {
    fn width(&self, b: Buf) -> TokenStream {
        let cl = lit(self.p.bufs[b.0].class);
        quote!(__d[#cl])
    }

    fn range(&self, b: Buf) -> TokenStream {
        match self.slots.slot_of[b.0] {
            Some(s) => {
                let s = lit(s);
                let w = self.width(b);
                quote!(__off[#s]..__off[#s] + __rows * #w)
            }
            None => quote!(0..0),
        }
    }

    fn external(&self, b: Buf) -> bool {
        b == self.p.input && self.p.external_input()
    }

    /// Binds the read buffers to `__r0..` and the written one to `__w`.
    fn bind(&self, reads: &[Buf], write: Option<Buf>) -> TokenStream {
        let mut ext = Vec::new();
        let mut names = Vec::new();
        let mut ranges = Vec::new();
        for (i, &b) in reads.iter().enumerate() {
            let n = format_ident!("__r{}", i);
            if self.external(b) {
                ext.push(quote!(let #n: &[T] = __x;));
            } else {
                names.push(n);
                ranges.push(self.range(b));
            }
        }
        match write {
            Some(w) => {
                let wr = self.range(w);
                quote! {
                    #(#ext)*
                    let ([#(#names),*], __w) = ::dezero::__private::compiled::split_rw(&mut __slab[..], [#(#ranges),*], #wr);
                }
            }
            None => quote! {
                #(#ext)*
                #(let #names: &[T] = &__slab[#ranges];)*
            },
        }
    }

    fn layer(&self, l: LayerId) -> (&Ident, Literal, Literal) {
        (
            &self.c.graph.layer(l).ident,
            lit(self.c.shapes.layer_in[l.0]),
            lit(self.c.shapes.layer_out[l.0]),
        )
    }

    fn step(&self, s: &Step) -> TokenStream {
        let dz = dz();
        let k = quote!(#dz::kernels);
        let cm = quote!(#dz::compiled::CompiledModel::<T>);
        match *s {
            Step::LoadInput { x } => {
                let r = self.range(x);
                quote!(__slab[#r].copy_from_slice(__x);)
            }
            Step::Affine { layer, x, y, act } => {
                let bind = self.bind(&[x], Some(y));
                let (ident, ci, co) = self.layer(layer);
                let act = act.map(|a| {
                    let f = format_ident!("{}_inplace", a.name());
                    quote!(#k::#f(__w);)
                });
                quote! {
                    #bind
                    let __wt = self.#ident.w.data();
                    let __bt = self.#ident.b.as_ref().map(|__b| __b.data());
                    #k::affine_rows(
                        __rows, __d[#ci], __d[#co], __r0,
                        __wt.as_slice().expect("weights were made standard"),
                        __bt.as_deref().map(|__b| __b.as_slice().expect("bias was made standard")),
                        __w,
                    );
                    #act
                }
            }
            Step::Act { act, x, y } => {
                let bind = self.bind(&[x], Some(y));
                let f = format_ident!("{}", act.name());
                quote! { #bind #k::#f(__r0, __w); }
            }
            Step::Binary { kind, a, b, y } => {
                let bind = self.bind(&[a, b], Some(y));
                let call = match kind {
                    BinKind::Add => quote!(#k::add_into(__r0, __r1, __w)),
                    BinKind::Sub => quote!(#k::sub_into(__r0, __r1, __w)),
                    BinKind::Mul => quote!(#k::mul_into(__r0, __r1, __w, false)),
                };
                quote! { #bind #call; }
            }
            Step::Nested { layer, x, y } => {
                let bind = self.bind(&[x], Some(y));
                let ident = &self.c.graph.layer(layer).ident;
                if self.p.mode == Mode::Predict {
                    quote! { #bind #cm::predict_into(&mut self.#ident, __r0, __rows, __w)?; }
                } else {
                    quote! { #bind #cm::forward_split(&mut self.#ident, __r0, __rows, __w)?; }
                }
            }
            Step::StoreOutput { y } => {
                let r = self.range(y);
                quote!(__out.copy_from_slice(&__slab[#r]);)
            }
            Step::Loss { kind, y, g } => self.loss(kind, y, g, true),
            Step::LossGrad { kind, y, g } => self.loss(kind, y, Some(g), false),
            Step::LoadSeed { g } => {
                let r = self.range(g);
                quote!(__slab[#r].copy_from_slice(__gy);)
            }
            Step::ActGrad {
                act,
                y,
                gy,
                gx,
                acc,
            } => {
                let bind = self.bind(&[y, gy], Some(gx));
                let f = if acc {
                    format_ident!("{}_backward_acc", act.name())
                } else {
                    format_ident!("{}_backward", act.name())
                };
                quote! { #bind #k::#f(__r0, __r1, __w); }
            }
            Step::ActGradInPlace { act, y, g } => {
                let bind = self.bind(&[y], Some(g));
                let f = format_ident!("{}_backward_inplace", act.name());
                quote! { #bind #k::#f(__r0, __w); }
            }
            Step::LinearGradW { layer, x, gy } => {
                let bind = self.bind(&[x, gy], None);
                let (ident, ci, co) = self.layer(layer);
                quote! {
                    #bind
                    __sink.accumulate(&self.#ident.w, &mut |__g: &mut [T]| {
                        #k::matmul_tn_acc(__rows, __d[#ci], __d[#co], __r0, __r1, __g)
                    });
                    if let ::core::option::Option::Some(__b) = &self.#ident.b {
                        __sink.accumulate(__b, &mut |__g: &mut [T]| {
                            #k::sum_rows_acc(__rows, __d[#co], __r1, __g)
                        });
                    }
                }
            }
            Step::LinearGradX {
                layer,
                gy,
                gx,
                acc,
                act,
            } => {
                let mut reads = vec![gy];
                if let Some((_, y)) = act {
                    reads.push(y);
                }
                let bind = self.bind(&reads, Some(gx));
                let (ident, ci, co) = self.layer(layer);
                let act = act.map(|(a, _)| {
                    let f = format_ident!("{}_backward_inplace", a.name());
                    quote!(#k::#f(__r1, __w);)
                });
                quote! {
                    #bind
                    let __wt = self.#ident.w.data();
                    #k::matmul_nt(
                        __rows, __d[#co], __d[#ci], __r0,
                        __wt.as_slice().expect("weights were made standard"),
                        __w, #acc,
                    );
                    #act
                }
            }
            Step::Copy { src, dst, neg, acc } => {
                let bind = self.bind(&[src], Some(dst));
                quote! { #bind #k::copy_into(__r0, __w, #neg, #acc); }
            }
            Step::MulGrad {
                gy,
                other,
                dst,
                acc,
            } => {
                let bind = self.bind(&[gy, other], Some(dst));
                quote! { #bind #k::mul_into(__r0, __r1, __w, #acc); }
            }
            Step::NestedGrad { layer, gy, gx, acc } => {
                let ident = &self.c.graph.layer(layer).ident;
                match gx {
                    Some(gx) => {
                        let bind = self.bind(&[gy], Some(gx));
                        quote! {
                            #bind
                            #cm::backward_split(&mut self.#ident, __r0, ::core::option::Option::Some(__w), #acc, &mut *__sink);
                        }
                    }
                    None => {
                        let bind = self.bind(&[gy], None);
                        quote! {
                            #bind
                            #cm::backward_split(&mut self.#ident, __r0, ::core::option::Option::None, false, &mut *__sink);
                        }
                    }
                }
            }
            Step::StoreGradInput { g } => {
                let r = self.range(g);
                quote! {
                    if let ::core::option::Option::Some(__gxo) = __gx_out.take() {
                        #k::copy_into(&__slab[#r], __gxo, false, __acc_in);
                    }
                }
            }
        }
    }

    fn loss(&self, kind: LossKind, y: Buf, g: Option<Buf>, keep: bool) -> TokenStream {
        let dz = dz();
        let k = quote!(#dz::kernels);
        let nd = quote!(#dz::ndarray);
        let wy = self.width(y);
        let set = |e: TokenStream| {
            if keep {
                quote!(__loss = #e;)
            } else {
                quote!(let _ = #e;)
            }
        };
        match (kind, g) {
            (LossKind::MeanSquaredError, Some(g)) => {
                let bind = self.bind(&[y], Some(g));
                let value =
                    set(quote!(#k::mean_squared_error(__yv.into_dyn(), t.view().into_dyn())));
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    #value
                    let __gv = #nd::ArrayViewMut2::from_shape((__rows, #wy), __w).expect("a slot holds rows × width");
                    #k::mean_squared_error_backward(__yv.into_dyn(), t.view().into_dyn(), <T as #dz::Scalar>::from_f64_lossy(1.0), __gv.into_dyn());
                }
            }
            (LossKind::MeanSquaredError, None) => {
                let bind = self.bind(&[y], None);
                let value =
                    set(quote!(#k::mean_squared_error(__yv.into_dyn(), t.view().into_dyn())));
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    #value
                }
            }
            (LossKind::SoftmaxCrossEntropy, Some(g)) => {
                let bind = self.bind(&[y], Some(g));
                let value = set(quote!(#k::softmax_cross_entropy(__yv, t, __pv)));
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    let __pv = #nd::ArrayViewMut2::from_shape((__rows, #wy), &mut *__w).expect("a slot holds rows × width");
                    #value
                    #k::softmax_cross_entropy_backward_inplace(#wy, t, <T as #dz::Scalar>::from_f64_lossy(1.0), __w);
                }
            }
            (LossKind::SoftmaxCrossEntropy, None) => {
                let bind = self.bind(&[y], None);
                let value = set(quote!(#k::softmax_cross_entropy(__yv, t, __pv.view_mut())));
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    let mut __pv = #nd::Array2::<T>::zeros((__rows, #wy));
                    #value
                }
            }
        }
    }

    fn steps(&self, range: std::ops::Range<usize>) -> TokenStream {
        let steps = self.p.steps[range].iter().map(|s| {
            let code = self.step(s);
            quote!({ #code })
        });
        quote!(#(#steps)*)
    }
}

/// The prologue shared by the passes that take the caller's matrix `x`.
fn take_input(slots: &Slots, p: &Program) -> TokenStream {
    let dz = dz();
    let layout = layout(slots, p);
    quote! {
        let __rows = x.nrows();
        let __d = self.__resolve(x.ncols(), __rows)?;
        #dz::random::with_global(|__rng| self.__init_lazy(&__d, __rng))?;
        self.__standardize();
        let #dz::compiled::Workspace { slab: __slab, xbuf: __xbuf, .. } = &mut self.__ws;
        #layout
        let __x: &[T] = match x.as_slice() {
            ::core::option::Option::Some(__s) => __s,
            ::core::option::Option::None => {
                __xbuf.clear();
                __xbuf.extend(x.iter().copied());
                &__xbuf[..]
            }
        };
    }
}

fn emit_train(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
    let model = c.model.ident.to_string();
    let Some((p, slots)) = &c.train else {
        let doc = format!(
            "`{model}` declares no `fn loss`, so it cannot be trained with `forward_backward`; \
             add one to the `model!`."
        );
        // Spanned at the model's name, so that the notes of the error at a
        // call point at the declaration rather than at the macro.
        return quote_spanned! {c.model.ident.span()=>
            #[doc = #doc]
            #[allow(unreachable_code)]
            pub fn forward_backward<__U>(
                &mut self,
                _x: ::dezero::__private::ndarray::ArrayView2<'_, T>,
                _t: __U,
            ) -> ::dezero::__private::Result<T>
            where
                Self: ::dezero::__private::compiled::HasLoss,
            {
                match <Self as ::dezero::__private::compiled::HasLoss>::unreachable() {}
            }
        };
    };
    let Some(loss) = c.graph.loss else {
        return quote!();
    };
    let cy = lit(c.shapes.value_class[loss.y.0]);
    let who = format!("{model} loss ({})", loss.kind.name());
    let (t_ty, t_check, t_doc) = match loss.kind {
        LossKind::MeanSquaredError => (
            quote!(#nd::ArrayView2<'_, T>),
            quote! {
                if t.shape() != [__rows, __d[#cy]] {
                    return ::core::result::Result::Err(#dz::Error::Shape {
                        op: ::std::string::String::from(#who),
                        expected: ::std::format!("target of shape [{}, {}]", __rows, __d[#cy]),
                        got: ::std::format!("{:?}", t.shape()),
                    });
                }
            },
            "`t` is the target, of the output's shape (DeZero's `mean_squared_error`, which \
             divides by the number of rows).",
        ),
        LossKind::SoftmaxCrossEntropy => (
            quote!(&[usize]),
            quote! {
                if t.len() != __rows {
                    return ::core::result::Result::Err(#dz::Error::Shape {
                        op: ::std::string::String::from(#who),
                        expected: ::std::format!("{} class targets", __rows),
                        got: ::std::format!("{}", t.len()),
                    });
                }
                if let ::core::option::Option::Some(__bad) = t.iter().find(|&&__c| __c >= __d[#cy]) {
                    return ::core::result::Result::Err(#dz::Error::Shape {
                        op: ::std::string::String::from(#who),
                        expected: ::std::format!("class targets below {}", __d[#cy]),
                        got: ::std::format!("{}", __bad),
                    });
                }
            },
            "`t` holds one class index per row (DeZero's `softmax_cross_entropy`).",
        ),
    };
    let e = StepEmitter { c, p, slots };
    let steps = e.steps(0..p.steps.len());
    let layout = layout(slots, p);
    let doc = format!(
        "One fused training pass: forward, loss and backward in the workspace; each \
         parameter's gradient is added to its `grad` (created on first use). Returns the loss.\n\n\
         {t_doc} Once warm (same or smaller batch), it allocates nothing.\n\n\
         # Errors\n\
         If `x`'s width does not fit the model or `t` does not fit the output, naming the \
         layer; the model is left untouched."
    );
    quote! {
        #[doc = #doc]
        pub fn forward_backward(
            &mut self,
            x: #nd::ArrayView2<'_, T>,
            t: #t_ty,
        ) -> #dz::Result<T> {
            let __rows = x.nrows();
            let __d = self.__resolve(x.ncols(), __rows)?;
            #t_check
            #dz::random::with_global(|__rng| self.__init_lazy(&__d, __rng))?;
            self.__standardize();
            let mut __param_grads = #dz::compiled::ParamGrads;
            let __sink: &mut dyn #dz::compiled::GradSink<T> = &mut __param_grads;
            let #dz::compiled::Workspace { slab: __slab, xbuf: __xbuf, .. } = &mut self.__ws;
            #layout
            let __x: &[T] = match x.as_slice() {
                ::core::option::Option::Some(__s) => __s,
                ::core::option::Option::None => {
                    __xbuf.clear();
                    __xbuf.extend(x.iter().copied());
                    &__xbuf[..]
                }
            };
            let mut __loss = <T as #dz::Scalar>::from_f64_lossy(0.0);
            #steps
            ::core::result::Result::Ok(__loss)
        }
    }
}

fn emit_predict(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
    let (p, slots) = &c.predict;
    let e = StepEmitter { c, p, slots };
    let steps = e.steps(0..p.steps.len());
    let prologue = take_input(slots, p);
    let out = e.range(p.output);
    let wout = e.width(p.output);
    quote! {
        /// The model's output for `x` by the inference plan (no activations
        /// kept for a backward pass, fewer slots); a view into the workspace,
        /// valid until the next call.
        ///
        /// # Errors
        /// If `x`'s width does not fit the model, naming the layer.
        pub fn predict(
            &mut self,
            x: #nd::ArrayView2<'_, T>,
        ) -> #dz::Result<#nd::ArrayView2<'_, T>> {
            #prologue
            #steps
            let __r = #out;
            let __n = #wout;
            ::core::result::Result::Ok(
                #nd::ArrayView2::from_shape((__rows, __n), &self.__ws.slab[__r])
                    .expect("a slot holds rows × width"),
            )
        }
    }
}

fn emit_split(c: &Compiled) -> TokenStream {
    let dz = dz();
    let (p, slots) = &c.split;
    let e = StepEmitter { c, p, slots };
    let fwd = e.steps(0..p.split_at);
    let bwd = e.steps(p.split_at..p.steps.len());
    let layout = layout(slots, p);
    let stores_gx = p
        .steps
        .iter()
        .any(|s| matches!(s, Step::StoreGradInput { .. }));
    let zero_gx = if stores_gx {
        quote!()
    } else {
        quote! {
            if let ::core::option::Option::Some(__gxo) = __gx_out.take() {
                if !__acc_in {
                    __gxo.fill(<T as #dz::Scalar>::from_f64_lossy(0.0));
                }
            }
        }
    };
    quote! {
        #[allow(unused_variables)]
        fn __forward_split(&mut self, __x: &[T], __rows: usize, __out: &mut [T]) -> #dz::Result<()> {
            self.__ws.rows = __rows;
            if __rows == 0 {
                return ::core::result::Result::Ok(());
            }
            let __d = self.__resolve(__x.len() / __rows, __rows)?;
            #dz::compiled::init_lazy_global(&*self, __x.len() / __rows)?;
            self.__standardize();
            self.__split_dims = __d;
            let __slab = &mut self.__ws.slab;
            #layout
            #fwd
            ::core::result::Result::Ok(())
        }

        #[allow(unused_variables, unused_mut)]
        fn __backward_split(
            &mut self,
            __gy: &[T],
            mut __gx_out: ::core::option::Option<&mut [T]>,
            __acc_in: bool,
            __sink: &mut dyn #dz::compiled::GradSink<T>,
        ) {
            let __rows = self.__ws.rows;
            if __rows == 0 {
                return;
            }
            let __d = self.__split_dims;
            let __slab = &mut self.__ws.slab;
            #layout
            #bwd
            #zero_gx
        }
    }
}

// ---------------------------------------------------------------------------
// Plans as constants
// ---------------------------------------------------------------------------

fn plan_spec(
    c: &Compiled,
    kind: &str,
    p: &Program,
    slots: &Slots,
    naive: &[(String, usize)],
) -> TokenStream {
    let dz = dz();
    let name = |b: Buf| p.bufs[b.0].name.clone();
    let steps = p.steps.iter().map(|s| {
        let op = s.label(c.graph);
        let mut reads: Vec<String> = s.reads().into_iter().map(name).collect();
        let mut writes: Vec<String> = s.writes().into_iter().map(name).collect();
        match *s {
            Step::Loss { .. } | Step::LossGrad { .. } => reads.push("t".to_string()),
            Step::LinearGradW { layer, .. } => {
                let l = c.graph.layer(layer);
                writes.push(format!("{}/W.grad", l.ident));
                if matches!(l.kind, LayerKind::Linear { bias: true, .. }) {
                    writes.push(format!("{}/b.grad", l.ident));
                }
            }
            Step::NestedGrad { layer, .. } => {
                writes.push(format!("{}/*.grad", c.graph.layer(layer).ident));
            }
            _ => {}
        }
        quote!(#dz::compiled::StepSpec { op: #op, reads: &[#(#reads),*], writes: &[#(#writes),*] })
    });
    let slot_specs = slots.members.iter().map(|mem| {
        let values: Vec<String> = mem.iter().map(|&b| name(b)).collect();
        let classes = mem.iter().map(|b| lit(p.bufs[b.0].class));
        quote!(#dz::compiled::SlotSpec { values: &[#(#values),*], classes: &[#(#classes),*] })
    });
    let values = naive.iter().map(|(n, cl)| {
        let cl = lit(*cl);
        quote!((#n, #cl))
    });
    quote! {
        #dz::compiled::PlanSpec {
            kind: #kind,
            steps: &[#(#steps),*],
            slots: &[#(#slot_specs),*],
            values: &[#(#values),*],
        }
    }
}

fn emit_plan(c: &Compiled) -> TokenStream {
    let dz = dz();
    let model = c.model.ident.to_string();
    let k = lit(c.shapes.classes.len());
    let (train_p, train_s, train_kind) = match &c.train {
        Some((p, s)) => (p, s, "training"),
        None => (&c.split.0, &c.split.1, "training (split, no loss)"),
    };
    let train = plan_spec(c, train_kind, train_p, train_s, &c.naive_train);
    let predict = plan_spec(c, "inference", &c.predict.0, &c.predict.1, &c.naive_predict);
    let classes = c.shapes.classes.iter().map(|ci| ci.name.clone());
    quote! {
        /// The compiled plans (training and inference) with the widths known
        /// now: the op schedule after fusion, the buffer slots and their
        /// sizes per batch row, and the bytes planned against a naive plan.
        /// Print it, or render it with `to_dot()`.
        pub fn plan(&self) -> #dz::compiled::Plans {
            const __CLASSES: &[&str] = &[#(#classes),*];
            const __TRAIN: #dz::compiled::PlanSpec = #train;
            const __PREDICT: #dz::compiled::PlanSpec = #predict;
            let __d = self
                .__dims(::core::option::Option::None, 0)
                .unwrap_or([::core::option::Option::None; #k]);
            let __elem = ::core::mem::size_of::<T>();
            #dz::compiled::Plans {
                train: #dz::compiled::Plan {
                    model: #model,
                    spec: &__TRAIN,
                    class_names: __CLASSES,
                    widths: __d.to_vec(),
                    elem_bytes: __elem,
                },
                predict: #dz::compiled::Plan {
                    model: #model,
                    spec: &__PREDICT,
                    class_names: __CLASSES,
                    widths: __d.to_vec(),
                    elem_bytes: __elem,
                },
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Trait impls
// ---------------------------------------------------------------------------

fn emit_layer_impl(c: &Compiled) -> TokenStream {
    let dz = dz();
    let name = &c.model.ident;
    let visits = c.graph.layers.iter().map(|l| {
        let ident = &l.ident;
        let s = ident.to_string();
        quote! {
            __v.enter(::core::format_args!(#s));
            #dz::Layer::<T>::visit_params(&self.#ident, __v);
            __v.leave();
        }
    });
    quote! {
        impl<T: #dz::Scalar> #dz::Layer<T> for #name<T> {
            fn visit_params(&self, __v: &mut dyn #dz::ParamVisitor<T>) {
                #(#visits)*
            }

            /// One define-by-run node whose backward is the fused backward pass.
            ///
            /// # Panics
            /// If `x` does not fit the model (see `try_forward`).
            fn forward(&self, x: &#dz::Variable<T>) -> #dz::Variable<T> {
                match #dz::compiled::forward_node(self, x) {
                    ::core::result::Result::Ok(__y) => __y,
                    ::core::result::Result::Err(__e) => ::core::panic!("{}", __e),
                }
            }

            /// Zeroes every present gradient in place rather than dropping it
            /// (unlike define-by-run layers), so the next compiled pass writes
            /// into the same arrays and allocates nothing.
            fn cleargrads(&self) {
                #dz::compiled::zero_grads(self)
            }
        }
    }
}

fn emit_compiled_impl(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
    let name = &c.model.ident;
    let name_str = name.to_string();
    let cout = lit(c.shapes.value_class[c.graph.output.0]);
    let shares = c.graph.layers.iter().map(|l| {
        let ident = &l.ident;
        match l.kind {
            LayerKind::Linear { .. } => quote! {
                #ident: {
                    let mut __l = #dz::Linear::<T>::new(self.#ident.out_size());
                    __l.w = ::core::clone::Clone::clone(&self.#ident.w);
                    __l.b = ::core::clone::Clone::clone(&self.#ident.b);
                    __l
                },
            },
            LayerKind::Nested { .. } => quote! {
                #ident: #dz::compiled::CompiledModel::<T>::share(&self.#ident),
            },
        }
    });
    let nested_bytes = c.graph.layers.iter().filter_map(|l| match l.kind {
        LayerKind::Nested { .. } => {
            let ident = &l.ident;
            Some(quote!(+ #dz::compiled::CompiledModel::<T>::workspace_bytes(&self.#ident)))
        }
        LayerKind::Linear { .. } => None,
    });
    let has_loss = c.train.is_some().then(|| {
        quote! {
            impl<T: #dz::Scalar> #dz::compiled::HasLoss for #name<T> {
                fn unreachable() -> ::core::convert::Infallible {
                    ::core::unreachable!("never called: only the bound matters")
                }
            }
        }
    });
    let k = lit(c.shapes.classes.len());
    quote! {
        impl<T: #dz::Scalar> #dz::compiled::CompiledModel<T> for #name<T> {
            const NAME: &'static str = #name_str;

            fn out_width(&self, in_width: usize) -> #dz::Result<usize> {
                let __d = self.__dims(::core::option::Option::Some(in_width), 0)?;
                ::core::result::Result::Ok(__d[#cout].unwrap_or(0))
            }

            fn init_lazy(
                &self,
                in_width: usize,
                rng: &mut #dz::random::RandomState,
            ) -> #dz::Result<()> {
                let __d = self.__resolve(in_width, 0)?;
                self.__init_lazy(&__d, rng)
            }

            fn forward_split(&mut self, x: &[T], rows: usize, y: &mut [T]) -> #dz::Result<()> {
                self.__forward_split(x, rows, y)
            }

            fn backward_split(
                &mut self,
                gy: &[T],
                gx: ::core::option::Option<&mut [T]>,
                acc: bool,
                sink: &mut dyn #dz::compiled::GradSink<T>,
            ) {
                self.__backward_split(gy, gx, acc, sink)
            }

            fn predict_into(&mut self, x: &[T], rows: usize, y: &mut [T]) -> #dz::Result<()> {
                if rows == 0 {
                    return ::core::result::Result::Ok(());
                }
                let __v = #nd::ArrayView2::from_shape((rows, x.len() / rows), x)
                    .expect("rows divide the input");
                let __p = self.predict(__v)?;
                for (__o, __i) in y.iter_mut().zip(__p.iter()) {
                    *__o = *__i;
                }
                ::core::result::Result::Ok(())
            }

            fn share(&self) -> Self {
                Self {
                    #(#shares)*
                    __ws: #dz::compiled::Workspace::new(),
                    __split_dims: [0; #k],
                }
            }

            fn workspace_bytes(&self) -> usize {
                self.__ws.bytes() #(#nested_bytes)*
            }
        }

        #has_loss
    }
}
