//! Symbolic shape inference. Every value is a `[batch, width]` matrix; the
//! batch is a runtime dimension shared by all values, and widths fall into
//! classes that must be equal (an op's input and a layer's `in_size`, the
//! two operands of `+`). A class may be pinned by a literal size, named by
//! constructor arguments, or left to the input; two different literals in
//! one class are a provable mismatch, reported at the op that joins them.
//! One function per op kind.

use quote::ToTokens;

use crate::ctxt::Ctxt;
use crate::ir::{BinKind, Graph, LayerKind, LossKind, Op, Size, ValueId};

/// The width classes of a graph.
pub struct Shapes {
    /// The class of each value.
    pub value_class: Vec<usize>,
    /// The class of each layer's input width.
    pub layer_in: Vec<usize>,
    /// The class of each layer's output width.
    pub layer_out: Vec<usize>,
    /// The classes, numbered in order of first appearance.
    pub classes: Vec<ClassInfo>,
}

/// What is known of a width class at compile time.
#[derive(Clone, Debug)]
pub struct ClassInfo {
    /// Its name in plans: the literal, a constructor argument, `in` for
    /// the input's width, or `enc.out` for a nested model's output.
    pub name: String,
}

/// One union-find set's facts.
#[derive(Clone, Default)]
struct Facts {
    lit: Option<usize>,
    arg: Option<String>,
    input: bool,
    nested_out: Option<String>,
}

struct Infer<'a> {
    cx: &'a Ctxt,
    g: &'a Graph,
    parent: Vec<usize>,
    facts: Vec<Facts>,
}

/// Infers the width classes of `g`, reporting provable mismatches.
pub fn infer(cx: &Ctxt, g: &Graph) -> Shapes {
    let n = g.nodes.len();
    let l = g.layers.len();
    let terms = n + 2 * l;
    let mut s = Infer {
        cx,
        g,
        parent: (0..terms).collect(),
        facts: vec![Facts::default(); terms],
    };
    for (i, layer) in g.layers.iter().enumerate() {
        s.declared_sizes(i, &layer.kind);
    }
    for (i, node) in g.nodes.iter().enumerate() {
        match node.op {
            Op::Input => s.facts[i].input = true,
            Op::Linear { layer, x } => s.linear(i, layer.0, x),
            Op::Nested { layer, x } => s.nested(i, layer.0, x),
            Op::Act { x, .. } => {
                s.union(i, x.0);
            }
            Op::Binary { kind, a, b } => s.binary(i, kind, a, b),
        }
    }
    s.loss_width();
    s.finish()
}

impl Infer<'_> {
    fn layer_in(&self, l: usize) -> usize {
        self.g.nodes.len() + 2 * l
    }

    fn layer_out(&self, l: usize) -> usize {
        self.g.nodes.len() + 2 * l + 1
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// The literal width of term `i`'s class, if pinned.
    fn lit(&mut self, i: usize) -> Option<usize> {
        let r = self.find(i);
        self.facts[r].lit
    }

    /// Merges two classes; `false` (and no merge) if their literals differ.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        let (fa, fb) = (self.facts[ra].clone(), self.facts[rb].clone());
        if let (Some(x), Some(y)) = (fa.lit, fb.lit) {
            if x != y {
                return false;
            }
        }
        let (keep, drop) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[drop] = keep;
        let merged = Facts {
            lit: fa.lit.or(fb.lit),
            arg: if keep == ra {
                fa.arg.or(fb.arg)
            } else {
                fb.arg.or(fa.arg)
            },
            input: fa.input || fb.input,
            nested_out: fa.nested_out.or(fb.nested_out),
        };
        self.facts[keep] = merged;
        true
    }

    /// A `Linear`'s declared sizes pin (or name) its input and output classes.
    fn declared_sizes(&mut self, l: usize, kind: &LayerKind) {
        let (i, o) = (self.layer_in(l), self.layer_out(l));
        match kind {
            LayerKind::Linear {
                in_size, out_size, ..
            } => {
                if let Some(s) = in_size {
                    set_size(&mut self.facts[i], s);
                }
                set_size(&mut self.facts[o], out_size);
            }
            LayerKind::Nested { .. } => {
                self.facts[o].nested_out = Some(format!("{}.out", self.g.layers[l].ident));
            }
        }
    }

    /// `y = layer(x)`: `x`'s width is the layer's `in_size`; `y`'s its
    /// `out_size`.
    fn linear(&mut self, y: usize, l: usize, x: ValueId) {
        let li = self.layer_in(l);
        let (want, have) = (self.lit(li), self.lit(x.0));
        if !self.union(x.0, li) {
            let layer = &self.g.layers[l];
            let decl = match &layer.kind {
                LayerKind::Linear {
                    in_size: Some(Size::Lit(i)),
                    out_size,
                    ..
                } => format!(" (declared `Linear({i}, {})`)", size_text(out_size)),
                _ => String::new(),
            };
            self.cx.error_spanned_by(
                &self.g.nodes[y].tokens,
                format!(
                    "`{}` takes inputs of width {}{decl}, but this value has width {}",
                    layer.ident,
                    want.unwrap_or(0),
                    have.unwrap_or(0)
                ),
            );
        }
        let lo = self.layer_out(l);
        self.union(y, lo);
    }

    /// `y = nested(x)`: widths as for a layer, none known here.
    fn nested(&mut self, y: usize, l: usize, x: ValueId) {
        let (li, lo) = (self.layer_in(l), self.layer_out(l));
        self.union(x.0, li);
        self.union(y, lo);
    }

    /// `y = a op b`: both operands and the result have one width.
    fn binary(&mut self, y: usize, kind: BinKind, a: ValueId, b: ValueId) {
        let (wa, wb) = (self.lit(a.0), self.lit(b.0));
        if !self.union(a.0, b.0) {
            let verb = match kind {
                BinKind::Add => "add",
                BinKind::Sub => "subtract",
                BinKind::Mul => "multiply",
            };
            self.cx.error_spanned_by(
                &self.g.nodes[y].tokens,
                format!(
                    "cannot {verb} widths {} and {}: both sides of `{}` must have the same width",
                    wa.unwrap_or(0),
                    wb.unwrap_or(0),
                    kind.symbol()
                ),
            );
        }
        self.union(y, a.0);
    }

    /// `softmax_cross_entropy` needs at least two classes: over one, the
    /// softmax is 1 and the loss always 0. A literal width of 1 is refused
    /// here, at the layer that declares it; one set by a constructor
    /// argument is checked by the constructors.
    fn loss_width(&mut self) {
        let Some(loss) = self.g.loss else {
            return;
        };
        if loss.kind != LossKind::SoftmaxCrossEntropy || self.lit(loss.y.0) != Some(1) {
            return;
        }
        let root = self.find(loss.y.0);
        let g = self.g;
        // The layer whose declared `1` pins the width.
        let declared = (0..g.layers.len()).find(|&l| {
            let LayerKind::Linear {
                in_size, out_size, ..
            } = &g.layers[l].kind
            else {
                return false;
            };
            let one = |s: Option<&Size>| matches!(s, Some(Size::Lit(1)));
            let (i, o) = (self.layer_in(l), self.layer_out(l));
            (one(Some(out_size)) && self.find(o) == root)
                || (one(in_size.as_ref()) && self.find(i) == root)
        });
        let msg = "`softmax_cross_entropy` needs an output of at least 2 classes, but this \
                   width is 1 (over one class the loss is always 0); use \
                   `mean_squared_error` for one output";
        match declared {
            Some(l) => self.cx.error_spanned_by(&g.layers[l].tokens, msg),
            None => self.cx.error_spanned_by(&g.nodes[loss.y.0].tokens, msg),
        }
    }

    /// Numbers the classes in order of first appearance and names them.
    fn finish(mut self) -> Shapes {
        let terms = self.parent.len();
        let mut id_of_root = vec![usize::MAX; terms];
        let mut classes = Vec::new();
        let mut class_of = vec![0; terms];
        for (t, slot) in class_of.iter_mut().enumerate() {
            let r = self.find(t);
            if id_of_root[r] == usize::MAX {
                id_of_root[r] = classes.len();
                let f = &self.facts[r];
                let name = if let Some(l) = f.lit {
                    l.to_string()
                } else if let Some(a) = &f.arg {
                    a.clone()
                } else if f.input {
                    "in".to_string()
                } else if let Some(n) = &f.nested_out {
                    n.clone()
                } else {
                    format!("w{}", classes.len())
                };
                classes.push(ClassInfo { name });
            }
            *slot = id_of_root[r];
        }
        let n = self.g.nodes.len();
        let l = self.g.layers.len();
        Shapes {
            value_class: class_of[..n].to_vec(),
            layer_in: (0..l).map(|i| class_of[n + 2 * i]).collect(),
            layer_out: (0..l).map(|i| class_of[n + 2 * i + 1]).collect(),
            classes,
        }
    }
}

fn set_size(f: &mut Facts, s: &Size) {
    match s {
        Size::Lit(n) => f.lit = Some(*n),
        Size::Sym(e) => f.arg = Some(e.to_token_stream().to_string()),
    }
}

fn size_text(s: &Size) -> String {
    match s {
        Size::Lit(n) => n.to_string(),
        Size::Sym(e) => e.to_token_stream().to_string(),
    }
}
