//! Optimizers that update a layer's parameters from their gradients
//! (DeZero's `optimizers.py`): [`SGD`], [`MomentumSGD`], [`AdaGrad`],
//! [`AdaDelta`], [`Adam`], and the hooks [`WeightDecay`] and [`ClipGrad`].
//!
//! Every optimizer implements [`Optimizer`], which holds DeZero's shared
//! logic (`setup`, `update`, `add_hook`), so that each one writes only
//! `update_one`. The target is anything implementing [`Layer`], the
//! define-by-run layers and models as well as `model!`-compiled ones.
//!
//! Once warm, [`Optimizer::update`] allocates nothing: the parameter handles
//! are collected by `setup`, per-parameter state (momentum, moment
//! estimates) is created the first time a parameter is seen and updated in
//! place afterwards, and every update writes into the parameter's own array.
//!
//! ```
//! // Step 46: `optimizer = optimizers.SGD(lr).setup(model)`, then in the loop
//! // `model.cleargrads(); loss.backward(); optimizer.update()`.
//! use dezero_runtime::{layers::Linear, optimizers::{Optimizer, SGD}, Layer, Variable};
//! use ndarray::array;
//! let model = Linear::<f64>::with_in(1, 1);
//! let mut optimizer = SGD::new(0.1);
//! optimizer.setup(&model);
//! let x = Variable::new(array![[1.0], [2.0]].into_dyn());
//! let before = model.w.to_array();
//! model.cleargrads();
//! let y = model.forward(&x);
//! let loss = (&y * &y).sum();
//! loss.backward();
//! optimizer.update();
//! let g = model.w.grad().unwrap().to_array();
//! assert_eq!(model.w.to_array(), &before - &(g * 0.1));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use ndarray::{ArrayD, Zip};

use crate::layers::Layer;
use crate::scalar::Scalar;
use crate::variable::Parameter;

// ---------------------------------------------------------------------------
// The shared machinery
// ---------------------------------------------------------------------------

/// Something called on the parameters that have a gradient before each
/// update (DeZero's hook functions, `optimizer.add_hook(f)`).
///
/// Closures `FnMut(&[Parameter<T>])` are hooks too. A hook should modify the
/// gradients in place (`p.grad()`'s `data_mut()`) and allocate nothing, so
/// that a warm update stays allocation-free.
///
/// A hook is `Send`, so that its optimizer can be moved to another thread
/// (count calls with an `Arc<AtomicUsize>` rather than an `Rc<Cell<_>>`).
/// It need not be `Sync`: the optimizer reaches its hooks only through
/// `&mut self`.
pub trait Hook<T: Scalar = f32>: Send {
    /// Runs the hook on `params`: the target's parameters whose gradient is
    /// present, in the target's order.
    fn call(&mut self, params: &[Parameter<T>]);
}

impl<T: Scalar, F: FnMut(&[Parameter<T>]) + Send> Hook<T> for F {
    fn call(&mut self, params: &[Parameter<T>]) {
        self(params)
    }
}

/// The state every optimizer shares (the attributes of DeZero's `Optimizer`
/// base class): the target's parameters, the hooks, and a reusable list of
/// the parameters that have a gradient.
///
/// An optimizer embeds one and exposes it through [`Optimizer::core`] and
/// [`Optimizer::core_mut`].
pub struct OptimizerCore<T: Scalar = f32> {
    /// The target's parameter handles, collected by [`Optimizer::setup`].
    params: Vec<Parameter<T>>,
    /// The hooks, in the order they were added. The mutex is never locked
    /// on the update path (`get_mut` needs no lock): it is there so that
    /// the core is `Sync` while hooks need only be `Send`.
    hooks: Mutex<Vec<Box<dyn Hook<T>>>>,
    /// Scratch list of the parameters with a gradient; cleared after every
    /// update but keeps its capacity, so updates do not allocate.
    active: Vec<Parameter<T>>,
}

impl<T: Scalar> OptimizerCore<T> {
    /// An empty core: no target, no hooks.
    pub fn new() -> Self {
        OptimizerCore {
            params: Vec::new(),
            hooks: Mutex::new(Vec::new()),
            active: Vec::new(),
        }
    }

    /// The parameters collected by the last [`Optimizer::setup`].
    pub fn params(&self) -> &[Parameter<T>] {
        &self.params
    }

    /// How many hooks have been added.
    pub fn num_hooks(&self) -> usize {
        self.hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Adds a boxed hook (what [`Optimizer::add_hook`] does; usable through
    /// `dyn Optimizer`).
    pub fn add_hook(&mut self, hook: Box<dyn Hook<T>>) {
        self.hooks_mut().push(hook);
    }

    /// The hooks, reached without locking (`&mut self` is exclusive). A
    /// poisoned mutex is taken as it is: it is never locked while a hook
    /// runs, so a panic cannot leave the list half changed.
    fn hooks_mut(&mut self) -> &mut Vec<Box<dyn Hook<T>>> {
        self.hooks.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Scalar> Default for OptimizerCore<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> fmt::Debug for OptimizerCore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptimizerCore")
            .field("params", &self.params.len())
            .field("hooks", &self.num_hooks())
            .finish()
    }
}

/// Per-parameter state (a momentum vector, moment estimates) keyed by the
/// parameter's identity, as DeZero keys its dicts by `id(param)`.
///
/// The entry keeps a handle to its parameter, so the identity cannot be
/// reused by another parameter while the state lives. Looking up a known
/// parameter allocates nothing.
///
/// ```
/// use dezero_runtime::{optimizers::ParamState, Parameter};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// let mut counts: ParamState<f64, u32> = ParamState::new();
/// *counts.get_or_insert_with(&p, || 0) += 1;
/// *counts.get_or_insert_with(&p, || 0) += 1;
/// assert_eq!(counts.get(&p), Some(&2));
/// ```
pub struct ParamState<T: Scalar, S> {
    map: HashMap<usize, (Parameter<T>, S)>,
}

impl<T: Scalar, S> ParamState<T, S> {
    /// No state yet.
    pub fn new() -> Self {
        ParamState {
            map: HashMap::new(),
        }
    }

    /// The identity key of a parameter: the address of its shared cell.
    fn key(p: &Parameter<T>) -> usize {
        p.ptr() as usize
    }

    /// The state of `p`, created by `init` the first time `p` is seen.
    pub fn get_or_insert_with(&mut self, p: &Parameter<T>, init: impl FnOnce() -> S) -> &mut S {
        &mut self
            .map
            .entry(Self::key(p))
            .or_insert_with(|| (p.clone(), init()))
            .1
    }

    /// The state of `p`, if it has been seen.
    pub fn get(&self, p: &Parameter<T>) -> Option<&S> {
        self.map.get(&Self::key(p)).map(|(_, s)| s)
    }

    /// How many parameters have state.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no parameter has state yet.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Forgets every parameter's state.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

impl<T: Scalar, S> Default for ParamState<T, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar, S> fmt::Debug for ParamState<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamState")
            .field("len", &self.map.len())
            .finish()
    }
}

/// An array of zeros shaped like `p`'s data (NumPy's `zeros_like`).
fn zeros_like<T: Scalar>(p: &Parameter<T>) -> ArrayD<T> {
    ArrayD::zeros(p.data().raw_dim())
}

/// Updates parameters from their gradients (DeZero's `Optimizer`).
///
/// An implementor embeds an [`OptimizerCore`] and writes
/// [`update_one`](Optimizer::update_one); [`setup`](Optimizer::setup),
/// [`update`](Optimizer::update) and [`add_hook`](Optimizer::add_hook) come
/// from this trait.
///
/// Unlike DeZero, which asks the target for `params()` at every update,
/// `setup` collects the parameter handles once. Parameters are shared
/// handles, so this sees every later change to their data (including the
/// lazy initialisation of a [`Linear`](crate::layers::Linear)'s `W`); call
/// `setup` again if the target gains or replaces parameters.
///
/// ```
/// use dezero_runtime::{optimizers::{Optimizer, OptimizerCore}, Parameter};
/// // A hand-written optimizer: plain gradient descent with a fixed step.
/// struct Descent(OptimizerCore<f64>);
/// impl Optimizer<f64> for Descent {
///     fn core(&self) -> &OptimizerCore<f64> { &self.0 }
///     fn core_mut(&mut self) -> &mut OptimizerCore<f64> { &mut self.0 }
///     fn update_one(&mut self, p: &Parameter<f64>) {
///         let Some(g) = p.grad() else { return };
///         p.data_mut().zip_mut_with(&*g.data(), |w, &g| *w -= 0.5 * g);
///     }
/// }
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// p.set_grad(Some(dezero_runtime::Variable::new(ndarray::arr1(&[2.0]).into_dyn())));
/// let mut opt = Descent(OptimizerCore::new());
/// opt.setup_params(&[p.clone()]);
/// opt.update();
/// assert_eq!(p.data()[[0]], 0.0);
/// ```
pub trait Optimizer<T: Scalar = f32> {
    /// The shared state.
    fn core(&self) -> &OptimizerCore<T>;

    /// The shared state, mutably.
    fn core_mut(&mut self) -> &mut OptimizerCore<T>;

    /// Updates one parameter in place from its gradient (DeZero's
    /// `update_one`). Called by [`update`](Optimizer::update) only for
    /// parameters whose gradient is present.
    fn update_one(&mut self, param: &Parameter<T>);

    /// Called at the start of every [`update`](Optimizer::update), before the
    /// hooks; does nothing by default ([`Adam`] counts its steps here, where
    /// DeZero's `Adam.update` does).
    fn begin_update(&mut self) {}

    /// Makes `target`'s parameters the ones to update (DeZero's
    /// `setup(target)`), replacing any earlier target.
    fn setup(&mut self, target: &dyn Layer<T>) {
        let core = self.core_mut();
        core.params.clear();
        target.for_each_param(&mut |p| core.params.push(p.clone()));
    }

    /// Makes `params` the ones to update, replacing any earlier target: for
    /// optimizing a subset of a model, or parameters outside any layer.
    fn setup_params(&mut self, params: &[Parameter<T>]) {
        let core = self.core_mut();
        core.params.clear();
        core.params.extend_from_slice(params);
    }

    /// Adds a hook, run on the parameters with a gradient before every
    /// update, after the hooks added before it (DeZero's `add_hook`).
    fn add_hook<H: Hook<T> + 'static>(&mut self, hook: H)
    where
        Self: Sized,
    {
        self.core_mut().add_hook(Box::new(hook));
    }

    /// One optimisation step (DeZero's `update`): skips the parameters whose
    /// gradient is `None`, runs the hooks on the rest, then calls
    /// [`update_one`](Optimizer::update_one) on each.
    ///
    /// Allocates nothing once every parameter has been seen.
    fn update(&mut self) {
        self.begin_update();
        if self.core_mut().hooks_mut().is_empty() {
            // No hook to hand the list to: each parameter is updated where
            // it stands, without a handle cloned (an atomic operation) into
            // a list of its own. The list is moved out while `self` is
            // borrowed mutably by `update_one`.
            let params = std::mem::take(&mut self.core_mut().params);
            for p in &params {
                if p.has_grad() {
                    self.update_one(p);
                }
            }
            self.core_mut().params = params;
            return;
        }
        // The lists are moved out while `self` is borrowed mutably by the
        // hooks and `update_one`; moving a Vec allocates nothing.
        let mut active = std::mem::take(&mut self.core_mut().active);
        active.clear();
        active.extend(self.core().params.iter().filter(|p| p.has_grad()).cloned());
        let mut hooks = std::mem::take(self.core_mut().hooks_mut());
        for hook in &mut hooks {
            hook.call(&active);
        }
        // A hook cannot reach the optimizer, so no hook was added meanwhile.
        *self.core_mut().hooks_mut() = hooks;
        for p in &active {
            self.update_one(p);
        }
        // Drop the extra handles but keep the capacity for the next update.
        active.clear();
        self.core_mut().active = active;
    }
}

/// Implements [`fmt::Debug`] for an optimizer, listing its hyperparameters
/// and how many parameters it updates.
macro_rules! debug_impl {
    ($name:ident { $($field:ident),* }) => {
        impl<T: Scalar> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    .field("params", &self.core.params.len())
                    .finish_non_exhaustive()
            }
        }
    };
}

// ---------------------------------------------------------------------------
// Optimizers
// ---------------------------------------------------------------------------

/// Stochastic gradient descent: `W -= lr * gW` (DeZero's `SGD`).
///
/// ```
/// use dezero_runtime::{optimizers::{Optimizer, SGD}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[2.0]).into_dyn())));
/// let mut opt = SGD::new(0.1);
/// opt.setup_params(&[p.clone()]);
/// opt.update();
/// assert_eq!(p.data()[[0]], 1.0 - 0.1 * 2.0);
/// assert_eq!(SGD::<f32>::default().lr, 0.01);
/// ```
pub struct SGD<T: Scalar = f32> {
    /// The learning rate (default 0.01).
    pub lr: f64,
    core: OptimizerCore<T>,
}

impl<T: Scalar> SGD<T> {
    /// SGD with learning rate `lr` (DeZero's `SGD(lr)`).
    pub fn new(lr: f64) -> Self {
        SGD {
            lr,
            core: OptimizerCore::new(),
        }
    }
}

impl<T: Scalar> Default for SGD<T> {
    /// DeZero's defaults: `lr=0.01`.
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<T: Scalar> Optimizer<T> for SGD<T> {
    fn core(&self) -> &OptimizerCore<T> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore<T> {
        &mut self.core
    }
    /// `param.data -= lr * param.grad.data`.
    ///
    /// # Panics
    /// If the gradient's shape differs from the parameter's.
    fn update_one(&mut self, param: &Parameter<T>) {
        let lr = T::from_f64_lossy(self.lr);
        // Parameter and gradient under one borrow, the gradient's handle not
        // cloned: each is an atomic operation, per parameter per step.
        param.with_data_mut_and_grad(|w, g| {
            if w.shape() == g.shape() {
                if let (Some(ws), Some(gs)) = (w.as_slice_mut(), g.as_slice()) {
                    // Contiguous (always, for a compiled model's parameters):
                    // one vectorised pass, the same rounding as the loop below.
                    return crate::kernels::sgd_step(lr, gs, ws);
                }
            }
            Zip::from(w).and(g).for_each(|w, &g| *w -= lr * g);
        });
    }
}

debug_impl!(SGD { lr });

/// SGD with momentum: `v = momentum * v - lr * gW; W += v` (DeZero's
/// `MomentumSGD`).
///
/// ```
/// use dezero_runtime::{optimizers::{MomentumSGD, Optimizer}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// let mut opt = MomentumSGD::new(0.1, 0.9);
/// opt.setup_params(&[p.clone()]);
/// for _ in 0..2 {
///     p.set_grad(Some(Variable::new(ndarray::arr1(&[1.0]).into_dyn())));
///     opt.update();
/// }
/// // v1 = -0.1, v2 = 0.9 * -0.1 - 0.1 = -0.19
/// assert!((p.data()[[0]] - (1.0 - 0.1 - 0.19)).abs() < 1e-15);
/// ```
pub struct MomentumSGD<T: Scalar = f32> {
    /// The learning rate (default 0.01).
    pub lr: f64,
    /// The momentum (default 0.9).
    pub momentum: f64,
    vs: ParamState<T, ArrayD<T>>,
    core: OptimizerCore<T>,
}

impl<T: Scalar> MomentumSGD<T> {
    /// Momentum SGD (DeZero's `MomentumSGD(lr, momentum)`).
    pub fn new(lr: f64, momentum: f64) -> Self {
        MomentumSGD {
            lr,
            momentum,
            vs: ParamState::new(),
            core: OptimizerCore::new(),
        }
    }
}

impl<T: Scalar> Default for MomentumSGD<T> {
    /// DeZero's defaults: `lr=0.01, momentum=0.9`.
    fn default() -> Self {
        Self::new(0.01, 0.9)
    }
}

impl<T: Scalar> Optimizer<T> for MomentumSGD<T> {
    fn core(&self) -> &OptimizerCore<T> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore<T> {
        &mut self.core
    }
    /// `v *= momentum; v -= lr * grad; param.data += v`, with `v` starting at
    /// zeros the first time `param` is seen.
    ///
    /// # Panics
    /// If the gradient's shape differs from the parameter's.
    fn update_one(&mut self, param: &Parameter<T>) {
        let Some(grad) = param.grad() else { return };
        let (lr, momentum) = (T::from_f64_lossy(self.lr), T::from_f64_lossy(self.momentum));
        let v = self.vs.get_or_insert_with(param, || zeros_like(param));
        let g = grad.data();
        Zip::from(&mut *param.data_mut())
            .and(v)
            .and(&*g)
            .for_each(|w, v, &g| {
                *v *= momentum;
                *v -= lr * g;
                *w += *v;
            });
    }
}

debug_impl!(MomentumSGD { lr, momentum });

/// AdaGrad: `h += g²; W -= lr * g / (sqrt(h) + eps)` (DeZero's `AdaGrad`).
///
/// ```
/// use dezero_runtime::{optimizers::{AdaGrad, Optimizer}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[1.5]).into_dyn())));
/// let mut opt = AdaGrad::new(0.1);
/// opt.setup_params(&[p.clone()]);
/// opt.update();
/// assert_eq!(p.data()[[0]], 1.0 - 0.1 * 1.5 / (1.5 + 1e-8));
/// ```
pub struct AdaGrad<T: Scalar = f32> {
    /// The learning rate (default 0.001).
    pub lr: f64,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    hs: ParamState<T, ArrayD<T>>,
    core: OptimizerCore<T>,
}

impl<T: Scalar> AdaGrad<T> {
    /// AdaGrad with learning rate `lr` and `eps = 1e-8` (DeZero's
    /// `AdaGrad(lr)`).
    pub fn new(lr: f64) -> Self {
        AdaGrad {
            lr,
            eps: 1e-8,
            hs: ParamState::new(),
            core: OptimizerCore::new(),
        }
    }
}

impl<T: Scalar> Default for AdaGrad<T> {
    /// DeZero's defaults: `lr=0.001, eps=1e-8`.
    fn default() -> Self {
        Self::new(0.001)
    }
}

impl<T: Scalar> Optimizer<T> for AdaGrad<T> {
    fn core(&self) -> &OptimizerCore<T> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore<T> {
        &mut self.core
    }
    /// `h += grad * grad; param.data -= lr * grad / (sqrt(h) + eps)`.
    ///
    /// # Panics
    /// If the gradient's shape differs from the parameter's.
    fn update_one(&mut self, param: &Parameter<T>) {
        let Some(grad) = param.grad() else { return };
        let (lr, eps) = (T::from_f64_lossy(self.lr), T::from_f64_lossy(self.eps));
        let h = self.hs.get_or_insert_with(param, || zeros_like(param));
        let g = grad.data();
        Zip::from(&mut *param.data_mut())
            .and(h)
            .and(&*g)
            .for_each(|w, h, &g| {
                *h += g * g;
                *w -= lr * g / (h.sqrt() + eps);
            });
    }
}

debug_impl!(AdaGrad { lr, eps });

/// AdaDelta (DeZero's `AdaDelta`): no learning rate; the step is
/// `sqrt((msdx + eps) / (msg + eps)) * g` with running means of the squared
/// gradients and squared steps.
///
/// ```
/// use dezero_runtime::{optimizers::{AdaDelta, Optimizer}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[1.5]).into_dyn())));
/// let mut opt = AdaDelta::default();
/// opt.setup_params(&[p.clone()]);
/// opt.update();
/// let msg = 0.05 * 1.5 * 1.5;
/// assert_eq!(p.data()[[0]], 1.0 - ((0.0 + 1e-6) / (msg + 1e-6_f64)).sqrt() * 1.5);
/// ```
pub struct AdaDelta<T: Scalar = f32> {
    /// The decay rate of the running means (default 0.95).
    pub rho: f64,
    /// Added inside the square root (default 1e-6).
    pub eps: f64,
    msg: ParamState<T, (ArrayD<T>, ArrayD<T>)>,
    core: OptimizerCore<T>,
}

impl<T: Scalar> AdaDelta<T> {
    /// AdaDelta with decay `rho` and `eps` (DeZero's `AdaDelta(rho, eps)`).
    pub fn new(rho: f64, eps: f64) -> Self {
        AdaDelta {
            rho,
            eps,
            msg: ParamState::new(),
            core: OptimizerCore::new(),
        }
    }
}

impl<T: Scalar> Default for AdaDelta<T> {
    /// DeZero's defaults: `rho=0.95, eps=1e-6`.
    fn default() -> Self {
        Self::new(0.95, 1e-6)
    }
}

impl<T: Scalar> Optimizer<T> for AdaDelta<T> {
    fn core(&self) -> &OptimizerCore<T> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore<T> {
        &mut self.core
    }
    /// `msg = rho * msg + (1 - rho) * g * g;
    /// dx = sqrt((msdx + eps) / (msg + eps)) * g;
    /// msdx = rho * msdx + (1 - rho) * dx * dx; param.data -= dx`.
    ///
    /// # Panics
    /// If the gradient's shape differs from the parameter's.
    fn update_one(&mut self, param: &Parameter<T>) {
        let Some(grad) = param.grad() else { return };
        let rho = T::from_f64_lossy(self.rho);
        // `1 - rho` is a Python float in DeZero, computed in f64.
        let one_minus_rho = T::from_f64_lossy(1.0 - self.rho);
        let eps = T::from_f64_lossy(self.eps);
        let (msg, msdx) = self
            .msg
            .get_or_insert_with(param, || (zeros_like(param), zeros_like(param)));
        let g = grad.data();
        Zip::from(&mut *param.data_mut())
            .and(msg)
            .and(msdx)
            .and(&*g)
            .for_each(|w, msg, msdx, &g| {
                *msg *= rho;
                *msg += one_minus_rho * g * g;
                let dx = ((*msdx + eps) / (*msg + eps)).sqrt() * g;
                *msdx *= rho;
                *msdx += one_minus_rho * dx * dx;
                *w -= dx;
            });
    }
}

debug_impl!(AdaDelta { rho, eps });

/// Adam (DeZero's `Adam`): moment estimates `m`, `v` and the bias-corrected
/// step size [`lr`](Adam::lr), which depends on the step count `t`.
///
/// ```
/// use dezero_runtime::{optimizers::{Adam, Optimizer}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[1.0_f64]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[1.5]).into_dyn())));
/// let mut opt = Adam::new(0.1);
/// opt.setup_params(&[p.clone()]);
/// opt.update();
/// assert_eq!(opt.t, 1);
/// // After one step m = 0.1·g and v = 0.001·g², so the step is about alpha.
/// assert!((p.data()[[0]] - 0.9).abs() < 1e-7);
/// ```
pub struct Adam<T: Scalar = f32> {
    /// The step count, incremented at the start of every update.
    pub t: u32,
    /// The base step size (default 0.001).
    pub alpha: f64,
    /// The decay of the first moment (default 0.9).
    pub beta1: f64,
    /// The decay of the second moment (default 0.999).
    pub beta2: f64,
    /// Added to the denominator (default 1e-8).
    pub eps: f64,
    mv: ParamState<T, (ArrayD<T>, ArrayD<T>)>,
    core: OptimizerCore<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with step size `alpha` and DeZero's other defaults (DeZero's
    /// `Adam(alpha)`).
    pub fn new(alpha: f64) -> Self {
        Adam {
            t: 0,
            alpha,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            mv: ParamState::new(),
            core: OptimizerCore::new(),
        }
    }

    /// The bias-corrected step size of step `t` (DeZero's `lr` property):
    /// `alpha * sqrt(1 - beta2^t) / (1 - beta1^t)`.
    ///
    /// It is infinite while `t` is 0, that is before the first
    /// [`update`](Optimizer::update).
    ///
    /// ```
    /// use dezero_runtime::optimizers::Adam;
    /// let mut opt = Adam::<f32>::new(0.1);
    /// opt.t = 1;
    /// assert!((opt.lr() - 0.1 * (0.001_f64).sqrt() / 0.1).abs() < 1e-15);
    /// ```
    pub fn lr(&self) -> f64 {
        let t = f64::from(self.t);
        let fix1 = 1.0 - self.beta1.powf(t);
        let fix2 = 1.0 - self.beta2.powf(t);
        self.alpha * fix2.sqrt() / fix1
    }
}

impl<T: Scalar> Default for Adam<T> {
    /// DeZero's defaults: `alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8`.
    fn default() -> Self {
        Self::new(0.001)
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn core(&self) -> &OptimizerCore<T> {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore<T> {
        &mut self.core
    }
    /// Counts the step: `t += 1`.
    fn begin_update(&mut self) {
        self.t += 1;
    }
    /// `m += (1 - beta1) * (g - m); v += (1 - beta2) * (g * g - v);
    /// param.data -= lr * m / (sqrt(v) + eps)`.
    ///
    /// # Panics
    /// If the gradient's shape differs from the parameter's.
    fn update_one(&mut self, param: &Parameter<T>) {
        let Some(grad) = param.grad() else { return };
        let lr = T::from_f64_lossy(self.lr());
        // `1 - beta` is a Python float in DeZero, computed in f64.
        let one_minus_beta1 = T::from_f64_lossy(1.0 - self.beta1);
        let one_minus_beta2 = T::from_f64_lossy(1.0 - self.beta2);
        let eps = T::from_f64_lossy(self.eps);
        let (m, v) = self
            .mv
            .get_or_insert_with(param, || (zeros_like(param), zeros_like(param)));
        let g = grad.data();
        Zip::from(&mut *param.data_mut())
            .and(m)
            .and(v)
            .and(&*g)
            .for_each(|w, m, v, &g| {
                *m += one_minus_beta1 * (g - *m);
                *v += one_minus_beta2 * (g * g - *v);
                *w -= lr * *m / (v.sqrt() + eps);
            });
    }
}

debug_impl!(Adam {
    t,
    alpha,
    beta1,
    beta2,
    eps
});

// ---------------------------------------------------------------------------
// Hooks
// ---------------------------------------------------------------------------

/// L2 regularisation as a hook: `grad += rate * param.data` (DeZero's
/// `WeightDecay`).
///
/// ```
/// use dezero_runtime::{optimizers::{Optimizer, WeightDecay, SGD}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[2.0_f64]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[1.0]).into_dyn())));
/// let mut opt = SGD::new(0.1);
/// opt.setup_params(&[p.clone()]);
/// opt.add_hook(WeightDecay::new(0.5));
/// opt.update();
/// assert_eq!(p.grad().unwrap().data()[[0]], 2.0);
/// assert_eq!(p.data()[[0]], 2.0 - 0.1 * 2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDecay {
    /// The decay rate.
    pub rate: f64,
}

impl WeightDecay {
    /// Weight decay with `rate` (DeZero's `WeightDecay(rate)`).
    pub fn new(rate: f64) -> Self {
        WeightDecay { rate }
    }
}

impl<T: Scalar> Hook<T> for WeightDecay {
    /// # Panics
    /// If a gradient's shape differs from its parameter's.
    fn call(&mut self, params: &[Parameter<T>]) {
        let rate = T::from_f64_lossy(self.rate);
        for p in params {
            let Some(grad) = p.grad() else { continue };
            let w = p.data();
            Zip::from(&mut *grad.data_mut())
                .and(&*w)
                .for_each(|g, &w| *g += rate * w);
        }
    }
}

/// Rescales all gradients together so that their global L2 norm is at most
/// `max_norm` (DeZero's `ClipGrad`): with `rate = max_norm / (norm + 1e-6)`,
/// every gradient is multiplied by `rate` when `rate < 1`.
///
/// ```
/// use dezero_runtime::{optimizers::{ClipGrad, Hook}, Parameter, Variable};
/// let p = Parameter::new(ndarray::arr1(&[0.0_f64, 0.0]).into_dyn());
/// p.set_grad(Some(Variable::new(ndarray::arr1(&[3.0, 4.0]).into_dyn())));
/// ClipGrad::new(1.0).call(std::slice::from_ref(&p));
/// let g = p.grad().unwrap().to_array();
/// assert!((g[0] - 3.0 / (5.0 + 1e-6)).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipGrad {
    /// The largest global gradient norm let through.
    pub max_norm: f64,
}

impl ClipGrad {
    /// Gradient clipping at `max_norm` (DeZero's `ClipGrad(max_norm)`).
    pub fn new(max_norm: f64) -> Self {
        ClipGrad { max_norm }
    }
}

impl<T: Scalar> Hook<T> for ClipGrad {
    fn call(&mut self, params: &[Parameter<T>]) {
        // DeZero sums each array's squares in its own dtype, adds the sums up
        // in that dtype, and takes the square root as a Python float.
        let mut total = T::zero();
        for p in params {
            if let Some(grad) = p.grad() {
                total += grad.data().iter().map(|&g| g * g).sum::<T>();
            }
        }
        let total_norm = total.to_f64_lossless().sqrt();
        let rate = self.max_norm / (total_norm + 1e-6);
        if rate < 1.0 {
            let rate = T::from_f64_lossy(rate);
            for p in params {
                if let Some(grad) = p.grad() {
                    grad.data_mut().mapv_inplace(|g| g * rate);
                }
            }
        }
    }
}
