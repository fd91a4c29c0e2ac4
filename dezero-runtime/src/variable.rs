//! `Variable` (an array with a gradient and a creator) and `Parameter`,
//! and the backward pass that walks the graph by generation.
//!
//! Variables and Parameters are `Send` and `Sync`: a handle can be moved to
//! another thread, and so can the layers, optimizers and compiled models
//! that hold them. Two threads must not borrow one variable's data at once
//! when either borrow is mutable (a training step on a Parameter that
//! another thread reads): the second borrow panics, as a `RefCell` would,
//! rather than racing or waiting. See "Threads: Send and Sync" in
//! [`compiled`](crate::compiled) for the whole picture.

use std::collections::{BinaryHeap, HashSet};
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Weak};

use atomic_refcell::AtomicRefCell;
/// The guards returned by [`Variable::data`] and [`Variable::data_mut`]
/// (`atomic_refcell`'s, used as `std::cell::Ref` and `RefMut` are).
pub use atomic_refcell::{AtomicRef, AtomicRefMut};

use ndarray::{ArrayD, IxDyn};

use crate::config::using_backprop;
use crate::function::FuncNode;
use crate::scalar::Scalar;

pub(crate) type VarCell<T> = AtomicRefCell<VarInner<T>>;

pub(crate) struct VarInner<T: Scalar> {
    /// `None` once freed by hand (the book's `t.data = None` in
    /// `linear_simple`), or until a lazy layer's first call (`lazy`).
    data: Option<ArrayD<T>>,
    /// Whether missing data awaits a lazy layer's first call rather than
    /// having been freed, so that a panic says which.
    lazy: bool,
    grad: Option<Variable<T>>,
    /// A gradient array a compiled model's `cleargrads` set aside rather
    /// than freed, for its next pass to overwrite (see
    /// [`Variable::clear_grad_keeping`]).
    spare_grad: Option<Variable<T>>,
    name: Option<String>,
    creator: Option<Arc<FuncNode<T>>>,
    generation: usize,
}

/// An array that remembers the Function that made it, so gradients can flow
/// back through it (DeZero's `Variable`).
///
/// A `Variable` is a shared handle: cloning it gives another handle to the
/// same variable (as assigning a Python name does), not a copy of the data.
/// The element type `T` is `f32` by default, or `f64`.
///
/// Handles are `Send` and `Sync` (an `Arc` around an `AtomicRefCell`): one
/// can be sent to another thread, and clones can be used from several
/// threads at once as long as none of them writes while another borrows.
///
/// # Panics
/// The methods that read or change the variable borrow it as a `RefCell`
/// would, and panic on a conflicting borrow: one that writes (as
/// [`data_mut`](Variable::data_mut), [`set_data`](Variable::set_data),
/// [`set_grad`](Variable::set_grad), or a backward pass storing the
/// gradient) while the variable is borrowed, or one that reads while it is borrowed
/// to be written. Within one thread this happens only if a guard from
/// [`data`](Variable::data) or [`data_mut`](Variable::data_mut) is held
/// across such a call. Across threads it happens when two threads use the
/// same variable at the same moment, one of them writing: the borrow panics
/// instead of waiting for the other thread, so share a Parameter between
/// threads only for reading, or take turns (a `Mutex` around the model, or
/// moving it).
///
/// ```
/// use dezero_runtime::Variable;
/// use ndarray::array;
/// let x = Variable::new(array![3.0_f64].into_dyn());
/// let y = &x * &x; // y = x², recorded
/// y.backward();
/// assert_eq!(x.grad().unwrap().data()[[0]], 6.0);
/// ```
pub struct Variable<T: Scalar = f32>(Arc<VarCell<T>>);

/// The panic of a method that needs data a variable does not have: freed
/// by hand, or not yet set by a lazy layer's first call.
#[cold]
#[track_caller]
fn absent(name: Option<&str>, lazy: bool) -> ! {
    let name = name.map(|n| format!(" `{n}`")).unwrap_or_default();
    if lazy {
        panic!(
            "parameter{name} is not initialised yet: its layer takes its input size from \
             its first call, so it has no data (and no shape) until the model is called once \
             (or built with an input size, as `with_rng` or `Linear::with_in` do)"
        )
    }
    panic!("variable{name}'s data was freed (see Variable::free_data)")
}

impl<T: Scalar> Clone for Variable<T> {
    fn clone(&self) -> Self {
        Variable(Arc::clone(&self.0))
    }
}

/// Options of [`Variable::backward_with`] (DeZero's `backward(retain_grad,
/// create_graph)` keywords).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackwardOptions {
    /// Keep the gradients of non-leaf variables (by default they are dropped
    /// once used, as DeZero does).
    pub retain_grad: bool,
    /// Record the backward computation itself, so that gradients can be
    /// differentiated again (higher-order derivatives).
    pub create_graph: bool,
}

impl BackwardOptions {
    /// Sets [`retain_grad`](BackwardOptions::retain_grad).
    pub fn retain_grad(mut self, on: bool) -> Self {
        self.retain_grad = on;
        self
    }
    /// Sets [`create_graph`](BackwardOptions::create_graph).
    pub fn create_graph(mut self, on: bool) -> Self {
        self.create_graph = on;
        self
    }
}

/// Orders pending Functions so that the highest generation is processed first.
pub(crate) struct Pending<T: Scalar>(pub(crate) Arc<FuncNode<T>>, pub(crate) usize);

impl<T: Scalar> PartialEq for Pending<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.0.generation, self.1) == (other.0.generation, other.1)
    }
}
impl<T: Scalar> Eq for Pending<T> {}
impl<T: Scalar> PartialOrd for Pending<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: Scalar> Ord for Pending<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Among equal generations, the one added last is popped first, like
        // DeZero's stable sort followed by `pop()`.
        (self.0.generation, self.1).cmp(&(other.0.generation, other.1))
    }
}

impl<T: Scalar> Variable<T> {
    /// Wraps an array (DeZero's `Variable(data)`).
    pub fn new(data: ArrayD<T>) -> Self {
        Variable(Arc::new(AtomicRefCell::new(VarInner {
            data: Some(data),
            lazy: false,
            grad: None,
            spare_grad: None,
            name: None,
            creator: None,
            generation: 0,
        })))
    }

    /// Wraps an array and names it (DeZero's `Variable(data, name)`).
    pub fn with_name(data: ArrayD<T>, name: impl Into<String>) -> Self {
        let v = Variable::new(data);
        v.set_name(Some(name.into()));
        v
    }

    /// A 0-dimensional variable holding `value`.
    pub fn scalar(value: T) -> Self {
        Variable::new(ndarray::arr0(value).into_dyn())
    }

    pub(crate) fn from_cell(cell: Arc<VarCell<T>>) -> Self {
        Variable(cell)
    }

    pub(crate) fn downgrade(&self) -> Weak<VarCell<T>> {
        Arc::downgrade(&self.0)
    }

    pub(crate) fn ptr(&self) -> *const VarCell<T> {
        Arc::as_ptr(&self.0)
    }

    /// Whether two handles refer to the same variable (Python's `is`).
    pub fn same(&self, other: &Variable<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Borrows the data.
    ///
    /// # Panics
    /// If the data was freed with [`free_data`](Variable::free_data), or is
    /// borrowed to be written at the same moment (by a guard from
    /// [`data_mut`](Variable::data_mut) held on this thread, or by another
    /// thread).
    pub fn data(&self) -> AtomicRef<'_, ArrayD<T>> {
        self.data_ref()
    }

    pub(crate) fn data_ref(&self) -> AtomicRef<'_, ArrayD<T>> {
        AtomicRef::map(self.0.borrow(), |v| {
            v.data
                .as_ref()
                .unwrap_or_else(|| absent(v.name.as_deref(), v.lazy))
        })
    }

    /// Borrows the data and reads the generation under one borrow (the
    /// inputs of [`apply`](crate::apply)): every borrow of the shared cell is
    /// an atomic read-modify-write, and these paths run once per op.
    pub(crate) fn data_and_generation(&self) -> (AtomicRef<'_, ArrayD<T>>, usize) {
        let inner = self.0.borrow();
        let generation = inner.generation;
        let data = AtomicRef::map(inner, |v| {
            v.data
                .as_ref()
                .unwrap_or_else(|| absent(v.name.as_deref(), v.lazy))
        });
        (data, generation)
    }

    /// The data, or `None` once freed, under one borrow.
    pub(crate) fn data_if_present(&self) -> Option<AtomicRef<'_, ArrayD<T>>> {
        AtomicRef::filter_map(self.0.borrow(), |v| v.data.as_ref())
    }

    /// Whether a gradient is present, without cloning its handle.
    pub(crate) fn has_grad(&self) -> bool {
        self.0.borrow().grad.is_some()
    }

    /// Calls `f` on the data, mutably, and the gradient's data, under one
    /// borrow of this variable (an optimizer's step); `None`, touching
    /// nothing else, when there is no gradient.
    ///
    /// # Panics
    /// If the data was freed, or either is borrowed at the same moment.
    pub(crate) fn with_data_mut_and_grad<R>(
        &self,
        f: impl FnOnce(&mut ArrayD<T>, &ArrayD<T>) -> R,
    ) -> Option<R> {
        let mut inner = self.0.borrow_mut();
        let VarInner {
            data,
            grad,
            name,
            lazy,
            ..
        } = &mut *inner;
        let grad = grad.as_ref()?.data_ref();
        let data = data
            .as_mut()
            .unwrap_or_else(|| absent(name.as_deref(), *lazy));
        Some(f(data, &grad))
    }

    /// Borrows the data mutably (for optimizers, which update in place).
    ///
    /// # Panics
    /// If the data was freed, or is borrowed at the same moment (by a guard
    /// held on this thread, or by another thread).
    pub fn data_mut(&self) -> AtomicRefMut<'_, ArrayD<T>> {
        AtomicRefMut::map(self.0.borrow_mut(), |v| {
            v.data
                .as_mut()
                .unwrap_or_else(|| absent(v.name.as_deref(), v.lazy))
        })
    }

    /// Replaces the data (DeZero's `x.data = ...`).
    ///
    /// # Panics
    /// If the data is borrowed at the same moment (by a guard held on this
    /// thread, or by another thread).
    pub fn set_data(&self, data: ArrayD<T>) {
        let mut inner = self.0.borrow_mut();
        inner.data = Some(data);
        inner.lazy = false;
    }

    /// Frees the data while keeping the variable in the graph (the book's
    /// `t.data = None`); only safe when no backward rule reads it.
    pub fn free_data(&self) {
        let mut inner = self.0.borrow_mut();
        inner.data = None;
        inner.lazy = false;
    }

    /// Leaves the data absent until a lazy layer's first call sets it (a
    /// `Linear` without `in_size`: DeZero's `Parameter(None)`).
    pub(crate) fn await_first_call(&self) {
        let mut inner = self.0.borrow_mut();
        inner.data = None;
        inner.lazy = true;
    }

    /// Whether the data is present (false after [`free_data`](Variable::free_data)).
    pub fn has_data(&self) -> bool {
        self.0.borrow().data.is_some()
    }

    /// A copy of the data.
    pub fn to_array(&self) -> ArrayD<T> {
        self.data_ref().clone()
    }

    /// The gradient, if one has been computed (DeZero's `x.grad`).
    pub fn grad(&self) -> Option<Variable<T>> {
        self.0.borrow().grad.clone()
    }

    /// Sets or clears the gradient.
    pub fn set_grad(&self, grad: Option<Variable<T>>) {
        self.0.borrow_mut().grad = grad;
    }

    /// Drops the gradient, so the next backward starts from nothing (DeZero's
    /// `cleargrad`).
    pub fn cleargrad(&self) {
        self.0.borrow_mut().grad = None;
    }

    /// [`cleargrad`](Variable::cleargrad) for a compiled model: the gradient
    /// is gone as far as anyone can see, but its array is set aside, when no
    /// other handle to it exists, for [`grad_for_pass`](Variable::grad_for_pass)
    /// to overwrite. So a warm training step neither allocates a gradient
    /// nor spends a pass zeroing one.
    pub(crate) fn clear_grad_keeping(&self) {
        let mut inner = self.0.borrow_mut();
        let Some(g) = inner.grad.take() else {
            return;
        };
        // Only an array nobody else can read is reused: a handle the user
        // kept (`let g = p.grad()`) must keep its values, as after DeZero's
        // `cleargrad`; a gradient with a creator is part of a graph.
        if Arc::strong_count(&g.0) == 1 && Arc::weak_count(&g.0) == 0 {
            inner.spare_grad = Some(g);
        }
    }

    /// The gradient a compiled pass adds to, and whether it is fresh: a
    /// fresh one holds no sum yet (any values in it are stale), so the pass
    /// overwrites it rather than adding. A missing gradient becomes the
    /// spare one set aside by [`clear_grad_keeping`](Variable::clear_grad_keeping)
    /// when it still has the data's shape, or else a new array.
    pub(crate) fn grad_for_pass(&self) -> (AtomicRefMut<'_, Variable<T>>, bool) {
        // One borrow of this variable, and the gradient borrowed rather than
        // cloned: this runs for every parameter of every compiled backward
        // pass, and each borrow or handle clone is an atomic operation.
        let mut inner = self.0.borrow_mut();
        let fresh = inner.grad.is_none();
        if fresh {
            let VarInner {
                data,
                grad,
                spare_grad,
                name,
                lazy,
                ..
            } = &mut *inner;
            let dim = data
                .as_ref()
                .unwrap_or_else(|| absent(name.as_deref(), *lazy))
                .raw_dim();
            let spare = spare_grad.take().filter(|g| {
                g.0.borrow()
                    .data
                    .as_ref()
                    .is_some_and(|d| d.raw_dim() == dim)
            });
            *grad = Some(spare.unwrap_or_else(|| Variable::new(ArrayD::zeros(dim))));
        }
        let g = AtomicRefMut::map(inner, |v| v.grad.as_mut().expect("set just above"));
        (g, fresh)
    }

    /// The name, if any.
    pub fn name(&self) -> Option<String> {
        self.0.borrow().name.clone()
    }

    /// Sets the name (shown in graphs).
    pub fn set_name(&self, name: Option<String>) {
        self.0.borrow_mut().name = name;
    }

    /// The shape of the data.
    ///
    /// # Panics
    /// If the data was freed, or is not there yet: a lazy layer's weight
    /// (a `Linear` built without `in_size`, alone or in a `model!`) gets its
    /// data, and so its shape, at the layer's first call; the message says
    /// so. [`has_data`](Variable::has_data) tells beforehand.
    pub fn shape(&self) -> Vec<usize> {
        self.data_ref().shape().to_vec()
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.data_ref().ndim()
    }

    /// The number of elements.
    pub fn size(&self) -> usize {
        self.data_ref().len()
    }

    /// The length of the first axis (Python's `len(x)`); 0 for a 0-d variable.
    pub fn len(&self) -> usize {
        self.data_ref().shape().first().copied().unwrap_or(0)
    }

    /// Whether [`len`](Variable::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// NumPy's name of the element type.
    pub fn dtype(&self) -> &'static str {
        T::DTYPE
    }

    /// The generation: one more than the creator's, 0 for a leaf.
    pub fn generation(&self) -> usize {
        self.0.borrow().generation
    }

    pub(crate) fn set_creator(&self, f: Arc<FuncNode<T>>) {
        let mut inner = self.0.borrow_mut();
        inner.generation = f.generation + 1;
        inner.creator = Some(f);
    }

    pub(crate) fn creator_node(&self) -> Option<Arc<FuncNode<T>>> {
        self.0.borrow().creator.clone()
    }

    /// The name of the Function that created this variable, if any.
    pub fn creator_name(&self) -> Option<&'static str> {
        self.0.borrow().creator.as_ref().map(|f| f.func.name())
    }

    /// Cuts the link to the creator (DeZero's `unchain`).
    pub fn unchain(&self) {
        self.0.borrow_mut().creator = None;
    }

    /// Cuts every creator link in the graph behind this variable (DeZero's
    /// `unchain_backward`), freeing it.
    pub fn unchain_backward(&self) {
        let Some(first) = self.creator_node() else {
            return;
        };
        let mut funcs = vec![first];
        while let Some(f) = funcs.pop() {
            for x in &f.inputs {
                if let Some(c) = x.creator_node() {
                    funcs.push(c);
                    x.unchain();
                }
            }
        }
    }

    /// Backpropagates from this variable with DeZero's defaults: non-leaf
    /// gradients dropped, backward not recorded.
    ///
    /// If this variable has no gradient yet, it starts from ones. Leaf
    /// gradients accumulate across calls until [`cleargrad`](Variable::cleargrad).
    ///
    /// # Panics
    /// In check-finite mode ([`check_finite`](crate::check_finite)), with
    /// the report's message, where [`try_backward`](Variable::try_backward)
    /// returns an error: the first op whose output or gradient held a NaN or
    /// an infinity.
    pub fn backward(&self) {
        self.backward_with(BackwardOptions::default());
    }

    /// Backpropagates with options (DeZero's `backward(retain_grad, create_graph)`).
    ///
    /// ```
    /// use dezero_runtime::{BackwardOptions, Variable};
    /// // y = x⁴ − 2x², y'' at x = 2 is 44
    /// let x = Variable::scalar(2.0_f64);
    /// let y = &x.powi(4) - &(&x.powi(2) * 2.0);
    /// y.backward_with(BackwardOptions::default().create_graph(true));
    /// let gx = x.grad().unwrap();
    /// assert_eq!(gx.data()[[]], 24.0);
    /// x.cleargrad();
    /// gx.backward_with(BackwardOptions::default().create_graph(true));
    /// assert_eq!(x.grad().unwrap().data()[[]], 44.0);
    /// ```
    ///
    /// # Panics
    /// In check-finite mode ([`check_finite`](crate::check_finite)), with
    /// the report's message, where [`try_backward_with`](Variable::try_backward_with)
    /// returns an error.
    pub fn backward_with(&self, opts: BackwardOptions) {
        if let Err(e) = self.try_backward_with(opts) {
            panic!("{e}");
        }
    }

    /// The backward pass; with `check`, each gradient is checked as it is
    /// produced (see [`finite`](crate::finite)).
    pub(crate) fn backprop(
        &self,
        opts: BackwardOptions,
        check: bool,
    ) -> Result<(), Box<crate::finite::NonFinite>> {
        if self.grad().is_none() {
            let ones = ArrayD::from_elem(IxDyn(&self.shape()), T::one());
            self.set_grad(Some(Variable::new(ones)));
        }
        let Some(first) = self.creator_node() else {
            return Ok(());
        };
        let mut heap = BinaryHeap::new();
        let mut seen: HashSet<*const FuncNode<T>> = HashSet::new();
        let mut counter = 0usize;
        seen.insert(Arc::as_ptr(&first));
        heap.push(Pending(first, counter));

        while let Some(Pending(f, _)) = heap.pop() {
            let ys = f.live_outputs();
            let gys: Vec<Variable<T>> = ys
                .iter()
                .map(|y| {
                    y.grad()
                        .unwrap_or_else(|| Variable::new(ArrayD::zeros(IxDyn(&y.shape()))))
                })
                .collect();
            {
                let _mode = using_backprop(opts.create_graph);
                let gxs = f.func.backward(&f.inputs, &ys, &gys);
                for (i, (x, gx)) in f.inputs.iter().zip(gxs).enumerate() {
                    let Some(gx) = gx else { continue };
                    // The old gradient is moved out rather than cloned, and
                    // the new one stored with the creator looked up under
                    // the same borrow: each borrow and each handle clone is
                    // an atomic operation, and this loop is the hot one.
                    let old = x.0.borrow_mut().grad.take();
                    let new_grad = match &old {
                        None => gx,
                        Some(old) => old + &gx,
                    };
                    if check {
                        if let Err(e) = crate::finite::check_grad(&f, i, &new_grad) {
                            // The bad gradient is not stored; the input keeps
                            // the one it had.
                            x.0.borrow_mut().grad = old;
                            return Err(e);
                        }
                    }
                    drop(old);
                    let mut inner = x.0.borrow_mut();
                    inner.grad = Some(new_grad);
                    if let Some(c) = &inner.creator {
                        if seen.insert(Arc::as_ptr(c)) {
                            counter += 1;
                            heap.push(Pending(Arc::clone(c), counter));
                        }
                    }
                }
            }
            if !opts.retain_grad {
                for y in &ys {
                    y.cleargrad();
                }
            }
        }
        Ok(())
    }

    /// Bytes of array data that the graph ending at this variable keeps
    /// alive: the data of every variable reachable through creators (this one
    /// included) and whatever the Functions hold for their backward pass.
    ///
    /// This is how the book's memory lesson is observed: a loss written as
    /// composed ops keeps its unnamed intermediates; one Function keeps none.
    pub fn retained_bytes(&self) -> usize {
        let elem = std::mem::size_of::<T>();
        let mut seen_vars: HashSet<*const VarCell<T>> = HashSet::new();
        let mut seen_funcs: HashSet<*const FuncNode<T>> = HashSet::new();
        let mut stack = vec![self.clone()];
        let mut bytes = 0;
        while let Some(v) = stack.pop() {
            if !seen_vars.insert(v.ptr()) {
                continue;
            }
            let inner = v.0.borrow();
            bytes += inner.data.as_ref().map_or(0, |d| d.len() * elem);
            if let Some(f) = &inner.creator {
                if seen_funcs.insert(Arc::as_ptr(f)) {
                    bytes += f.func.retained_bytes();
                    stack.extend(f.inputs.iter().cloned());
                }
            }
        }
        bytes
    }
}

impl<T: Scalar> fmt::Display for Variable<T> {
    /// DeZero's `repr`: `variable([[1. 2.]])`, NumPy's print style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.0.borrow();
        match &inner.data {
            None => write!(f, "variable(None)"),
            Some(d) => {
                let body = crate::format::array_str(d).replace('\n', "\n         ");
                write!(f, "variable({body})")
            }
        }
    }
}

impl<T: Scalar> fmt::Debug for Variable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A Variable that a layer owns and an optimizer updates (DeZero's
/// `Parameter`): the same thing as a Variable, but a distinct type so that
/// layers can tell their parameters apart from other attributes.
///
/// It dereferences to [`Variable`], so every Variable method and function
/// applies. Like a Variable it is `Send` and `Sync`, with the same rule:
/// a borrow that conflicts with another thread's panics (see
/// [`Variable`]'s `# Panics`).
///
/// ```
/// use dezero_runtime::{Parameter, Variable};
/// let w = Parameter::new(ndarray::arr1(&[1.0_f32, 2.0]).into_dyn());
/// let x = Variable::new(ndarray::arr1(&[3.0_f32, 4.0]).into_dyn());
/// let y = &*w * &x;
/// assert_eq!(y.data()[[1]], 8.0);
/// ```
pub struct Parameter<T: Scalar = f32>(Variable<T>);

impl<T: Scalar> Clone for Parameter<T> {
    fn clone(&self) -> Self {
        Parameter(self.0.clone())
    }
}

impl<T: Scalar> Parameter<T> {
    /// Wraps an array as a parameter.
    pub fn new(data: ArrayD<T>) -> Self {
        Parameter(Variable::new(data))
    }

    /// Wraps an array as a named parameter.
    pub fn with_name(data: ArrayD<T>, name: impl Into<String>) -> Self {
        Parameter(Variable::with_name(data, name))
    }

    /// The parameter as a plain Variable handle (same variable).
    pub fn as_variable(&self) -> &Variable<T> {
        &self.0
    }
}

impl<T: Scalar> Deref for Parameter<T> {
    type Target = Variable<T>;
    fn deref(&self) -> &Variable<T> {
        &self.0
    }
}

impl<T: Scalar> fmt::Display for Parameter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<T: Scalar> fmt::Debug for Parameter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
