//! The intermediate representations, indexed by id newtypes:
//!
//! * [`Graph`]: the forward dataflow graph lowered from a checked model — one
//!   [`Node`] per value, the layers it calls, and the loss;
//! * [`Program`]: a straight-line list of [`Step`]s over row-major buffers
//!   ([`Buf`]), which autodiff produces, fusion rewrites, the planner gives
//!   slots, and codegen emits.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Ident, Path};

use crate::check::{self, SizeExpr};
use crate::parse::{self, Expr, Model};

/// A value of the forward graph (a `[batch, width]` matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValueId(pub usize);

/// A declared layer (index into [`Graph::layers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerId(pub usize);

/// An elementwise activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// `sigmoid`
    Sigmoid,
    /// `relu`
    Relu,
    /// `tanh`
    Tanh,
}

impl Act {
    /// The DSL's and the kernels' name.
    pub fn name(self) -> &'static str {
        match self {
            Act::Sigmoid => "sigmoid",
            Act::Relu => "relu",
            Act::Tanh => "tanh",
        }
    }

    fn from_name(s: &str) -> Option<Act> {
        match s {
            "sigmoid" => Some(Act::Sigmoid),
            "relu" => Some(Act::Relu),
            "tanh" => Some(Act::Tanh),
            _ => None,
        }
    }
}

/// An elementwise binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinKind {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
}

impl BinKind {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinKind::Add => "+",
            BinKind::Sub => "-",
            BinKind::Mul => "*",
        }
    }
}

/// A loss function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// DeZero's `mean_squared_error` (divides by rows); float targets.
    MeanSquaredError,
    /// DeZero's `softmax_cross_entropy`; integer class targets.
    SoftmaxCrossEntropy,
}

impl LossKind {
    /// The DSL's name.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::MeanSquaredError => "mean_squared_error",
            LossKind::SoftmaxCrossEntropy => "softmax_cross_entropy",
        }
    }
}

/// What computes a value.
#[derive(Clone, Debug)]
pub enum Op {
    /// The model's input.
    Input,
    /// A `Linear` layer applied to `x`.
    Linear {
        /// The layer.
        layer: LayerId,
        /// Its input.
        x: ValueId,
    },
    /// A nested `model!` applied to `x`.
    Nested {
        /// The layer.
        layer: LayerId,
        /// Its input.
        x: ValueId,
    },
    /// An activation.
    Act {
        /// Which.
        act: Act,
        /// Its input.
        x: ValueId,
    },
    /// `a op b`.
    Binary {
        /// Which.
        kind: BinKind,
        /// Left operand.
        a: ValueId,
        /// Right operand.
        b: ValueId,
    },
}

impl Op {
    /// The values this op reads.
    pub fn inputs(&self) -> Vec<ValueId> {
        match *self {
            Op::Input => vec![],
            Op::Linear { x, .. } | Op::Nested { x, .. } | Op::Act { x, .. } => vec![x],
            Op::Binary { a, b, .. } => vec![a, b],
        }
    }
}

/// One value of the forward graph.
pub struct Node {
    /// What computes it.
    pub op: Op,
    /// Its name in plans: the `let` name, or the op's (`l1`, `sigmoid#2`).
    pub name: String,
    /// The source tokens, for error spans: the call's argument for layer
    /// inputs, the operator for binary ops.
    pub tokens: TokenStream,
}

/// A layer size as declared.
#[derive(Clone, Debug)]
pub enum Size {
    /// A literal.
    Lit(usize),
    /// A constructor argument.
    Arg(Ident),
}

/// What a declared layer is.
#[derive(Clone)]
pub enum LayerKind {
    /// The built-in `Linear`.
    Linear {
        /// `in_size`, when declared.
        in_size: Option<Size>,
        /// `out_size`.
        out_size: Size,
        /// Whether it has a bias (not `nobias`).
        bias: bool,
    },
    /// Another `model!` type.
    Nested {
        /// Its type path (without the element type).
        ty: Path,
        /// Its constructor arguments.
        args: Vec<syn::Expr>,
    },
}

/// A declared layer.
#[derive(Clone)]
pub struct Layer {
    /// The field name.
    pub ident: Ident,
    /// Its kind.
    pub kind: LayerKind,
    /// The declaration's tokens, for error spans.
    pub tokens: TokenStream,
}

/// The loss of the training graph.
#[derive(Clone, Copy, Debug)]
pub struct Loss {
    /// Which.
    pub kind: LossKind,
    /// The value it scores (the forward output, or an expression of it).
    pub y: ValueId,
}

/// The forward graph: nodes in evaluation order (a topological order, and
/// the order in which define-by-run would first call each layer).
pub struct Graph {
    /// The values; `ValueId(i)` is `nodes[i]`. Node 0 is the input.
    pub nodes: Vec<Node>,
    /// Nodes `0..forward_len` are `fn forward`'s; the rest, `fn loss`'s.
    pub forward_len: usize,
    /// The model's output.
    pub output: ValueId,
    /// The loss, if `fn loss` is declared.
    pub loss: Option<Loss>,
    /// The layers, in declaration order.
    pub layers: Vec<Layer>,
}

impl Graph {
    /// The layer of an id.
    pub fn layer(&self, l: LayerId) -> &Layer {
        &self.layers[l.0]
    }
}

/// Lowers a checked model to its forward graph.
///
/// The model must have passed [`check`](crate::check); a construct the
/// checks reject is lowered to something harmless rather than panicking.
pub fn lower(m: &Model) -> Graph {
    let layers = m.fields.iter().map(lower_layer).collect();
    let mut l = Lowering {
        layers,
        nodes: Vec::new(),
        env: Vec::new(),
    };
    let input_name = check::forward_fn(m)
        .and_then(|f| f.params.first())
        .map_or_else(|| "x".to_string(), Ident::to_string);
    let input = l.push(Op::Input, input_name.clone(), TokenStream::new());
    let mut output = input;
    if let Some(f) = check::forward_fn(m) {
        if let Some(p) = f.params.first() {
            l.env.push((p.clone(), input));
        }
        output = l.body(&f.body).unwrap_or(input);
    }
    let forward_len = l.nodes.len();
    let mut loss = None;
    if let Some(f) = check::loss_fn(m) {
        l.env.clear();
        if let Some(p) = f.params.first() {
            l.env.push((p.clone(), output));
        }
        for let_ in &f.body.lets {
            let v = l.expr(&let_.init, Some(&let_.ident));
            l.env.push((let_.ident.clone(), v));
        }
        if let Some(Expr::Call(c)) = &f.body.tail {
            let kind = if c.func == "softmax_cross_entropy" {
                LossKind::SoftmaxCrossEntropy
            } else {
                LossKind::MeanSquaredError
            };
            let y = c.args.first().map_or(output, |a| l.expr(a, None));
            loss = Some(Loss { kind, y });
        }
    }
    Graph {
        nodes: l.nodes,
        forward_len,
        output,
        loss,
        layers: l.layers,
    }
}

fn lower_layer(f: &parse::Field) -> Layer {
    let kind = if check::is_linear(f) {
        let sizes: Vec<Size> = f
            .args
            .iter()
            .filter(|a| !check::is_nobias(a))
            .filter_map(|a| match check::size_of_expr(a) {
                Some(SizeExpr::Lit(n)) => Some(Size::Lit(n)),
                Some(SizeExpr::Arg(i)) => Some(Size::Arg(i.clone())),
                None => None,
            })
            .collect();
        let bias = !f.args.iter().any(check::is_nobias);
        match sizes.as_slice() {
            [out] => LayerKind::Linear {
                in_size: None,
                out_size: out.clone(),
                bias,
            },
            [i, o, ..] => LayerKind::Linear {
                in_size: Some(i.clone()),
                out_size: o.clone(),
                bias,
            },
            [] => LayerKind::Linear {
                in_size: None,
                out_size: Size::Lit(1),
                bias,
            },
        }
    } else {
        LayerKind::Nested {
            ty: f.ty.clone(),
            args: f.args.iter().cloned().collect(),
        }
    };
    Layer {
        ident: f.ident.clone(),
        kind,
        tokens: f.to_token_stream(),
    }
}

struct Lowering {
    layers: Vec<Layer>,
    nodes: Vec<Node>,
    env: Vec<(Ident, ValueId)>,
}

impl Lowering {
    fn push(&mut self, op: Op, name: String, tokens: TokenStream) -> ValueId {
        self.nodes.push(Node { op, name, tokens });
        ValueId(self.nodes.len() - 1)
    }

    /// A name for an unnamed value: its op (`l1`, `sigmoid`, `add`), made
    /// unique with `#2`, `#3`, ...
    fn unique(&self, base: &str) -> String {
        let taken = |n: &str| self.nodes.iter().any(|v| v.name == n);
        if !taken(base) {
            return base.to_string();
        }
        (2..)
            .map(|i| format!("{base}#{i}"))
            .find(|n| !taken(n))
            .unwrap_or_default()
    }

    fn body(&mut self, body: &parse::Body) -> Option<ValueId> {
        for let_ in &body.lets {
            let v = self.expr(&let_.init, Some(&let_.ident));
            self.env.push((let_.ident.clone(), v));
        }
        body.tail.as_ref().map(|t| self.expr(t, None))
    }

    /// Lowers `e`; a node it creates at its root is named `name`.
    fn expr(&mut self, e: &Expr, name: Option<&Ident>) -> ValueId {
        let name_it =
            |l: &Lowering, base: &str| name.map_or_else(|| l.unique(base), Ident::to_string);
        match e {
            Expr::Name(id) => self
                .env
                .iter()
                .rev()
                .find(|(n, _)| n == id)
                .map_or(ValueId(0), |(_, v)| *v),
            Expr::Paren(p) => self.expr(&p.inner, name),
            Expr::Binary(b) => {
                let a = self.expr(&b.lhs, None);
                let c = self.expr(&b.rhs, None);
                let kind = match b.op {
                    parse::BinOp::Add(_) => BinKind::Add,
                    parse::BinOp::Sub(_) => BinKind::Sub,
                    parse::BinOp::Mul(_) => BinKind::Mul,
                };
                let base = match kind {
                    BinKind::Add => "add",
                    BinKind::Sub => "sub",
                    BinKind::Mul => "mul",
                };
                let n = name_it(self, base);
                self.push(Op::Binary { kind, a, b: c }, n, b.op.to_token_stream())
            }
            Expr::Call(c) => {
                let x = c.args.first().map_or(ValueId(0), |a| self.expr(a, None));
                let tokens = c
                    .args
                    .first()
                    .map_or_else(|| c.to_token_stream(), ToTokens::to_token_stream);
                let op = if let Some(i) = self.layers.iter().position(|l| l.ident == c.func) {
                    match self.layers[i].kind {
                        LayerKind::Linear { .. } => Op::Linear {
                            layer: LayerId(i),
                            x,
                        },
                        LayerKind::Nested { .. } => Op::Nested {
                            layer: LayerId(i),
                            x,
                        },
                    }
                } else if let Some(act) = Act::from_name(&c.func.to_string()) {
                    Op::Act { act, x }
                } else {
                    return x;
                };
                let n = name_it(self, &c.func.to_string());
                self.push(op, n, tokens)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The step program
// ---------------------------------------------------------------------------

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
