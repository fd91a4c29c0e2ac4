//! The first intermediate representation, indexed by id newtypes: the
//! forward dataflow [`Graph`] lowered from a checked model — one [`Node`]
//! per value, the layers it calls, and the loss. Autodiff turns it into the
//! second, a [`Program`](crate::program::Program) of steps.

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
#[derive(Clone)]
pub enum Size {
    /// A literal.
    Lit(usize),
    /// A constructor argument, a `const` or arithmetic naming one: known
    /// when the model is built.
    Sym(Box<syn::Expr>),
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
/// The model must have passed [`check`]; a construct the
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
                Some(SizeExpr::Sym(e)) => Some(Size::Sym(Box::new(e.clone()))),
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
