//! Code generation for the passes: `forward_backward` (training),
//! `predict` (inference) and the split forward/backward pair that nesting
//! and the define-by-run node call. Each is a prologue (widths, lazy
//! initialisation, slot layout, the input) followed by its program's steps.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::emit::{dz, lit, Compiled};
use crate::emit_step::{layout, StepEmitter};
use crate::ir::{LayerKind, LossKind};
use crate::plan::Slots;
use crate::program::{Program, Step};

/// The prologue shared by the passes that take the caller's matrix `x`.
fn take_input(slots: &Slots, p: &Program) -> TokenStream {
    let dz = dz();
    let layout = layout(slots, p);
    quote! {
        let __rows = x.nrows();
        let (__row0, __n_total) = (0usize, __rows);
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
    // The target's bound at the loss, where the note of an error about a
    // wrong target points.
    let (t_arg, t_take) = target_param(c, loss.kind);
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
    let k = lit(c.shapes.classes.len());
    // A nested model's steps call into its own workspace (`&mut`), so its
    // pass cannot run on two threads at once; it is never split.
    let nested = c
        .graph
        .layers
        .iter()
        .any(|l| matches!(l.kind, LayerKind::Nested { .. }));
    let this = if nested {
        quote!(&mut self)
    } else {
        quote!(&self)
    };
    let t_part = match loss.kind {
        LossKind::MeanSquaredError => {
            quote!(t.slice_axis(#nd::Axis(0), #nd::Slice::from(__rg.clone())))
        }
        LossKind::SoftmaxCrossEntropy => quote!(&t[__rg.clone()]),
    };
    let split = if nested {
        quote!()
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
        quote! {
            let __work: usize = 0 #(+ #products)*;
            let __largest: usize = 0 #(.max(#products))*;
            if let ::core::option::Option::Some(__first) = #dz::compiled::split_point(__rows, __work, __largest) {
                let __wx = x.ncols();
                return #dz::compiled::train_halves(
                    self,
                    __slab,
                    __split,
                    __rows,
                    __first,
                    &|__s: &mut ::std::vec::Vec<T>, __rg: ::core::ops::Range<usize>, __sink: &mut dyn #dz::compiled::GradSink<T>| {
                        self.__train_rows(
                            __s,
                            &__x[__rg.start * __wx..__rg.end * __wx],
                            #t_part,
                            __rg.start,
                            __rg.len(),
                            __rows,
                            __d,
                            __check,
                            __sink,
                        )
                    },
                );
            }
        }
    };
    let doc = format!(
        "One fused training pass: forward, loss and backward in the workspace; each \
         parameter's gradient is added to its `grad` (created on first use). Returns the loss.\n\n\
         {t_doc} Once warm (same or smaller batch), it allocates nothing.\n\n\
         With two threads (`dezero::kernels::set_threads(2)`), a batch whose products are \
         too small to be split one by one, but whose pass is long enough, is split by rows: \
         each thread runs the pass on half the rows (see `dezero::compiled::split_point`). \
         The gradients' sums then come out in another order, so their last bits may differ \
         from one thread's.\n\n\
         # Errors\n\
         If `x`'s width does not fit the model or `t` does not fit the output, naming the \
         layer; the model is left untouched.\n\n\
         In check-finite mode (`dezero::check_finite()`, `DEZERO_CHECK_FINITE=1`), \
         `Error::NonFinite` naming the first step of the training plan (as `plan()` \
         prints it) that wrote a NaN or an infinity, with its inputs' shapes. A forward \
         step or the loss's value returns before any gradient is touched. A gradient \
         step returns after the gradient steps before it in the plan have added to their \
         parameters' `grad`s (a parameter gradient is checked after it was added to, and \
         keeps what was added); call `cleargrads()` before the next step. Weights are \
         never changed."
    );
    quote! {
        #[doc = #doc]
        pub fn forward_backward<'__t>(
            &mut self,
            x: #nd::ArrayView2<'_, T>,
            t: #t_arg,
        ) -> #dz::Result<T> {
            #t_take
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

        /// `forward_backward` in the workspaces taken out of `self`: on one
        /// thread, or split by rows between two.
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
            let #dz::compiled::Workspace { slab: __slab, xbuf: __xbuf, .. } = __ws;
            let __x: &[T] = match x.as_slice() {
                ::core::option::Option::Some(__s) => __s,
                ::core::option::Option::None => {
                    __xbuf.clear();
                    __xbuf.extend(x.iter().copied());
                    &__xbuf[..]
                }
            };
            // Read here: the mode is this thread's, and a split pass runs
            // half its rows on the helper thread.
            let __check: bool = #dz::compiled::checking();
            #split
            let mut __param_grads = #dz::compiled::ParamGrads;
            self.__train_rows(__slab, __x, t, 0, __rows, __rows, __d, __check, &mut __param_grads)
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
            quote!(let t: #dz::ndarray::ArrayView2<'__t, T> = #dz::compiled::MseTarget::target(t);),
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
    let prologue = take_input(slots, p);
    let out = e.range(p.output);
    let wout = e.width(p.output);
    quote! {
        /// The model's output for `x` by the inference plan (no activations
        /// kept for a backward pass, fewer slots); a view into the workspace,
        /// valid until the next call.
        ///
        /// # Errors
        /// If `x`'s width does not fit the model, naming the layer. In
        /// check-finite mode (`dezero::check_finite()`,
        /// `DEZERO_CHECK_FINITE=1`), `Error::NonFinite` naming the first
        /// step of the inference plan (as `plan()` prints it) that wrote a
        /// NaN or an infinity, with its inputs' shapes.
        pub fn predict(
            &mut self,
            x: #nd::ArrayView2<'_, T>,
        ) -> #dz::Result<#nd::ArrayView2<'_, T>> {
            #prologue
            #check
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

/// `accuracy`, for a model trained with `softmax_cross_entropy` (whose
/// targets are classes): DeZero's `accuracy` of `predict`'s output.
pub(crate) fn emit_accuracy(c: &Compiled) -> TokenStream {
    let dz = dz();
    let nd = quote!(#dz::ndarray);
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
        /// If `t` does not hold one class per row of `x`, or as `predict`.
        pub fn accuracy(&mut self, x: #nd::ArrayView2<'_, T>, t: &[usize]) -> #dz::Result<T> {
            if t.len() != x.nrows() {
                return ::core::result::Result::Err(#dz::Error::Shape {
                    op: ::std::string::String::from(#who),
                    expected: ::std::format!("{} class targets", x.nrows()),
                    got: ::std::format!("{}", t.len()),
                });
            }
            let __y = self.predict(x)?;
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
