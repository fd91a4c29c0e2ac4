//! Runtime support for the code that `model!` generates: the workspace its
//! buffers live in, the trait a compiled model implements so that another
//! compiled model can nest it and a define-by-run graph can call it, the
//! define-by-run node whose backward is the fused backward, and the plan
//! description a compiled model prints.
//!
//! Users meet these types through a compiled model's methods
//! (`plan()`, `forward`); the generated code reaches them through
//! `dezero::__private`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::ops::Range;

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::function::{apply1, Function};
use crate::layers::Layer;
use crate::random::RandomState;
use crate::scalar::Scalar;
use crate::variable::{Parameter, Variable};

// ---------------------------------------------------------------------------
// The workspace
// ---------------------------------------------------------------------------

/// The memory a compiled model computes in: one slab of elements, cut into
/// the slots its plan assigned, plus a buffer for inputs that are not
/// contiguous.
///
/// The slab grows when a batch larger than any before arrives, and is
/// reused as it is otherwise, so a warm training step allocates nothing.
///
/// ```
/// let mut ws = dezero_runtime::compiled::Workspace::<f32>::new();
/// ws.ensure(10);
/// assert_eq!(ws.bytes(), 40);
/// ws.ensure(4); // never shrinks
/// assert_eq!(ws.slab.len(), 10);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Workspace<T: Scalar> {
    /// The slots, back to back.
    pub slab: Vec<T>,
    /// A contiguous copy of an input given as a non-contiguous view.
    pub xbuf: Vec<T>,
    /// Rows of the last split forward pass (for its backward pass).
    pub rows: usize,
}

impl<T: Scalar> Workspace<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Workspace {
            slab: Vec::new(),
            xbuf: Vec::new(),
            rows: 0,
        }
    }

    /// Grows the slab to at least `len` elements (never shrinks).
    pub fn ensure(&mut self, len: usize) {
        if self.slab.len() < len {
            self.slab.resize(len, T::zero());
        }
    }

    /// Bytes held by the slab and the input buffer.
    pub fn bytes(&self) -> usize {
        (self.slab.len() + self.xbuf.len()) * std::mem::size_of::<T>()
    }
}

/// Cuts `slab` into `R` regions to read and one to write, which must not
/// overlap it (the plan never gives a step's output a slot one of its inputs
/// is still in).
///
/// ```
/// let mut slab = [1.0, 2.0, 3.0, 4.0];
/// let ([a], w) = dezero_runtime::compiled::split_rw(&mut slab, [0..2], 2..4);
/// w.copy_from_slice(a);
/// assert_eq!(slab, [1.0, 2.0, 1.0, 2.0]);
/// ```
///
/// # Panics
/// If a read region overlaps the write region or lies outside the slab.
pub fn split_rw<T, const R: usize>(
    slab: &mut [T],
    reads: [Range<usize>; R],
    write: Range<usize>,
) -> ([&[T]; R], &mut [T]) {
    let (lo, rest) = slab.split_at_mut(write.start);
    let (w, hi) = rest.split_at_mut(write.end - write.start);
    let (lo, hi): (&[T], &[T]) = (lo, hi);
    let end = write.end;
    let r = reads.map(|r| {
        if r.end <= lo.len() {
            &lo[r]
        } else {
            assert!(
                r.start >= end,
                "split_rw: read {r:?} overlaps write {write:?}"
            );
            &hi[r.start - end..r.end - end]
        }
    });
    (r, w)
}

/// Gives a width class the value `v` that `who` requires, or reports that
/// the class already holds another one.
///
/// Used by the generated width resolution: `expected` is what `who`
/// requires, `got` what reached it.
///
/// # Errors
/// [`Error::Shape`] naming `who` if the class already holds a different
/// width.
///
/// ```
/// let mut d = None;
/// dezero_runtime::compiled::fix_width(&mut d, 3, "Net.l1", "input").unwrap();
/// let e = dezero_runtime::compiled::fix_width(&mut d, 4, "Net.l2", "input").unwrap_err();
/// assert_eq!(e.to_string(), "Net.l2: expected input of width 4, got width 3");
/// ```
pub fn fix_width(d: &mut Option<usize>, v: usize, who: &str, what: &str) -> Result<()> {
    match *d {
        None => {
            *d = Some(v);
            Ok(())
        }
        Some(have) if have == v => Ok(()),
        Some(have) => Err(Error::Shape {
            op: who.to_string(),
            expected: format!("{what} of width {v}"),
            got: format!("width {have}"),
        }),
    }
}

/// Checks that an input is a matrix of `width` columns, naming the layer that
/// reads it.
///
/// ```
/// use dezero_runtime::compiled::check_input;
/// assert!(check_input(7, 2, 2, "Net.l1").is_ok());
/// let e = check_input(7, 3, 2, "Net.l1").unwrap_err();
/// assert_eq!(e.to_string(), "Net.l1: expected input of shape [N, 2], got [7, 3]");
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who` otherwise.
pub fn check_input(rows: usize, got: usize, width: usize, who: &str) -> Result<()> {
    if got == width {
        Ok(())
    } else {
        Err(Error::Shape {
            op: who.to_string(),
            expected: format!("input of shape [N, {width}]"),
            // rows are 0 where only the width is known (nested resolution)
            got: if rows == 0 {
                format!("[N, {got}]")
            } else {
                format!("[{rows}, {got}]")
            },
        })
    }
}

/// Makes a parameter's data contiguous and row-major (a no-op when it is,
/// which is always after the first call), so the generated code can take it
/// as a slice.
pub fn make_standard<T: Scalar>(p: &Parameter<T>) {
    if p.has_data() && !p.data().is_standard_layout() {
        let d = p.data().as_standard_layout().into_owned();
        p.set_data(d);
    }
}

/// Sets every present gradient to zero in place (a compiled model's
/// `cleargrads`): unlike dropping them, the next pass writes into the same
/// arrays, so a warm step allocates nothing.
pub fn zero_grads<T: Scalar>(layer: &(impl Layer<T> + ?Sized)) {
    layer.for_each_param(&mut |p| {
        if let Some(g) = p.grad() {
            g.data_mut().fill(T::zero());
        }
    });
}

// ---------------------------------------------------------------------------
// Where parameter gradients go
// ---------------------------------------------------------------------------

/// Where a compiled backward pass adds each parameter's gradient.
pub trait GradSink<T: Scalar> {
    /// Calls `f` on the (row-major, contiguous) gradient array of `p`, to
    /// which `f` adds.
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T]));
}

/// Adds into each parameter's own gradient (`p.grad()`), creating a zero
/// gradient first when it is `None`: the sink of `forward_backward`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParamGrads;

impl<T: Scalar> GradSink<T> for ParamGrads {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T])) {
        let g = match p.grad() {
            Some(g) => g,
            None => {
                let g = Variable::new(ArrayD::zeros(p.data().raw_dim()));
                p.set_grad(Some(g.clone()));
                g
            }
        };
        let mut d = g.data_mut();
        if !d.is_standard_layout() {
            *d = d.as_standard_layout().into_owned();
        }
        f(d.as_slice_mut().expect("made standard just above"));
    }
}

/// Collects gradients into fresh arrays, one per parameter of a list: the
/// sink of the define-by-run node, which returns them to the graph.
#[derive(Debug)]
pub struct VecGrads<T: Scalar> {
    params: Vec<Variable<T>>,
    grads: Vec<ArrayD<T>>,
}

impl<T: Scalar> VecGrads<T> {
    /// Zero gradients shaped like `params`.
    pub fn new(params: Vec<Variable<T>>) -> Self {
        let grads = params
            .iter()
            .map(|p| ArrayD::zeros(p.data().raw_dim()))
            .collect();
        VecGrads { params, grads }
    }

    /// The gradients, in the order of the list.
    pub fn into_grads(self) -> Vec<ArrayD<T>> {
        self.grads
    }
}

impl<T: Scalar> GradSink<T> for VecGrads<T> {
    fn accumulate(&mut self, p: &Parameter<T>, f: &mut dyn FnMut(&mut [T])) {
        if let Some(i) = self.params.iter().position(|q| q.same(p)) {
            f(self.grads[i].as_slice_mut().expect("zeros are contiguous"));
        }
    }
}

// ---------------------------------------------------------------------------
// The interface between compiled models
// ---------------------------------------------------------------------------

/// What a `model!` type offers to a model that nests it and to the
/// define-by-run node: width resolution, lazy initialisation, and a forward
/// pass that keeps what its backward pass needs, split in two calls.
///
/// Generated by `model!`; not meant to be implemented by hand. Matrices are
/// row-major slices.
pub trait CompiledModel<T: Scalar>: Layer<T> + Sized + 'static {
    /// The type's name, for messages.
    const NAME: &'static str;

    /// The output width for an input of width `in_width`, checking every
    /// layer on the way.
    ///
    /// # Errors
    /// [`Error::Shape`] naming the first layer that disagrees.
    fn out_width(&self, in_width: usize) -> Result<usize>;

    /// Initialises every layer still waiting for its input width, in the order
    /// the forward pass first calls them, drawing from `rng`.
    ///
    /// # Errors
    /// As [`out_width`](CompiledModel::out_width), before touching anything.
    fn init_lazy(&self, in_width: usize, rng: &mut RandomState) -> Result<()>;

    /// The first half of a training pass: `y = model(x)` for `rows` rows,
    /// keeping in the workspace what [`backward_split`](CompiledModel::backward_split)
    /// reads.
    ///
    /// # Errors
    /// As [`out_width`](CompiledModel::out_width), before touching anything.
    fn forward_split(&mut self, x: &[T], rows: usize, y: &mut [T]) -> Result<()>;

    /// The second half: from the output's gradient `gy`, adds each
    /// parameter's gradient into `sink` and writes (or, with `acc`, adds) the
    /// input's gradient into `gx` when given.
    fn backward_split(
        &mut self,
        gy: &[T],
        gx: Option<&mut [T]>,
        acc: bool,
        sink: &mut dyn GradSink<T>,
    );

    /// `y = model(x)` with the inference plan.
    ///
    /// # Errors
    /// As [`out_width`](CompiledModel::out_width).
    fn predict_into(&mut self, x: &[T], rows: usize, y: &mut [T]) -> Result<()>;

    /// Another model with the same parameters (shared handles) and an empty
    /// workspace.
    fn share(&self) -> Self;

    /// Bytes held by the workspace (and the workspaces of nested models).
    fn workspace_bytes(&self) -> usize;
}

/// Initialises a model's lazy layers from the thread's global stream, as the
/// first define-by-run call would.
///
/// # Errors
/// As [`CompiledModel::init_lazy`].
pub fn init_lazy_global<T: Scalar, M: CompiledModel<T>>(m: &M, in_width: usize) -> Result<()> {
    crate::random::with_global(|rng| m.init_lazy(in_width, rng))
}

// ---------------------------------------------------------------------------
// The define-by-run node
// ---------------------------------------------------------------------------

/// A compiled model called inside a define-by-run graph: one node whose
/// inputs are `x` and the model's parameters and whose backward is the
/// model's fused backward pass.
///
/// The backward pass is not itself recorded, so gradients of gradients
/// (`create_graph`) do not flow through a compiled node.
pub struct CompiledNode<M> {
    model: RefCell<M>,
    in_width: usize,
    out_width: usize,
    rows: usize,
    nparams: usize,
}

impl<T: Scalar, M: CompiledModel<T>> Function<T> for CompiledNode<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = xs[0].as_standard_layout();
        let mut y = ArrayD::zeros(IxDyn(&[self.rows, self.out_width]));
        let out = y.as_slice_mut().expect("zeros are contiguous");
        let xs = x.as_slice().expect("made standard");
        if let Err(e) = self.model.get_mut().forward_split(xs, self.rows, out) {
            // The widths were checked by `forward_node` before the call.
            panic!("{e}");
        }
        vec![y]
    }

    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let gy = gys[0].data().as_standard_layout().into_owned();
        let mut gx = ArrayD::zeros(IxDyn(&[self.rows, self.in_width]));
        let mut sink = VecGrads::new(xs[1..1 + self.nparams].to_vec());
        self.model.borrow_mut().backward_split(
            gy.as_slice().expect("owned standard"),
            Some(gx.as_slice_mut().expect("zeros are contiguous")),
            false,
            &mut sink,
        );
        let mut out = vec![Some(Variable::new(gx))];
        out.extend(
            sink.into_grads()
                .into_iter()
                .map(|g| Some(Variable::new(g))),
        );
        out
    }

    fn retained_bytes(&self) -> usize {
        self.model.borrow().workspace_bytes()
    }
}

/// Calls a compiled model on a Variable as one define-by-run node (the
/// generated `Layer::forward` and `try_forward`).
///
/// Lazy layers are initialised first from the global stream, as a
/// define-by-run model's first call would.
///
/// # Errors
/// [`Error::Shape`] if `x` is not a matrix or its width does not fit the
/// model, before anything is touched.
pub fn forward_node<T: Scalar, M: CompiledModel<T>>(
    model: &M,
    x: &Variable<T>,
) -> Result<Variable<T>> {
    let (rows, in_width) = match *x.data().shape() {
        [r, w] => (r, w),
        ref s => {
            return Err(Error::Shape {
                op: M::NAME.to_string(),
                expected: "a 2-dimensional input".to_string(),
                got: format!("{s:?}"),
            })
        }
    };
    let out_width = model.out_width(in_width)?;
    init_lazy_global(model, in_width)?;
    let params = model.params();
    let node = CompiledNode {
        model: RefCell::new(model.share()),
        in_width,
        out_width,
        rows,
        nparams: params.len(),
    };
    let mut inputs: Vec<&Variable<T>> = vec![x];
    inputs.extend(params.iter().map(|p| p.as_variable()));
    Ok(apply1(node, &inputs))
}

// ---------------------------------------------------------------------------
// The plan, for people
// ---------------------------------------------------------------------------

/// One step of a plan as the compiler wrote it: static text, so that the
/// generated code can hold it in constants.
#[derive(Clone, Copy, Debug)]
pub struct StepSpec {
    /// The op after fusion (`affine+sigmoid l1`).
    pub op: &'static str,
    /// The values it reads.
    pub reads: &'static [&'static str],
    /// The values it writes.
    pub writes: &'static [&'static str],
}

/// One buffer slot: the values that share it, and the width classes that
/// size it (its size per batch row is the largest).
#[derive(Clone, Copy, Debug)]
pub struct SlotSpec {
    /// The values placed in the slot, in schedule order.
    pub values: &'static [&'static str],
    /// The width class of each value.
    pub classes: &'static [usize],
}

/// A plan as the compiler wrote it.
#[derive(Clone, Copy, Debug)]
pub struct PlanSpec {
    /// `"training"` or `"inference"`.
    pub kind: &'static str,
    /// The op schedule.
    pub steps: &'static [StepSpec],
    /// The slots.
    pub slots: &'static [SlotSpec],
    /// Every intermediate value of the unfused program (activations and
    /// gradients) with its width class: what a naive plan, which keeps each
    /// in a buffer of its own, allocates.
    pub values: &'static [(&'static str, usize)],
}

/// A compiled model's plan with the widths it knows now: the op schedule
/// after fusion, the buffer slots with their sizes per batch row, and the
/// bytes planned against a naive plan that keeps every intermediate.
///
/// Print it with `{}`; render it with [`Plan::to_dot`].
#[derive(Clone, Debug)]
pub struct Plan {
    /// The model type.
    pub model: &'static str,
    /// What the compiler planned.
    pub spec: &'static PlanSpec,
    /// The width classes' names (a constructor argument, a literal, `in`).
    pub class_names: &'static [&'static str],
    /// The width classes' values where known.
    pub widths: Vec<Option<usize>>,
    /// Bytes per element.
    pub elem_bytes: usize,
}

impl Plan {
    fn width(&self, c: usize) -> Option<usize> {
        self.widths.get(c).copied().flatten()
    }

    fn class_text(&self, c: usize) -> String {
        let name = self.class_names.get(c).copied().unwrap_or("?");
        match self.width(c) {
            Some(w) if name.parse::<usize>().is_ok() => format!("{w}"),
            Some(w) => format!("{name}={w}"),
            None => name.to_string(),
        }
    }

    /// Elements per batch row of slot `i`, if every width in it is known.
    pub fn slot_elems(&self, i: usize) -> Option<usize> {
        let s = self.spec.slots.get(i)?;
        s.classes
            .iter()
            .map(|&c| self.width(c))
            .try_fold(0, |m, w| w.map(|w| m.max(w)))
    }

    /// Bytes per batch row that the plan's slots take, if known.
    pub fn planned_bytes_per_row(&self) -> Option<usize> {
        (0..self.spec.slots.len())
            .map(|i| self.slot_elems(i))
            .sum::<Option<usize>>()
            .map(|e| e * self.elem_bytes)
    }

    /// Bytes per batch row that keeping every intermediate value would take,
    /// if known.
    pub fn naive_bytes_per_row(&self) -> Option<usize> {
        self.spec
            .values
            .iter()
            .map(|&(_, c)| self.width(c))
            .sum::<Option<usize>>()
            .map(|e| e * self.elem_bytes)
    }

    /// The plan as a Graphviz DOT digraph: one node per step, one edge per
    /// value passed from the step that writes it to each step that reads it.
    pub fn to_dot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph \"{} {}\" {{", self.model, self.spec.kind);
        let _ = writeln!(s, "  rankdir=TB;");
        let _ = writeln!(s, "  node [shape=box, fontname=\"monospace\"];");
        let _ = writeln!(s, "  in [label=\"inputs\", shape=ellipse];");
        for (i, st) in self.spec.steps.iter().enumerate() {
            let _ = writeln!(s, "  s{i} [label=\"{}\"];", st.op.replace('"', "\\\""));
        }
        for (i, st) in self.spec.steps.iter().enumerate() {
            for r in st.reads {
                let from = self.spec.steps[..i]
                    .iter()
                    .rposition(|p| p.writes.contains(r))
                    .map_or_else(|| "in".to_string(), |j| format!("s{j}"));
                let _ = writeln!(s, "  {from} -> s{i} [label=\"{r}\"];");
            }
        }
        s.push_str("}\n");
        s
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} — {} plan", self.model, self.spec.kind)?;
        writeln!(f, "schedule:")?;
        for (i, st) in self.spec.steps.iter().enumerate() {
            writeln!(
                f,
                "  {i:>2}  {:<34} {} -> {}",
                st.op,
                st.reads.join(", "),
                st.writes.join(", ")
            )?;
        }
        writeln!(f, "slots (elements per batch row):")?;
        for (i, s) in self.spec.slots.iter().enumerate() {
            let mut cs: Vec<usize> = s.classes.to_vec();
            cs.sort_unstable();
            cs.dedup();
            let size = match self.slot_elems(i) {
                Some(e) => format!("{e}"),
                None => "?".to_string(),
            };
            let by: Vec<String> = cs.iter().map(|&c| self.class_text(c)).collect();
            writeln!(
                f,
                "  s{i}: {size:>6}  max({})  holds {}",
                by.join(", "),
                s.values.join(", ")
            )?;
        }
        let show = |b: Option<usize>| b.map_or_else(|| "?".to_string(), |b| b.to_string());
        write!(
            f,
            "bytes per batch row: planned {} in {} slots; naive {} ({} unfused intermediates kept)",
            show(self.planned_bytes_per_row()),
            self.spec.slots.len(),
            show(self.naive_bytes_per_row()),
            self.spec.values.len()
        )
    }
}

/// Both plans of a compiled model: training (`forward_backward`) and
/// inference (`predict`).
#[derive(Clone, Debug)]
pub struct Plans {
    /// The training plan.
    pub train: Plan,
    /// The inference plan.
    pub predict: Plan,
}

impl Plans {
    /// Both plans as one DOT file with two clusters.
    pub fn to_dot(&self) -> String {
        let mut s = self.train.to_dot();
        s.push_str(&self.predict.to_dot());
        s
    }
}

impl fmt::Display for Plans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.train)?;
        writeln!(f)?;
        write!(f, "{}", self.predict)
    }
}

// ---------------------------------------------------------------------------
// Compile-time guards
// ---------------------------------------------------------------------------

/// Implemented by the `model!` types that declare `fn loss`; a model without
/// one has a `forward_backward` that does not compile, with this message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` declares no `fn loss`, so it cannot be trained with `forward_backward`",
    label = "needs a loss",
    note = "add `fn loss(y, t) {{ mean_squared_error(y, t) }}` (or `softmax_cross_entropy`) after `fn forward` in the `model!`"
)]
pub trait HasLoss {
    /// Never called: a model without a loss has no implementation.
    fn unreachable() -> std::convert::Infallible;
}
