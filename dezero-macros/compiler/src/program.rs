//! The second intermediate representation: a straight-line [`Program`] of
//! [`Step`]s over row-major buffers ([`Buf`]), which autodiff produces from
//! the [`Graph`], fusion rewrites, the planner gives slots, and codegen
//! emits.

use crate::ir::{Act, BinKind, Graph, LayerId, LossKind};

/// A row-major `[batch, width]` buffer of a [`Program`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Buf(pub usize);

/// What a buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The model's input.
    Input,
    /// A forward value.
    Value,
    /// A gradient.
    Grad,
}

/// A buffer's description.
#[derive(Clone, Debug)]
pub struct BufInfo {
    /// Its width class (see [`shape`](crate::shape)).
    pub class: usize,
    /// Its name in plans (`h`, `gh`).
    pub name: String,
    /// What it holds.
    pub role: Role,
}

/// One step of a program. Where a step has `acc`, `false` writes its output
/// and `true` adds to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Copies the caller's input into `x` (split passes keep it for backward).
    LoadInput {
        /// The input buffer.
        x: Buf,
    },
    /// `y = act(x·W + b)` (act optional).
    Affine {
        /// The `Linear` layer.
        layer: LayerId,
        /// Input.
        x: Buf,
        /// Output.
        y: Buf,
        /// A fused activation.
        act: Option<Act>,
    },
    /// `y = act(x)`.
    Act {
        /// Which.
        act: Act,
        /// Input.
        x: Buf,
        /// Output.
        y: Buf,
    },
    /// `y = a op b`.
    Binary {
        /// Which.
        kind: BinKind,
        /// Left.
        a: Buf,
        /// Right.
        b: Buf,
        /// Output.
        y: Buf,
    },
    /// `y = nested(x)` (keeping its activations when training).
    Nested {
        /// The nested model's field.
        layer: LayerId,
        /// Input.
        x: Buf,
        /// Output.
        y: Buf,
    },
    /// Copies the output to the caller (split passes).
    StoreOutput {
        /// The output buffer.
        y: Buf,
    },
    /// The loss of `y`; with `g`, also its gradient (fused).
    Loss {
        /// Which.
        kind: LossKind,
        /// The scored value.
        y: Buf,
        /// Where the gradient goes.
        g: Option<Buf>,
    },
    /// The gradient of the loss (before fusion into [`Step::Loss`]).
    LossGrad {
        /// Which.
        kind: LossKind,
        /// The scored value.
        y: Buf,
        /// The gradient.
        g: Buf,
    },
    /// Copies the caller's output gradient into `g` (split passes).
    LoadSeed {
        /// The gradient buffer.
        g: Buf,
    },
    /// `gx (=|+=) act'(y) ∘ gy`, from the activation's output `y`.
    ActGrad {
        /// Which.
        act: Act,
        /// The activation's output.
        y: Buf,
        /// Its gradient.
        gy: Buf,
        /// The input's gradient.
        gx: Buf,
        /// Accumulate.
        acc: bool,
    },
    /// `g = act'(y) ∘ g` in place.
    ActGradInPlace {
        /// Which.
        act: Act,
        /// The activation's output.
        y: Buf,
        /// The gradient, turned from the output's into the input's.
        g: Buf,
    },
    /// `W.grad += xᵀ·gy`, `b.grad += Σ_rows gy`.
    LinearGradW {
        /// The layer.
        layer: LayerId,
        /// Its input.
        x: Buf,
        /// Its output's gradient.
        gy: Buf,
    },
    /// `gx (=|+=) gy·Wᵀ`, then (fused) `gx = act'(y) ∘ gx`.
    LinearGradX {
        /// The layer.
        layer: LayerId,
        /// Its output's gradient.
        gy: Buf,
        /// Its input's gradient.
        gx: Buf,
        /// Accumulate (never with `act`).
        acc: bool,
        /// The derivative of the activation that produced the layer's input.
        act: Option<(Act, Buf)>,
    },
    /// `dst (=|+=) ±src` (the gradient of `+` and `-`).
    Copy {
        /// Source.
        src: Buf,
        /// Destination.
        dst: Buf,
        /// Negate.
        neg: bool,
        /// Accumulate.
        acc: bool,
    },
    /// `dst (=|+=) gy ∘ other` (the gradient of `*`).
    MulGrad {
        /// The product's gradient.
        gy: Buf,
        /// The other factor.
        other: Buf,
        /// The factor's gradient.
        dst: Buf,
        /// Accumulate.
        acc: bool,
    },
    /// The nested model's backward: parameter gradients, and `gx` if needed.
    NestedGrad {
        /// The nested model's field.
        layer: LayerId,
        /// Its output's gradient.
        gy: Buf,
        /// Its input's gradient.
        gx: Option<Buf>,
        /// Accumulate into `gx`.
        acc: bool,
    },
    /// Gives the input's gradient to the caller (split passes).
    StoreGradInput {
        /// The input's gradient.
        g: Buf,
    },
}

impl Step {
    /// Buffers read (including those updated in place or accumulated into).
    pub fn reads(&self) -> Vec<Buf> {
        use Step::*;
        match *self {
            LoadInput { .. } | LoadSeed { .. } => vec![],
            Affine { x, .. } | Act { x, .. } | Nested { x, .. } => vec![x],
            Binary { a, b, .. } => vec![a, b],
            StoreOutput { y } => vec![y],
            Loss { y, .. } | LossGrad { y, .. } => vec![y],
            ActGrad { y, gy, gx, acc, .. } => with_acc(vec![y, gy], gx, acc),
            ActGradInPlace { y, g, .. } => vec![y, g],
            LinearGradW { x, gy, .. } => vec![x, gy],
            LinearGradX {
                gy, gx, acc, act, ..
            } => {
                let mut v = with_acc(vec![gy], gx, acc);
                if let Some((_, y)) = act {
                    v.push(y);
                }
                v
            }
            Copy { src, dst, acc, .. } => with_acc(vec![src], dst, acc),
            MulGrad {
                gy,
                other,
                dst,
                acc,
            } => with_acc(vec![gy, other], dst, acc),
            NestedGrad { gy, gx, acc, .. } => match gx {
                Some(gx) if acc => vec![gy, gx],
                _ => vec![gy],
            },
            StoreGradInput { g } => vec![g],
        }
    }

    /// Buffers written.
    pub fn writes(&self) -> Vec<Buf> {
        use Step::*;
        match *self {
            LoadInput { x } => vec![x],
            Affine { y, .. } | Act { y, .. } | Binary { y, .. } | Nested { y, .. } => vec![y],
            StoreOutput { .. } | StoreGradInput { .. } | LinearGradW { .. } => vec![],
            Loss { g, .. } => g.into_iter().collect(),
            LossGrad { g, .. } | LoadSeed { g } | ActGradInPlace { g, .. } => vec![g],
            ActGrad { gx, .. } | LinearGradX { gx, .. } => vec![gx],
            Copy { dst, .. } | MulGrad { dst, .. } => vec![dst],
            NestedGrad { gx, .. } => gx.into_iter().collect(),
        }
    }

    /// Replaces buffer `from` by `to` everywhere in the step.
    pub fn rename(&mut self, from: Buf, to: Buf) {
        use Step::*;
        let r = |b: &mut Buf| {
            if *b == from {
                *b = to;
            }
        };
        match self {
            LoadInput { x } => r(x),
            Affine { x, y, .. } | Act { x, y, .. } | Nested { x, y, .. } => {
                r(x);
                r(y)
            }
            Binary { a, b, y, .. } => {
                r(a);
                r(b);
                r(y)
            }
            StoreOutput { y } => r(y),
            Loss { y, g, .. } => {
                r(y);
                if let Some(g) = g {
                    r(g)
                }
            }
            LossGrad { y, g, .. } => {
                r(y);
                r(g)
            }
            LoadSeed { g } | StoreGradInput { g } => r(g),
            ActGrad { y, gy, gx, .. } => {
                r(y);
                r(gy);
                r(gx)
            }
            ActGradInPlace { y, g, .. } => {
                r(y);
                r(g)
            }
            LinearGradW { x, gy, .. } => {
                r(x);
                r(gy)
            }
            LinearGradX { gy, gx, act, .. } => {
                r(gy);
                r(gx);
                if let Some((_, y)) = act {
                    r(y)
                }
            }
            Copy { src, dst, .. } => {
                r(src);
                r(dst)
            }
            MulGrad { gy, other, dst, .. } => {
                r(gy);
                r(other);
                r(dst)
            }
            NestedGrad { gy, gx, .. } => {
                r(gy);
                if let Some(gx) = gx {
                    r(gx)
                }
            }
        }
    }

    /// The op's name in plans (`affine+sigmoid l1`).
    pub fn label(&self, g: &Graph) -> String {
        use Step::*;
        let layer = |l: LayerId| g.layer(l).ident.to_string();
        match self {
            LoadInput { .. } => "load input".to_string(),
            Affine { layer: l, act, .. } => match act {
                Some(a) => format!("affine+{} {}", a.name(), layer(*l)),
                None => format!("affine {}", layer(*l)),
            },
            Act { act, .. } => act.name().to_string(),
            Binary { kind, .. } => kind.symbol().to_string(),
            Nested { layer: l, .. } => format!("model {}", layer(*l)),
            StoreOutput { .. } => "store output".to_string(),
            Loss { kind, g, .. } => match g {
                Some(_) => format!("{} + grad", kind.name()),
                None => kind.name().to_string(),
            },
            LossGrad { kind, .. } => format!("{} grad", kind.name()),
            LoadSeed { .. } => "load output grad".to_string(),
            ActGrad { act, acc, .. } => format!("{}'{}", act.name(), acc_mark(*acc)),
            ActGradInPlace { act, .. } => format!("{}' in place", act.name()),
            LinearGradW { layer: l, .. } => format!("grad W,b {}", layer(*l)),
            LinearGradX {
                layer: l, acc, act, ..
            } => match act {
                Some((a, _)) => format!("grad x {} + {}'", layer(*l), a.name()),
                None => format!("grad x {}{}", layer(*l), acc_mark(*acc)),
            },
            Copy { neg, acc, .. } => {
                format!("{}copy{}", if *neg { "neg " } else { "" }, acc_mark(*acc))
            }
            MulGrad { acc, .. } => format!("mul{}", acc_mark(*acc)),
            NestedGrad { layer: l, acc, .. } => {
                format!("grad model {}{}", layer(*l), acc_mark(*acc))
            }
            StoreGradInput { .. } => "store input grad".to_string(),
        }
    }
}

fn with_acc(mut v: Vec<Buf>, out: Buf, acc: bool) -> Vec<Buf> {
    if acc {
        v.push(out);
    }
    v
}

fn acc_mark(acc: bool) -> &'static str {
    if acc {
        " (+=)"
    } else {
        ""
    }
}

/// Which pass a program is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `forward_backward`: forward, loss, backward; the input is the
    /// caller's, no gradient for it.
    Train,
    /// The nested / define-by-run pass: forward (input copied in, output
    /// copied out), then, in a second call, backward from the caller's
    /// output gradient to the input's.
    Split,
    /// `predict`: forward only, output left in the workspace.
    Predict,
}

/// A straight-line program over buffers.
#[derive(Clone, Debug)]
pub struct Program {
    /// Which pass.
    pub mode: Mode,
    /// The buffers; `Buf(i)` is `bufs[i]`.
    pub bufs: Vec<BufInfo>,
    /// The schedule.
    pub steps: Vec<Step>,
    /// The input's buffer.
    pub input: Buf,
    /// The output's buffer.
    pub output: Buf,
    /// In a split program, the index of the first backward step.
    pub split_at: usize,
}

impl Program {
    /// Whether the input lives outside the workspace (the caller's slice).
    pub fn external_input(&self) -> bool {
        self.mode != Mode::Split
    }

    /// Steps that write `b`.
    pub fn writers(&self, b: Buf) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|&i| self.steps[i].writes().contains(&b))
            .collect()
    }

    /// Steps that read `b`.
    pub fn readers(&self, b: Buf) -> Vec<usize> {
        (0..self.steps.len())
            .filter(|&i| self.steps[i].reads().contains(&b))
            .collect()
    }

    /// Replaces `from` by `to` in every step from `start` on.
    pub fn rename_from(&mut self, start: usize, from: Buf, to: Buf) {
        for s in &mut self.steps[start..] {
            s.rename(from, to);
        }
    }
}
