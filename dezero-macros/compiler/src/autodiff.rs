//! Reverse-mode differentiation of the forward graph into a step program.
//!
//! The forward ops become steps in graph order; then, from the seed (the
//! loss's gradient, or the caller's output gradient in a split pass), each
//! op's backward rule adds its inputs' gradient contributions, in reverse
//! order. The first contribution to a gradient writes it, later ones add
//! (a value used twice, a layer called twice). Dead work is never emitted:
//! a value that depends on no parameter (the model input in a training
//! pass) gets no gradient.

use crate::ir::{Graph, Op, ValueId};
use crate::program::{Buf, BufInfo, Mode, Program, Role, Step};
use crate::shape::Shapes;

/// Builds the program of one pass.
pub fn derive(g: &Graph, shapes: &Shapes, mode: Mode) -> Program {
    let n = match mode {
        Mode::Train => g.nodes.len(),
        Mode::Split | Mode::Predict => g.forward_len,
    };
    let mut d = Derive {
        g,
        shapes,
        p: Program {
            mode,
            bufs: Vec::new(),
            steps: Vec::new(),
            input: Buf(0),
            output: Buf(0),
            split_at: 0,
        },
        val: Vec::new(),
        grad: vec![None; n],
    };
    for i in 0..n {
        let role = if i == 0 { Role::Input } else { Role::Value };
        let b = d.new_buf(ValueId(i), g.nodes[i].name.clone(), role);
        d.val.push(b);
    }
    d.p.input = d.val[0];
    d.p.output = d.val[g.output.0];
    d.forward(n);
    if mode == Mode::Predict {
        return d.p;
    }
    d.backward(n);
    d.p
}

struct Derive<'a> {
    g: &'a Graph,
    shapes: &'a Shapes,
    p: Program,
    /// The buffer of each forward value.
    val: Vec<Buf>,
    /// The gradient buffer of each value, once it has a contribution.
    grad: Vec<Option<Buf>>,
}

impl Derive<'_> {
    fn new_buf(&mut self, v: ValueId, name: String, role: Role) -> Buf {
        self.p.bufs.push(BufInfo {
            class: self.shapes.value_class[v.0],
            name,
            role,
        });
        Buf(self.p.bufs.len() - 1)
    }

    /// The forward steps (and, when training, the loss).
    fn forward(&mut self, n: usize) {
        let mode = self.p.mode;
        if mode == Mode::Split {
            self.p.steps.push(Step::LoadInput { x: self.val[0] });
        }
        for i in 1..n {
            let y = self.val[i];
            let step = match self.g.nodes[i].op {
                Op::Input => continue,
                Op::Linear { layer, x } => Step::Affine {
                    layer,
                    x: self.val[x.0],
                    y,
                    act: None,
                },
                Op::Nested { layer, x } => Step::Nested {
                    layer,
                    x: self.val[x.0],
                    y,
                },
                Op::Act { act, x } => Step::Act {
                    act,
                    x: self.val[x.0],
                    y,
                },
                Op::Binary { kind, a, b } => Step::Binary {
                    kind,
                    a: self.val[a.0],
                    b: self.val[b.0],
                    y,
                },
            };
            self.p.steps.push(step);
        }
        match mode {
            Mode::Split => {
                self.p.steps.push(Step::StoreOutput { y: self.p.output });
                self.p.split_at = self.p.steps.len();
            }
            Mode::Train => {
                if let Some(loss) = self.g.loss {
                    self.p.steps.push(Step::Loss {
                        kind: loss.kind,
                        y: self.val[loss.y.0],
                        g: None,
                    });
                }
            }
            Mode::Predict => {}
        }
    }

    /// Which values need a gradient: those that depend on a parameter, and
    /// in a split pass also those that depend on the input.
    fn needs_grad(&self, n: usize) -> Vec<bool> {
        let mut need = vec![false; n];
        need[0] = self.p.mode == Mode::Split;
        for i in 1..n {
            need[i] = match self.g.nodes[i].op {
                Op::Input => need[0],
                Op::Linear { .. } | Op::Nested { .. } => true,
                ref op => op.inputs().iter().any(|v| need[v.0]),
            };
        }
        need
    }

    /// The gradient buffer of `v` for a new contribution, and whether the
    /// contribution adds to earlier ones.
    fn contribute(&mut self, v: ValueId) -> (Buf, bool) {
        match self.grad[v.0] {
            Some(b) => (b, true),
            None => {
                let name = format!("g{}", self.g.nodes[v.0].name);
                let b = self.new_buf(v, name, Role::Grad);
                self.grad[v.0] = Some(b);
                (b, false)
            }
        }
    }

    fn backward(&mut self, n: usize) {
        let need = self.needs_grad(n);
        match self.p.mode {
            Mode::Train => {
                let Some(loss) = self.g.loss else {
                    return;
                };
                let (g, _) = self.contribute(loss.y);
                self.p.steps.push(Step::LossGrad {
                    kind: loss.kind,
                    y: self.val[loss.y.0],
                    g,
                });
            }
            _ => {
                let (g, _) = self.contribute(self.g.output);
                self.p.steps.push(Step::LoadSeed { g });
            }
        }
        for i in (1..n).rev() {
            let Some(gy) = self.grad[i] else {
                continue;
            };
            let y = self.val[i];
            match self.g.nodes[i].op {
                Op::Input => {}
                Op::Linear { layer, x } => {
                    self.p.steps.push(Step::LinearGradW {
                        layer,
                        x: self.val[x.0],
                        gy,
                    });
                    if need[x.0] {
                        let (gx, acc) = self.contribute(x);
                        self.p.steps.push(Step::LinearGradX {
                            layer,
                            gy,
                            gx,
                            acc,
                            act: None,
                        });
                    }
                }
                Op::Nested { layer, x } => {
                    let (gx, acc) = if need[x.0] {
                        let (gx, acc) = self.contribute(x);
                        (Some(gx), acc)
                    } else {
                        (None, false)
                    };
                    self.p.steps.push(Step::NestedGrad { layer, gy, gx, acc });
                }
                Op::Act { act, x } => {
                    if need[x.0] {
                        let (gx, acc) = self.contribute(x);
                        self.p.steps.push(Step::ActGrad {
                            act,
                            y,
                            gy,
                            gx,
                            acc,
                        });
                    }
                }
                Op::Binary { kind, a, b } => {
                    use crate::ir::BinKind;
                    match kind {
                        BinKind::Add | BinKind::Sub => {
                            for (v, neg) in [(a, false), (b, kind == BinKind::Sub)] {
                                if need[v.0] {
                                    let (dst, acc) = self.contribute(v);
                                    self.p.steps.push(Step::Copy {
                                        src: gy,
                                        dst,
                                        neg,
                                        acc,
                                    });
                                }
                            }
                        }
                        BinKind::Mul => {
                            for (v, other) in [(a, b), (b, a)] {
                                if need[v.0] {
                                    let (dst, acc) = self.contribute(v);
                                    self.p.steps.push(Step::MulGrad {
                                        gy,
                                        other: self.val[other.0],
                                        dst,
                                        acc,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        if self.p.mode == Mode::Split {
            if let Some(g) = self.grad[0] {
                self.p.steps.push(Step::StoreGradInput { g });
            }
        }
    }
}
