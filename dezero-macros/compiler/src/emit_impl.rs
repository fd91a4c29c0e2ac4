//! Code generation for the plan constants (`plan()`) and the trait impls:
//! `Layer` (the params walker, the define-by-run call, `cleargrads`) and
//! `CompiledModel` (what a nesting model and the define-by-run node use).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use crate::emit::{dz, lit, nested_call, Compiled};
use crate::ir::{BinKind, LayerKind, LossKind, Op, ValueId};
use crate::plan::Slots;
use crate::program::{Buf, Program, Step};

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

pub(crate) fn emit_plan(c: &Compiled) -> TokenStream {
    let dz = dz();
    let model = c.model.ident.to_string();
    let k = lit(c.shapes.classes.len());
    let (train_p, train_s, train_kind) = match &c.train {
        Some((p, s)) => (p, s, "training"),
        None => (&c.split.0, &c.split.1, "training (split, no loss)"),
    };
    let train = plan_spec(c, train_kind, train_p, train_s, &c.naive_train);
    let train_bytes = if c.train.is_some() {
        format_ident!("__train_row_bytes")
    } else {
        format_ident!("__split_row_bytes")
    };
    let predict = plan_spec(c, "inference", &c.predict.0, &c.predict.1, &c.naive_predict);
    let classes = c.shapes.classes.iter().map(|ci| ci.name.clone());
    quote! {
        /// The compiled plans (training and inference) with the widths known
        /// now: the op schedule after fusion, the buffer slots and their
        /// sizes per batch row, the bytes planned against a naive plan, the
        /// rows of one block (a larger batch runs block by block) and the
        /// bytes the model holds now (`workspace_bytes()`). Print it, or
        /// render it with `to_dot()`.
        pub fn plan(&self) -> #dz::compiled::Plans {
            const __CLASSES: &[&str] = &[#(#classes),*];
            const __TRAIN: #dz::compiled::PlanSpec = #train;
            const __PREDICT: #dz::compiled::PlanSpec = #predict;
            let __d = self
                .__dims(::core::option::Option::None, 0)
                .unwrap_or([::core::option::Option::None; #k]);
            let __elem = ::core::mem::size_of::<T>();
            // Every width known: the blocks' rows.
            let __known: ::core::option::Option<[usize; #k]> = if __d.iter().all(::core::option::Option::is_some) {
                ::core::option::Option::Some(__d.map(|__v| __v.unwrap_or(0)))
            } else {
                ::core::option::Option::None
            };
            let __held = self.workspace_bytes();
            #dz::compiled::Plans {
                train: #dz::compiled::Plan {
                    model: #model,
                    spec: &__TRAIN,
                    class_names: __CLASSES,
                    widths: __d.to_vec(),
                    elem_bytes: __elem,
                    block_rows: __known.map(|__k| #dz::compiled::block_rows(self.#train_bytes(&__k))),
                    workspace_bytes: __held,
                },
                predict: #dz::compiled::Plan {
                    model: #model,
                    spec: &__PREDICT,
                    class_names: __CLASSES,
                    widths: __d.to_vec(),
                    elem_bytes: __elem,
                    block_rows: __known.map(|__k| #dz::compiled::block_rows(self.__predict_row_bytes(&__k))),
                    workspace_bytes: __held,
                },
            }
        }
    }
}

pub(crate) fn emit_layer_impl(c: &Compiled) -> TokenStream {
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
            /// The node keeps a batch's activations for its backward pass
            /// in a workspace of its own, up to one block of rows (see
            /// `plan()`); a larger batch keeps none, and its backward pass
            /// computes them again block by block (see
            /// `dezero::compiled::CompiledNode`).
            ///
            /// # Panics
            /// If `x` does not fit the model (see `try_forward`).
            fn forward(&self, x: &#dz::Variable<T>) -> #dz::Variable<T> {
                match #dz::compiled::forward_node(self, x) {
                    ::core::result::Result::Ok(__y) => __y,
                    ::core::result::Result::Err(__e) => ::core::panic!("{}", __e),
                }
            }

            /// Drops every gradient, as define-by-run layers do, but sets
            /// each array aside for the next compiled pass to overwrite, so
            /// that a warm step neither allocates a gradient nor zeroes one.
            fn cleargrads(&self) {
                #dz::compiled::clear_grads(self)
            }
        }
    }
}

pub(crate) fn emit_compiled_impl(c: &Compiled) -> TokenStream {
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
            LayerKind::Nested { .. } => {
                let share = nested_call(l, "share", false, quote!());
                quote!(#ident: #share,)
            }
        }
    });
    let nested_bytes = c.graph.layers.iter().filter_map(|l| match l.kind {
        LayerKind::Nested { .. } => {
            let bytes = nested_call(l, "workspace_bytes", false, quote!());
            Some(quote!(+ #bytes))
        }
        LayerKind::Linear { .. } => None,
    });
    let forward_graph = emit_forward_graph(c);
    let has_loss = c.train.is_some().then(|| {
        quote! {
            impl<T: #dz::Scalar> #dz::compiled::HasLoss for #name<T> {
                fn unreachable() -> ::core::convert::Infallible {
                    ::core::unreachable!("never called: only the bound matters")
                }
            }
        }
    });
    let class_targets = c
        .graph
        .loss
        .filter(|l| l.kind == LossKind::SoftmaxCrossEntropy)
        .map(|_| {
            quote! {
                impl<T: #dz::Scalar> #dz::compiled::HasClassTargets for #name<T> {
                    fn unreachable() -> ::core::convert::Infallible {
                        ::core::unreachable!("never called: only the bound matters")
                    }
                }
            }
        });
    let k = lit(c.shapes.classes.len());
    // At the model's name: rustc's note that `CompiledModel` "is
    // implemented for `Net<T>`" (beside an error about a field that is no
    // `model!` type) then points at `struct Net`, not the whole macro.
    let compiled_header = quote_spanned! {name.span()=>
        impl<T: ::dezero::__private::Scalar> ::dezero::__private::compiled::CompiledModel<T> for #name<T>
    };
    quote! {
        #compiled_header {
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
            ) -> #dz::Result<()> {
                self.__backward_split(gy, gx, acc, sink)
            }

            fn predict_rows(&mut self, x: &[T], rows: usize, y: &mut [T]) -> #dz::Result<()> {
                if rows == 0 {
                    return ::core::result::Result::Ok(());
                }
                let __v = #nd::ArrayView2::from_shape((rows, x.len() / rows), x)
                    .expect("rows divide the input");
                self.__predict_in(__v, ::core::option::Option::Some(y)).map(|_| ())
            }

            fn share(&self) -> Self {
                Self {
                    #(#shares)*
                    __ws: #dz::compiled::Workspace::new(),
                    __split: ::core::default::Default::default(),
                    __split_dims: [0; #k],
                }
            }

            fn workspace_bytes(&self) -> usize {
                self.__ws.bytes() + self.__split.bytes() #(#nested_bytes)*
            }

            fn bytes_per_row(&self, in_width: usize, inference: bool) -> usize {
                match self.__resolve(in_width, 0) {
                    ::core::result::Result::Ok(__d) if inference => self.__predict_row_bytes(&__d),
                    ::core::result::Result::Ok(__d) => self.__split_row_bytes(&__d),
                    ::core::result::Result::Err(_) => 0,
                }
            }

            fn release_memory(&mut self) {
                Self::release_memory(self)
            }

            #forward_graph
        }

        #has_loss
        #class_targets
    }
}

/// `CompiledModel::forward_graph`: the forward graph's values, in order, as
/// define-by-run calls.
fn emit_forward_graph(c: &Compiled) -> TokenStream {
    let dz = dz();
    let v = |id: ValueId| format_ident!("__v{}", id.0);
    let lets = c.graph.nodes[..c.graph.forward_len]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let out = format_ident!("__v{}", i);
            let e = match n.op {
                Op::Input => quote!(::core::clone::Clone::clone(x)),
                Op::Linear { layer, x } => {
                    let (ident, x) = (&c.graph.layer(layer).ident, v(x));
                    quote!(#dz::Layer::<T>::forward(&self.#ident, &#x))
                }
                Op::Nested { layer, x } => {
                    let x = v(x);
                    nested_call(c.graph.layer(layer), "forward_graph", false, quote!(&#x))
                }
                Op::Act { act, x } => {
                    let (f, x) = (format_ident!("{}", act.name()), v(x));
                    quote!(#dz::functions::#f(&#x))
                }
                Op::Binary { kind, a, b } => {
                    let (a, b) = (v(a), v(b));
                    match kind {
                        BinKind::Add => quote!(&#a + &#b),
                        BinKind::Sub => quote!(&#a - &#b),
                        BinKind::Mul => quote!(&#a * &#b),
                    }
                }
            };
            quote!(let #out: #dz::Variable<T> = #e;)
        });
    let y = v(c.graph.output);
    quote! {
        fn forward_graph(&self, x: &#dz::Variable<T>) -> #dz::Variable<T> {
            #(#lets)*
            #y
        }
    }
}
