//! Code generation for one step of a pass: the kernel call, on the slots
//! that the plan gave the step's buffers. The store work that fusion moved
//! into a product (bias, activation, activation derivative) is passed to
//! the product kernel, which applies it to each block as it is stored.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::emit::{dz, lit, nested_call, Compiled};
use crate::ir::{Act, BinKind, LayerId, LossKind};
use crate::plan::Slots;
use crate::program::{Buf, Mode, Program, Step};

/// Each of a program's slots' elements per batch row: the largest width
/// class of the values it holds.
pub(crate) fn slot_sizes(slots: &Slots, p: &Program) -> Vec<TokenStream> {
    slots
        .members
        .iter()
        .map(|mem| {
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
        })
        .collect()
}

/// Emits the layout of a program's slots: offsets per slot for the current
/// rows and widths, growing the slab if needed.
pub(crate) fn layout(slots: &Slots, p: &Program) -> TokenStream {
    let s = slots.members.len();
    let sizes = slot_sizes(slots, p);
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

/// The runtime's name of an activation.
fn activation(a: Act) -> TokenStream {
    let dz = dz();
    let v = match a {
        Act::Sigmoid => quote!(Sigmoid),
        Act::Relu => quote!(Relu),
        Act::Tanh => quote!(Tanh),
    };
    quote!(#dz::kernels::Activation::#v)
}

/// Code for one program's steps `range`.
pub(crate) struct StepEmitter<'a> {
    /// The model.
    pub c: &'a Compiled<'a>,
    /// The program the steps belong to.
    pub p: &'a Program,
    /// Its slots.
    pub slots: &'a Slots,
}

impl StepEmitter<'_> {
    pub(crate) fn width(&self, b: Buf) -> TokenStream {
        let cl = lit(self.p.bufs[b.0].class);
        quote!(__d[#cl])
    }

    pub(crate) fn range(&self, b: Buf) -> TokenStream {
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

    fn step(&self, i: usize, s: &Step) -> TokenStream {
        let dz = dz();
        let k = quote!(#dz::kernels);
        match *s {
            Step::LoadInput { x } => {
                let r = self.range(x);
                quote!(__slab[#r].copy_from_slice(__x);)
            }
            Step::Affine { layer, x, y, act } => {
                let bind = self.bind(&[x], Some(y));
                let (ident, ci, co) = self.layer(layer);
                let act = match act {
                    Some(a) => {
                        let a = activation(a);
                        quote!(::core::option::Option::Some(#a))
                    }
                    None => quote!(::core::option::Option::None),
                };
                quote! {
                    #bind
                    let __wt = self.#ident.w.data();
                    let __bt = self.#ident.b.as_ref().map(|__b| __b.data());
                    #k::affine_act_rows(
                        __rows, __d[#ci], __d[#co], __r0,
                        __wt.as_slice().expect("weights were made standard"),
                        __bt.as_deref().map(|__b| __b.as_slice().expect("bias was made standard")),
                        #act,
                        __w,
                    );
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
                let l = self.c.graph.layer(layer);
                let method = if self.p.mode == Mode::Predict {
                    "predict_rows"
                } else {
                    "forward_split"
                };
                let call = nested_call(l, method, true, quote!(__r0, __rows, __w));
                quote! { #bind #call?; }
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
                let (note_w, report_w) = self.param_grad_check(i, layer, false, x, gy);
                let (note_b, report_b) = self.param_grad_check(i, layer, true, x, gy);
                quote! {
                    #bind
                    let mut __bad: ::core::option::Option<(usize, f64)> = ::core::option::Option::None;
                    __sink.accumulate(&self.#ident.w, &mut |__g: &mut [T], __acc: bool| {
                        #k::matmul_tn(__rows, __d[#ci], __d[#co], __r0, __r1, __g, __acc);
                        #note_w
                    });
                    #report_w
                    if let ::core::option::Option::Some(__b) = &self.#ident.b {
                        __sink.accumulate(__b, &mut |__g: &mut [T], __acc: bool| {
                            #k::sum_rows_into(__rows, __d[#co], __r1, __g, __acc);
                            #note_b
                        });
                        #report_b
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
                let call = match act {
                    Some((a, _)) => {
                        let a = activation(a);
                        quote! {
                            #k::matmul_nt_act_grad(
                                __rows, __d[#co], __d[#ci], __r0,
                                __wt.as_slice().expect("weights were made standard"),
                                #a, __r1, __w,
                            );
                        }
                    }
                    None => quote! {
                        #k::matmul_nt(
                            __rows, __d[#co], __d[#ci], __r0,
                            __wt.as_slice().expect("weights were made standard"),
                            __w, #acc,
                        );
                    },
                };
                quote! {
                    #bind
                    let __wt = self.#ident.w.data();
                    #call
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
                let l = self.c.graph.layer(layer);
                match gx {
                    Some(gx) => {
                        let bind = self.bind(&[gy], Some(gx));
                        let args =
                            quote!(__r0, ::core::option::Option::Some(__w), #acc, &mut *__sink);
                        let call = nested_call(l, "backward_split", true, args);
                        quote! { #bind #call?; }
                    }
                    None => {
                        let bind = self.bind(&[gy], None);
                        let args = quote!(__r0, ::core::option::Option::None, false, &mut *__sink);
                        let call = nested_call(l, "backward_split", true, args);
                        quote! { #bind #call?; }
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
                let value = set(quote!(#k::mean_squared_error_rows(
                    __n_total,
                    __r0,
                    t.view(),
                    ::core::option::Option::Some(__w),
                )));
                quote! { #bind #value }
            }
            (LossKind::MeanSquaredError, None) => {
                let bind = self.bind(&[y], None);
                let value = set(quote!(#k::mean_squared_error_rows(
                    __n_total,
                    __r0,
                    t.view(),
                    ::core::option::Option::None,
                )));
                quote! { #bind #value }
            }
            (LossKind::SoftmaxCrossEntropy, Some(g)) => {
                let bind = self.bind(&[y], Some(g));
                let value = set(quote!(#k::softmax_cross_entropy_over(__n_total, __yv, t, __pv)));
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    let __pv = #nd::ArrayViewMut2::from_shape((__rows, #wy), &mut *__w).expect("a slot holds rows × width");
                    #value
                    #k::softmax_cross_entropy_backward_inplace_over(__n_total, #wy, t, <T as #dz::Scalar>::from_f64_lossy(1.0), __w);
                }
            }
            (LossKind::SoftmaxCrossEntropy, None) => {
                let bind = self.bind(&[y], None);
                let value = set(
                    quote!(#k::softmax_cross_entropy_over(__n_total, __yv, t, __pv.view_mut())),
                );
                quote! {
                    #bind
                    let __yv = #nd::ArrayView2::from_shape((__rows, #wy), __r0).expect("a slot holds rows × width");
                    let mut __pv = #nd::Array2::<T>::zeros((__rows, #wy));
                    #value
                }
            }
        }
    }

    /// Code for the program's steps `range`, each followed by its
    /// non-finite check (see [`emit_check`](crate::emit_check)).
    pub(crate) fn steps(&self, range: std::ops::Range<usize>) -> TokenStream {
        let start = range.start;
        let steps = self.p.steps[range].iter().enumerate().map(|(j, s)| {
            let code = self.step(start + j, s);
            let check = self.check(start + j, s);
            quote!({ #code #check })
        });
        quote!(#(#steps)*)
    }
}
