//! Code generation for the passes: `forward_backward` (training),
//! `predict` (inference) and the split forward/backward pair that nesting
//! and the define-by-run node call. Each is a prologue (widths, lazy
//! initialisation, slot layout, the input) followed by its program's steps.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::emit::{dz, lit, Compiled};
use crate::emit_step::{layout, StepEmitter};
use crate::ir::{LayerKind, LossKind};
use crate::program::Step;

pub(crate) fn emit_train(c: &Compiled) -> TokenStream {
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
            pub fn forward_backward<__X, __U>(
                &mut self,
                _x: __X,
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
    // The target's bound at the loss, where the note of an error about a
    // wrong target points.
    let (t_arg, t_take) = target_param(c, loss.kind);
    let cy = lit(c.shapes.value_class[loss.y.0]);
    let who = format!("{model} loss ({})", loss.kind.name());
    let who_fb = format!("{model}.forward_backward");
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
                #dz::compiled::check_classes(t, __d[#cy], #who)?;
            },
            "`t` holds one class index per row (DeZero's `softmax_cross_entropy`), below the \
             output's width, which must be at least 2.",
        ),
    };
    let e = StepEmitter { c, p, slots };
    let steps = e.steps(0..p.steps.len());
    let layout = layout(slots, p);
    let k = lit(c.shapes.classes.len());
    // A nested model's steps call into its own workspace (`&mut`), so its
    // pass cannot run on two threads at once; it is never split.
    let nested = has_nested(c);
    let this = if nested {
        quote!(&mut self)
    } else {
        quote!(&self)
    };
    // Rows `range` of the target.
    let t_part = |range: TokenStream| match loss.kind {
        LossKind::MeanSquaredError => {
            quote!(t.slice_axis(#nd::Axis(0), #nd::Slice::from(#range)))
        }
        LossKind::SoftmaxCrossEntropy => quote!(&t[#range]),
    };
    let t_block = t_part(quote!(__rg.clone()));
    // One block on this thread: rows `__rg` of the batch, `__xb` of the input.
    let direct = quote! {
        self.__train_rows(
            __slab, __xb, #t_block, __rg.start, __rg.len(), __rows, __d, __check,
            &mut #dz::compiled::ParamGrads,
        )
    };
    let block_pass = if nested {
        direct
    } else {
        // Multiply-adds per batch row of the pass's products, all and largest.
        let products: Vec<TokenStream> = p
            .steps
            .iter()
            .filter_map(|s| match *s {
                Step::Affine { layer, .. }
                | Step::LinearGradW { layer, .. }
                | Step::LinearGradX { layer, .. } => {
                    let ci = lit(c.shapes.layer_in[layer.0]);
                    let co = lit(c.shapes.layer_out[layer.0]);
                    Some(quote!(__d[#ci] * __d[#co]))
                }
                _ => None,
            })
            .collect();
        let t_half = t_part(quote!(__rg.start + __h.start..__rg.start + __h.end));
        quote! {
            let __work: usize = 0 #(+ #products)*;
            let __largest: usize = 0 #(.max(#products))*;
            match #dz::compiled::split_point(__rg.len(), __work, __largest) {
                // The block's rows split between two threads, each half's
                // gradients added as the blocks' are.
                ::core::option::Option::Some(__first) => {
                    let __wx = x.ncols();
                    #dz::compiled::train_halves(
                        self,
                        __slab,
                        __split,
                        __rg.len(),
                        __first,
                        &|__s: &mut ::std::vec::Vec<T>, __h: ::core::ops::Range<usize>, __sink: &mut dyn #dz::compiled::GradSink<T>| {
                            self.__train_rows(
                                __s,
                                &__xb[__h.start * __wx..__h.end * __wx],
                                #t_half,
                                __rg.start + __h.start,
                                __h.len(),
                                __rows,
                                __d,
                                __check,
                                __sink,
                            )
                        },
                    )
                }
                ::core::option::Option::None => { #direct }
            }
        }
    };
    let doc = format!(
        "One fused training pass: forward, loss and backward in the workspace; each \
         parameter's gradient is added to its `grad` (created on first use). Returns the loss.\n\n\
         {t_doc} Once warm (same or smaller batch), it allocates nothing.\n\n\
         A batch of more rows than one block (`plan()` prints it: the rows whose \
         workspace fits `dezero::compiled::block_bytes()`, 4 MiB unless set) is run \
         block by block, each block's gradients added to the others', so that the \
         workspace stays bounded by a block whatever the batch (`workspace_bytes()`, \
         `release_memory()`); the sums then come out in another order, so their last \
         bits may differ from one block's.\n\n\
         With two threads (`dezero::kernels::set_threads(2)`), a batch whose products are \
         too small to be split one by one, but whose pass is long enough, is split by rows: \
         each thread runs the pass on half the rows (see `dezero::compiled::split_point`). \
         The gradients' sums then come out in another order, so their last bits may differ \
         from one thread's.\n\n\
         `x` is a matrix: a 2-dimensional view, a dynamic-rank view of two axes, or a \
         reference to an array (see `dezero::compiled::Batch`).\n\n\
         # Errors\n\
         If `x` is not a matrix or has no rows, naming the model; if `x`'s width does not \
         fit the model or `t` does not fit the output, naming the layer. The model is left \
         untouched: a fresh model's lazy layers stay uninitialised.\n\n\
         In check-finite mode (`dezero::check_finite()`, `DEZERO_CHECK_FINITE=1`), \
         `Error::NonFinite` naming the first step of the training plan (as `plan()` \
         prints it) that wrote a NaN or an infinity, with its inputs' shapes. A forward \
         step or the loss's value returns before any gradient is touched. A gradient \
         step returns after the gradient steps before it in the plan have added to their \
         parameters' `grad`s (a parameter gradient is checked after it was added to, and \
         keeps what was added); call `cleargrads()` before the next step. In a batch \
         of several blocks, the blocks before the one that failed have added their \
         gradients too. Weights are never changed."
    );
    quote! {
        #[doc = #doc]
        pub fn forward_backward<'__x, '__t>(
            &mut self,
            x: impl #dz::compiled::Batch<'__x, T>,
            t: #t_arg,
        ) -> #dz::Result<T> {
            #t_take
            let x = #dz::compiled::batch(x, #who_fb)?;
            let __rows = x.nrows();
            let __d = self.__resolve(x.ncols(), __rows)?;
            #t_check
            #dz::random::with_global(|__rng| self.__init_lazy(&__d, __rng))?;
            self.__standardize();
            // Out of `self` for the pass, which borrows the layers.
            let mut __ws = ::core::mem::take(&mut self.__ws);
            let mut __split = ::core::mem::take(&mut self.__split);
            let __result = self.__forward_backward_in(&mut __ws, &mut __split, x, t, &__d);
            self.__ws = __ws;
            self.__split = __split;
            __result
        }

        /// `forward_backward` in the workspaces taken out of `self`, block
        /// by block: each block on one thread, or split by rows between two.
        #[allow(unused_variables)]
        fn __forward_backward_in(
            #this,
            __ws: &mut #dz::compiled::Workspace<T>,
            __split: &mut #dz::compiled::RowSplit<T>,
            x: #nd::ArrayView2<'_, T>,
            t: #t_ty,
            __d: &[usize; #k],
        ) -> #dz::Result<T> {
            let __rows = x.nrows();
            // Read here: the mode is this thread's, and a split pass runs
            // half its rows on the helper thread.
            let __check: bool = #dz::compiled::checking();
            let __block = #dz::compiled::block_rows(self.__train_row_bytes(__d));
            #dz::compiled::train_blocks(
                __ws,
                x,
                __block,
                &mut |__slab: &mut ::std::vec::Vec<T>, __xb: &[T], __rg: ::core::ops::Range<usize>| {
                    #block_pass
                },
            )
        }

        /// The training plan's steps on rows `__row0..__row0 + __rows` of
        /// a batch of `__n_total` (which the loss divides by), in `__slab`; parameter
        /// gradients go to `__sink`; each step's output is checked when
        /// `__check`. Returns the loss.
        #[allow(clippy::too_many_arguments, unused_variables)]
        fn __train_rows(
            #this,
            __slab: &mut ::std::vec::Vec<T>,
            __x: &[T],
            t: #t_ty,
            __row0: usize,
            __rows: usize,
            __n_total: usize,
            __d: &[usize; #k],
            __check: bool,
            __sink: &mut dyn #dz::compiled::GradSink<T>,
        ) -> #dz::Result<T> {
            #layout
            let mut __loss = <T as #dz::Scalar>::from_f64_lossy(0.0);
            #steps
            ::core::result::Result::Ok(__loss)
        }
    }
}

/// `forward_backward`'s target parameter type, a trait bound spanned at
/// the loss's name, and the statement that reads it as the passes take it.
fn target_param(c: &Compiled, kind: LossKind) -> (TokenStream, TokenStream) {
    let span = loss_span(c);
    let dz = dz();
    match kind {
        LossKind::MeanSquaredError => (
            quote_spanned!(span=> impl ::dezero::__private::compiled::MseTarget<'__t, T>),
            {
                // A wrong target is the loss's: the message names it.
                let who = format!("{} loss ({})", c.model.ident, kind.name());
                quote!(let t: #dz::ndarray::ArrayView2<'__t, T> = #dz::compiled::MseTarget::target(t, #who)?;)
            },
        ),
        LossKind::SoftmaxCrossEntropy => (
            quote_spanned!(span=> impl ::dezero::__private::compiled::ClassTargets<'__t>),
            quote!(let t: &'__t [usize] = #dz::compiled::ClassTargets::classes(t);),
        ),
    }
}

/// The span of the loss function's name in `fn loss` (the model's name
/// when there is none).
fn loss_span(c: &Compiled) -> proc_macro2::Span {
    crate::check::loss_fn(c.model)
        .and_then(|f| match &f.body.tail {
            Some(crate::parse::Expr::Call(call)) => Some(call.func.span()),
            _ => None,
        })
        .unwrap_or_else(|| c.model.ident.span())
}

pub(crate) fn emit_predict(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
    let (p, slots) = &c.predict;
    let e = StepEmitter { c, p, slots };
    let steps = e.steps(0..p.steps.len());
    let check = e.check_flag(0..p.steps.len());
    let layout = layout(slots, p);
    let out = e.range(p.output);
    let wout = e.width(p.output);
    let k = lit(c.shapes.classes.len());
    // A nested model's predict is `&mut` (its own workspace).
    let this = if has_nested(c) {
        quote!(&mut self)
    } else {
        quote!(&self)
    };
    let who = format!("{}.predict", c.model.ident);
    quote! {
        /// The model's output for `x` by the inference plan (no activations
        /// kept for a backward pass, fewer slots); a view into the workspace,
        /// valid until the next call (`predict_owned` returns an array of
        /// its own, `predict_into` fills one).
        ///
        /// `x` is a matrix: a 2-dimensional view, a dynamic-rank view of
        /// two axes, or a reference to an array (see
        /// `dezero::compiled::Batch`).
        ///
        /// A batch of more rows than one block (`plan()` prints it) is run
        /// block by block, so that the workspace stays bounded by a block
        /// whatever the batch; the output is the same to the bit. The
        /// output of such a batch is then held by the model until the next
        /// call of one block, or `release_memory()`.
        ///
        /// # Errors
        /// If `x` is not a matrix or has no rows, naming the model (a fresh
        /// model's lazy layers then stay uninitialised); if `x`'s width
        /// does not fit the model, naming the layer. In
        /// check-finite mode (`dezero::check_finite()`,
        /// `DEZERO_CHECK_FINITE=1`), `Error::NonFinite` naming the first
        /// step of the inference plan (as `plan()` prints it) that wrote a
        /// NaN or an infinity, with its inputs' shapes.
        pub fn predict<'__x>(
            &mut self,
            x: impl #dz::compiled::Batch<'__x, T>,
        ) -> #dz::Result<#nd::ArrayView2<'_, T>> {
            let x = #dz::compiled::batch(x, #who)?;
            let __o = self.__predict_in(x, ::core::option::Option::None)?;
            ::core::result::Result::Ok(self.__ws.output(&__o))
        }

        /// `predict`, block by block, into `__y` when given (of `x`'s rows
        /// × the output's width), else into the workspace.
        fn __predict_in(
            &mut self,
            x: #nd::ArrayView2<'_, T>,
            __y: ::core::option::Option<&mut [T]>,
        ) -> #dz::Result<#dz::compiled::Output> {
            let __rows = x.nrows();
            let __d = self.__resolve(x.ncols(), __rows)?;
            #dz::random::with_global(|__rng| self.__init_lazy(&__d, __rng))?;
            self.__standardize();
            let __block = #dz::compiled::block_rows(self.__predict_row_bytes(&__d));
            let __n = #wout;
            // Out of `self` for the pass, which borrows the layers.
            let mut __ws = ::core::mem::take(&mut self.__ws);
            let __o = #dz::compiled::predict_blocks(
                &mut __ws,
                x,
                __n,
                __block,
                __y,
                &mut |__slab: &mut ::std::vec::Vec<T>, __x: &[T], __rg: ::core::ops::Range<usize>| {
                    self.__predict_rows(__slab, __x, __rg.start, __rg.len(), __rows, &__d)
                },
            );
            self.__ws = __ws;
            __o
        }

        /// The inference plan's steps on rows `__row0..__row0 + __rows`
        /// (`__x`) of a batch of `__n_total`, in `__slab`; returns where in
        /// it the output is.
        #[allow(unused_variables)]
        fn __predict_rows(
            #this,
            __slab: &mut ::std::vec::Vec<T>,
            __x: &[T],
            __row0: usize,
            __rows: usize,
            __n_total: usize,
            __d: &[usize; #k],
        ) -> #dz::Result<::core::ops::Range<usize>> {
            #layout
            #check
            #steps
            ::core::result::Result::Ok(#out)
        }
    }
}

/// Whether the model nests another `model!` type.
fn has_nested(c: &Compiled) -> bool {
    c.graph
        .layers
        .iter()
        .any(|l| matches!(l.kind, LayerKind::Nested { .. }))
}

/// `accuracy`, for a model trained with `softmax_cross_entropy` (whose
/// targets are classes): DeZero's `accuracy` of `predict`'s output.
pub(crate) fn emit_accuracy(c: &Compiled) -> TokenStream {
    let dz = dz();
    match c.graph.loss {
        Some(l) if l.kind == LossKind::SoftmaxCrossEntropy => {}
        _ => {
            let doc = format!(
                "`{}` is not trained with `softmax_cross_entropy`, so it has no `accuracy`.",
                c.model.ident
            );
            // As `forward_backward` without a loss: the bound's message
            // says what `accuracy` needs, its note points at the loss.
            return quote_spanned! {loss_span(c)=>
                #[doc = #doc]
                #[allow(unreachable_code)]
                pub fn accuracy<__U>(
                    &mut self,
                    _x: ::dezero::__private::ndarray::ArrayView2<'_, T>,
                    _t: __U,
                ) -> ::dezero::__private::Result<T>
                where
                    Self: ::dezero::__private::compiled::HasClassTargets,
                {
                    match <Self as ::dezero::__private::compiled::HasClassTargets>::unreachable() {}
                }
            };
        }
    }
    let who = format!("{} accuracy", c.model.ident);
    quote! {
        /// The fraction of rows of `x` whose predicted class (the output's
        /// largest entry, the first on ties) is the target in `t`:
        /// DeZero's `accuracy` of `predict(x)`.
        ///
        /// # Errors
        /// If `t` does not hold one class per row of `x`, or holds a class
        /// the output has no column for; or as `predict`.
        pub fn accuracy<'__x>(
            &mut self,
            x: impl #dz::compiled::Batch<'__x, T>,
            t: &[usize],
        ) -> #dz::Result<T> {
            let x = #dz::compiled::batch(x, #who)?;
            if t.len() != x.nrows() {
                return ::core::result::Result::Err(#dz::Error::Shape {
                    op: ::std::string::String::from(#who),
                    expected: ::std::format!("{} class targets", x.nrows()),
                    got: ::std::format!("{}", t.len()),
                });
            }
            let __y = self.predict(x)?;
            #dz::compiled::check_classes(t, __y.ncols(), #who)?;
            ::core::result::Result::Ok(#dz::kernels::accuracy_rows(__y, t))
        }
    }
}

pub(crate) fn emit_split(c: &Compiled) -> TokenStream {
    let dz = dz();
    let (p, slots) = &c.split;
    let e = StepEmitter { c, p, slots };
    let fwd = e.steps(0..p.split_at);
    let bwd = e.steps(p.split_at..p.steps.len());
    let check_fwd = e.check_flag(0..p.split_at);
    let check_bwd = e.check_flag(p.split_at..p.steps.len());
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
            let (__row0, __n_total) = (0usize, __rows);
            let __slab = &mut self.__ws.slab;
            #layout
            #check_fwd
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
        ) -> #dz::Result<()> {
            let __rows = self.__ws.rows;
            if __rows == 0 {
                return ::core::result::Result::Ok(());
            }
            let __d = self.__split_dims;
            let (__row0, __n_total) = (0usize, __rows);
            let __slab = &mut self.__ws.slab;
            #layout
            #check_bwd
            #bwd
            #zero_gx
            ::core::result::Result::Ok(())
        }
    }
}
