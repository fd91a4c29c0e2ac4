//! Code generation for the non-finite check of a pass (check-finite mode):
//! after each step that computes something, the value it wrote is scanned
//! and the first NaN or infinity returns an error naming the step as the
//! plan prints it, with its inputs' shapes. The pass reads the mode once
//! into `__check`; with it off, each check is one untaken branch.
//!
//! The code here runs inside a step's block, after its kernel call, where
//! [`StepEmitter`]'s binding is in scope: the read buffers as `__r0..`, the
//! written one as `__w`, a layer's weights as `__wt` and `__bt`. Reports
//! speak of the whole batch: the pass computes rows `__row0..__row0 +
//! __rows` of `__n_total` (all of them, unless a training pass was split
//! between two threads).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::{dz, lit};
use crate::emit_step::StepEmitter;
use crate::ir::{LayerId, LayerKind, LossKind};
use crate::program::{Buf, Mode, Step};

/// A pass's plan as reports name it.
fn plan_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Train => "training",
        Mode::Predict => "inference",
        Mode::Split => "split",
    }
}

/// Whether a step computes (rather than copies) what it writes, so that
/// a check follows it.
fn is_checked(s: &Step) -> bool {
    !matches!(
        s,
        Step::LoadInput { .. }
            | Step::StoreOutput { .. }
            | Step::LoadSeed { .. }
            | Step::StoreGradInput { .. }
            | Step::NestedGrad { gx: None, .. }
    )
}

impl StepEmitter<'_> {
    /// `let __check = ...;` if some step of the pass's `steps` is checked.
    pub(crate) fn check_flag(&self, steps: std::ops::Range<usize>) -> TokenStream {
        let dz = dz();
        if self.p.steps[steps].iter().any(is_checked) {
            quote!(let __check: bool = #dz::compiled::checking();)
        } else {
            quote!()
        }
    }

    /// The report's description of step `i` writing `value` (its
    /// `output`-th written value).
    fn site(&self, i: usize, op: &str, forward: bool, value: &str, output: usize) -> TokenStream {
        let dz = dz();
        let model = self.c.model.ident.to_string();
        let plan = plan_name(self.p.mode);
        let phase = if forward {
            quote!(#dz::compiled::Phase::Forward)
        } else {
            quote!(#dz::compiled::Phase::Backward)
        };
        let (i, output) = (lit(i), lit(output));
        quote! {
            #dz::compiled::StepSite {
                op: #op,
                phase: #phase,
                plan: #dz::compiled::PlanStep { model: #model, plan: #plan, step: #i, value: #value },
                output: #output,
            }
        }
    }

    fn name(&self, b: Buf) -> String {
        self.p.bufs[b.0].name.clone()
    }

    /// The inputs of a step that read `reads` (bound as `__r0..`).
    fn read_inputs(&self, reads: &[Buf]) -> Vec<TokenStream> {
        let dz = dz();
        reads
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let (r, w) = (format_ident!("__r{}", i), self.width(b));
                quote!(#dz::compiled::CheckInput::slice(&[__n_total, #w], #r))
            })
            .collect()
    }

    /// The inputs of a step that reads a `Linear` layer's weights (bound as
    /// `__wt`, and `__bt` when `bias`).
    fn weight_inputs(&self, layer: LayerId, bias: bool) -> (TokenStream, TokenStream) {
        let dz = dz();
        let w = quote!(#dz::compiled::CheckInput::array(&*__wt));
        let has_bias = matches!(
            self.c.graph.layer(layer).kind,
            LayerKind::Linear { bias: true, .. }
        );
        let b = if bias && has_bias {
            quote!(__inputs.extend(__bt.as_deref().map(|__b| #dz::compiled::CheckInput::array(__b)));)
        } else {
            quote!()
        };
        (w, b)
    }

    /// Returns from the pass if `__w` (of width class `of`'s) holds a NaN or
    /// an infinity.
    fn check_written(
        &self,
        site: TokenStream,
        of: Buf,
        inputs: Vec<TokenStream>,
        extra: TokenStream,
    ) -> TokenStream {
        let dz = dz();
        let w = self.width(of);
        quote! {
            if __check {
                if let ::core::option::Option::Some(__at) = #dz::compiled::first_nonfinite(&*__w) {
                    let __value = <T as #dz::Scalar>::to_f64_lossless(__w[__at]);
                    #[allow(unused_mut)]
                    let mut __inputs = ::std::vec![#(#inputs),*];
                    #extra
                    return ::core::result::Result::Err(#dz::compiled::step_error(
                        #site, &[__n_total, #w], __row0 * #w + __at, __value, __inputs,
                    ));
                }
            }
        }
    }

    /// The check after step `i`, `s`; empty for the steps not checked and
    /// for `LinearGradW`, whose check sits in its gradient sink's callback
    /// ([`StepEmitter::param_grad_check`]).
    pub(crate) fn check(&self, i: usize, s: &Step) -> TokenStream {
        let dz = dz();
        let op = s.label(self.c.graph);
        match *s {
            Step::Affine { layer, x, y, .. } => {
                let (w, b) = self.weight_inputs(layer, true);
                let mut inputs = self.read_inputs(&[x]);
                inputs.push(w);
                let site = self.site(i, &op, true, &self.name(y), 0);
                self.check_written(site, y, inputs, b)
            }
            Step::Act { x, y, .. } | Step::Nested { x, y, .. } => {
                let site = self.site(i, &op, true, &self.name(y), 0);
                self.check_written(site, y, self.read_inputs(&[x]), quote!())
            }
            Step::Binary { a, b, y, .. } => {
                let site = self.site(i, &op, true, &self.name(y), 0);
                self.check_written(site, y, self.read_inputs(&[a, b]), quote!())
            }
            Step::Loss { kind, y, g } => {
                let value = self.check_loss_value(i, kind, y);
                let grad = match g {
                    Some(g) => {
                        let site = self.site(i, &op, false, &self.name(g), 0);
                        self.check_written(site, g, self.loss_inputs(kind, y), quote!())
                    }
                    None => quote!(),
                };
                quote!(#value #grad)
            }
            Step::LossGrad { kind, y, g } => {
                let site = self.site(i, &op, false, &self.name(g), 0);
                self.check_written(site, g, self.loss_inputs(kind, y), quote!())
            }
            Step::ActGrad { y, gy, gx, .. } => {
                let site = self.site(i, &op, false, &self.name(gx), 0);
                self.check_written(site, gx, self.read_inputs(&[y, gy]), quote!())
            }
            Step::ActGradInPlace { y, g, .. } => {
                let site = self.site(i, &op, false, &self.name(g), 0);
                let mut inputs = self.read_inputs(&[y]);
                let w = self.width(g);
                // The gradient it updated is gone: only its shape is known.
                inputs.push(quote!(#dz::compiled::CheckInput::shape(&[__n_total, #w])));
                self.check_written(site, g, inputs, quote!())
            }
            Step::LinearGradX {
                layer, gy, gx, act, ..
            } => {
                let mut reads = vec![gy];
                if let Some((_, y)) = act {
                    reads.push(y);
                }
                let mut inputs = self.read_inputs(&reads);
                inputs.push(self.weight_inputs(layer, false).0);
                let site = self.site(i, &op, false, &self.name(gx), 0);
                self.check_written(site, gx, inputs, quote!())
            }
            Step::Copy { src, dst, .. } => {
                let site = self.site(i, &op, false, &self.name(dst), 0);
                self.check_written(site, dst, self.read_inputs(&[src]), quote!())
            }
            Step::MulGrad { gy, other, dst, .. } => {
                let site = self.site(i, &op, false, &self.name(dst), 0);
                self.check_written(site, dst, self.read_inputs(&[gy, other]), quote!())
            }
            Step::NestedGrad {
                gy, gx: Some(gx), ..
            } => {
                let site = self.site(i, &op, false, &self.name(gx), 0);
                self.check_written(site, gx, self.read_inputs(&[gy]), quote!())
            }
            Step::LinearGradW { .. }
            | Step::LoadInput { .. }
            | Step::StoreOutput { .. }
            | Step::LoadSeed { .. }
            | Step::StoreGradInput { .. }
            | Step::NestedGrad { gx: None, .. } => quote!(),
        }
    }

    /// A loss step's inputs: the scored value (`__r0`) and the target `t`.
    fn loss_inputs(&self, kind: LossKind, y: Buf) -> Vec<TokenStream> {
        let dz = dz();
        let mut inputs = self.read_inputs(&[y]);
        inputs.push(match kind {
            LossKind::MeanSquaredError => quote!(#dz::compiled::CheckInput::array(&t)),
            LossKind::SoftmaxCrossEntropy => quote!(#dz::compiled::CheckInput::shape(&[t.len()])),
        });
        inputs
    }

    /// Returns from the pass if the loss's value (`__loss`) is not finite.
    fn check_loss_value(&self, i: usize, kind: LossKind, y: Buf) -> TokenStream {
        let dz = dz();
        let site = self.site(i, kind.name(), true, "loss", 0);
        let inputs = self.loss_inputs(kind, y);
        quote! {
            if __check && #dz::compiled::first_nonfinite(&[__loss]).is_some() {
                let __value = <T as #dz::Scalar>::to_f64_lossless(__loss);
                return ::core::result::Result::Err(#dz::compiled::step_error(
                    #site, &[], 0, __value, ::std::vec![#(#inputs),*],
                ));
            }
        }
    }

    /// The check of a parameter's gradient after step `i` (`grad W,b`)
    /// added to it: the statement for the sink's callback, which notes the
    /// first non-finite element of the gradient `__g` in `__bad`, and the one
    /// after the call, which returns the error. `bias` picks `b` over `W`;
    /// the step reads `x` and `gy` (`__r0`, `__r1`).
    pub(crate) fn param_grad_check(
        &self,
        i: usize,
        layer: LayerId,
        bias: bool,
        x: Buf,
        gy: Buf,
    ) -> (TokenStream, TokenStream) {
        let dz = dz();
        let op = Step::LinearGradW { layer, x, gy }.label(self.c.graph);
        let ident = &self.c.graph.layer(layer).ident;
        let (ci, co) = (
            lit(self.c.shapes.layer_in[layer.0]),
            lit(self.c.shapes.layer_out[layer.0]),
        );
        let (value, output, shape) = if bias {
            (format!("{ident}/b.grad"), 1, quote!(&[__d[#co]]))
        } else {
            (format!("{ident}/W.grad"), 0, quote!(&[__d[#ci], __d[#co]]))
        };
        let site = self.site(i, &op, false, &value, output);
        let inputs = self.read_inputs(&[x, gy]);
        let note = quote! {
            if __check {
                __bad = #dz::compiled::first_nonfinite(&*__g)
                    .map(|__at| (__at, <T as #dz::Scalar>::to_f64_lossless(__g[__at])));
            }
        };
        let report = quote! {
            if let ::core::option::Option::Some((__at, __value)) = __bad {
                return ::core::result::Result::Err(#dz::compiled::step_error(
                    #site, #shape, __at, __value, ::std::vec![#(#inputs),*],
                ));
            }
        };
        (note, report)
    }
}
