//! Fusion and in-place rewrites of a step program, one function per
//! rewrite, each keeping the program's meaning:
//!
//! * [`affine_activation`]: `affine` then an activation of its output only
//!   → one `affine+act` step (the pre-activation is never stored);
//! * [`loss_gradient`]: the loss and its gradient → one step;
//! * [`activation_into_product`]: an activation's derivative applied to a
//!   gradient that a single `gy·Wᵀ` product wrote → applied in place by that
//!   product's step;
//! * [`in_place_activation_grad`]: an activation's derivative applied to a
//!   gradient read by nothing after → in place, no new buffer;
//! * [`alias_copies`]: the gradient of `+` copied from a gradient read by
//!   nothing after → the same buffer, no copy.

use crate::program::{Program, Role, Step};

/// Applies every rewrite until none applies.
pub fn fuse(mut p: Program) -> Program {
    loop {
        let changed = affine_activation(&mut p)
            || loss_gradient(&mut p)
            || activation_into_product(&mut p)
            || in_place_activation_grad(&mut p)
            || alias_copies(&mut p);
        if !changed {
            return p;
        }
    }
}

/// Removes step `j`, keeping `split_at` on the same step.
fn remove(p: &mut Program, j: usize) {
    p.steps.remove(j);
    if j < p.split_at {
        p.split_at -= 1;
    }
}

/// `h = affine(x); y = act(h)` with `h` read by nothing else → `y =
/// affine+act(x)`.
pub fn affine_activation(p: &mut Program) -> bool {
    for i in 0..p.steps.len() {
        let Step::Affine {
            y: h, act: None, ..
        } = p.steps[i]
        else {
            continue;
        };
        let readers = p.readers(h);
        let [j] = readers[..] else {
            continue;
        };
        let Step::Act { act, y, .. } = p.steps[j] else {
            continue;
        };
        if p.writers(h).len() != 1 || h == p.output {
            continue;
        }
        if let Step::Affine {
            y: ref mut out,
            act: ref mut a,
            ..
        } = p.steps[i]
        {
            *out = y;
            *a = Some(act);
        }
        remove(p, j);
        return true;
    }
    false
}

/// `loss(y)` and `loss'(y)` → one step computing both.
pub fn loss_gradient(p: &mut Program) -> bool {
    for i in 0..p.steps.len() {
        let Step::Loss { kind, y, g: None } = p.steps[i] else {
            continue;
        };
        let found = p.steps.iter().position(
            |s| matches!(*s, Step::LossGrad { kind: k, y: yy, .. } if k == kind && yy == y),
        );
        if let Some(j) = found {
            if let Step::LossGrad { g, .. } = p.steps[j] {
                p.steps[i] = Step::Loss {
                    kind,
                    y,
                    g: Some(g),
                };
                remove(p, j);
                return true;
            }
        }
    }
    false
}

/// `gy = g·Wᵀ` (sole writer) then `gh = act'(y) ∘ gy` (sole reader) → the
/// product writes `gh` and applies the derivative in place.
pub fn activation_into_product(p: &mut Program) -> bool {
    for j in 0..p.steps.len() {
        let Step::ActGrad {
            act,
            y,
            gy,
            gx,
            acc: false,
        } = p.steps[j]
        else {
            continue;
        };
        let (writers, readers) = (p.writers(gy), p.readers(gy));
        let (&[i], &[r]) = (&writers[..], &readers[..]) else {
            continue;
        };
        if r != j || i >= j {
            continue;
        }
        if let Step::LinearGradX {
            gx: ref mut out,
            acc: false,
            act: ref mut a @ None,
            ..
        } = p.steps[i]
        {
            *out = gx;
            *a = Some((act, y));
            remove(p, j);
            return true;
        }
    }
    false
}

/// `gx = act'(y) ∘ gy` where nothing reads `gy` later → `gy` updated in
/// place and used as `gx` from then on.
pub fn in_place_activation_grad(p: &mut Program) -> bool {
    for j in 0..p.steps.len() {
        let Step::ActGrad {
            act,
            y,
            gy,
            gx,
            acc: false,
        } = p.steps[j]
        else {
            continue;
        };
        let last_reader = p.readers(gy).into_iter().max();
        // Only a gradient is overwritten in place, never a forward value.
        if last_reader != Some(j) || gy == y || p.bufs[gy.0].role != Role::Grad {
            continue;
        }
        p.steps[j] = Step::ActGradInPlace { act, y, g: gy };
        p.rename_from(j + 1, gx, gy);
        return true;
    }
    false
}

/// `dst = src` where nothing reads `src` later → `dst` is `src`.
pub fn alias_copies(p: &mut Program) -> bool {
    for j in 0..p.steps.len() {
        let Step::Copy {
            src,
            dst,
            neg: false,
            acc: false,
        } = p.steps[j]
        else {
            continue;
        };
        let last_reader = p.readers(src).into_iter().max();
        if last_reader != Some(j) {
            continue;
        }
        p.rename_from(j + 1, dst, src);
        remove(p, j);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::ctxt::Ctxt;
    use crate::program::Mode;
    use crate::{autodiff, check, ir, parse, shape};

    fn labels(src: &str, mode: Mode) -> Vec<String> {
        let m = parse::parse(src.parse().expect("tokens")).expect("parses");
        let cx = Ctxt::new();
        check::check(&cx, &m);
        cx.check().expect("valid");
        let g = ir::lower(&m);
        let cx = Ctxt::new();
        let s = shape::infer(&cx, &g);
        cx.check().expect("shapes agree");
        let p = super::fuse(autodiff::derive(&g, &s, mode));
        p.steps.iter().map(|st| st.label(&g)).collect()
    }

    const NET: &str = "struct Net { l1: Linear(10), l2: Linear(1) }
        fn forward(x) { l2(sigmoid(l1(x))) }
        fn loss(y, t) { mean_squared_error(y, t) }";

    #[test]
    fn two_layer_net_fuses_into_six_steps() {
        assert_eq!(
            labels(NET, Mode::Train),
            [
                "affine+sigmoid l1",
                "affine l2",
                "mean_squared_error + grad",
                "grad W,b l2",
                "grad x l2 + sigmoid'",
                "grad W,b l1",
            ]
        );
        assert_eq!(
            labels(NET, Mode::Predict),
            ["affine+sigmoid l1", "affine l2"]
        );
    }

    #[test]
    fn split_pass_keeps_the_input_gradient_and_aliases_the_skip() {
        let src = "struct Res { l1: Linear(4, 4) }
            fn forward(x) { relu(l1(x)) + x }";
        assert_eq!(
            labels(src, Mode::Split),
            [
                "load input",
                "affine+relu l1",
                "+",
                "store output",
                "load output grad",
                "copy",
                "relu' in place",
                "grad W,b l1",
                "grad x l1 (+=)",
                "store input grad",
            ]
        );
    }
}
