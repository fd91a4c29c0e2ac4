//! Layers and models: `Linear`'s lazy initialisation and its numbers,
//! parameter names in DeZero's key style, `cleargrads`, `MLP`, `Sequential`,
//! `nobias`, and the width-mismatch error.

use dezero::layers::Linear;
use dezero::models::{Sequential, MLP};
use dezero::random::{self, RandomState};
use dezero::{Error, Layer, ParamVisitor, Variable};
use ndarray::{ArrayD, IxDyn};

fn zeros<T: dezero::Scalar>(shape: &[usize]) -> Variable<T> {
    Variable::new(ArrayD::zeros(IxDyn(shape)))
}

fn names<T: dezero::Scalar>(layer: &dyn Layer<T>) -> Vec<String> {
    layer.named_params().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn lazy_linear_has_no_weight_until_first_call() {
    let l = Linear::<f64>::new(3);
    assert!(!l.w.has_data());
    assert_eq!((l.in_size(), l.out_size()), (None, 3));
    assert_eq!(
        l.b.as_ref().expect("bias").to_array(),
        ArrayD::zeros(IxDyn(&[3]))
    );
    let y = l.forward(&zeros(&[5, 4]));
    assert_eq!(y.shape(), [5, 3]);
    assert_eq!(l.in_size(), Some(4));
    assert_eq!(l.w.shape(), [4, 3]);
}

#[test]
fn lazy_init_draws_randn_times_sqrt_one_over_in_from_the_global_stream() {
    random::seed(0);
    let l = Linear::<f64>::new(3);
    l.forward(&zeros(&[2, 4]));
    let expected = RandomState::new(0).randn(&[4, 3]) * (1.0_f64 / 4.0).sqrt();
    assert_eq!(*l.w.data(), expected);
}

#[test]
fn lazy_init_continues_the_books_stream() {
    // np.random.seed(0); x = np.random.rand(100, 1); l1 = L.Linear(10); l1(x)
    random::seed(0);
    let x = Variable::new(random::rand(&[100, 1]));
    let l1 = Linear::<f64>::new(10);
    l1.forward(&x);
    let mut rs = RandomState::new(0);
    rs.rand(&[100, 1]);
    assert_eq!(*l1.w.data(), rs.randn(&[1, 10]));
}

#[test]
fn f32_init_rounds_then_scales_in_f32() {
    random::seed(0);
    let l = Linear::<f32>::new(2);
    l.forward(&zeros(&[1, 3]));
    let scale = (1.0_f64 / 3.0).sqrt() as f32;
    let expected = RandomState::new(0).randn_t::<f32>(&[3, 2]) * scale;
    assert_eq!(*l.w.data(), expected);
}

#[test]
fn with_in_initialises_now_from_the_global_stream() {
    random::seed(7);
    let l = Linear::<f64>::with_in(5, 2);
    assert_eq!(l.in_size(), Some(5));
    let expected = RandomState::new(7).randn(&[5, 2]) * (1.0_f64 / 5.0).sqrt();
    assert_eq!(*l.w.data(), expected);
}

#[test]
fn with_in_rng_uses_the_given_stream_only() {
    random::seed(0);
    let before = random::with_global(|rs| rs.clone());
    let mut rng = RandomState::new(3);
    let l = Linear::<f64>::with_in_rng(2, 2, &mut rng);
    assert_eq!(random::with_global(|rs| rs.clone()), before);
    assert_eq!(
        *l.w.data(),
        RandomState::new(3).randn(&[2, 2]) * 0.5_f64.sqrt()
    );
}

#[test]
fn forward_is_x_w_plus_b() {
    let l = Linear::<f64>::with_in(2, 1);
    l.w.set_data(ndarray::array![[2.0], [3.0]].into_dyn());
    l.b.as_ref()
        .expect("bias")
        .set_data(ndarray::array![1.0].into_dyn());
    let x = Variable::new(ndarray::array![[1.0, 1.0], [0.0, 2.0]].into_dyn());
    assert_eq!(
        l.forward(&x).to_array(),
        ndarray::array![[6.0], [7.0]].into_dyn()
    );
}

#[test]
fn nobias_has_only_w() {
    let l = Linear::<f64>::new(2).nobias();
    assert!(l.b.is_none());
    assert_eq!(names(&l), ["W"]);
    let y = l.forward(&zeros(&[3, 4]));
    assert_eq!(y.to_array(), ArrayD::zeros(IxDyn(&[3, 2])));
}

#[test]
#[should_panic(
    expected = "Linear(in_size=2, out_size=3): expected input of shape [N, 2], got [4, 5]"
)]
fn width_mismatch_panics_naming_layer_expected_and_got() {
    let l = Linear::<f64>::with_in(2, 3);
    l.forward(&zeros(&[4, 5]));
}

#[test]
fn try_forward_reports_width_mismatch_and_leaves_layer_alone() {
    let l = Linear::<f64>::new(3);
    l.forward(&zeros(&[1, 2]));
    let w = l.w.to_array();
    match l.try_forward(&zeros(&[4, 5])) {
        Err(Error::Shape { op, expected, got }) => {
            assert_eq!(op, "Linear(in_size=2, out_size=3)");
            assert_eq!(expected, "input of shape [N, 2]");
            assert_eq!(got, "[4, 5]");
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    assert_eq!(l.w.to_array(), w);
}

#[test]
fn try_forward_rejects_non_matrix_input_before_init() {
    let l = Linear::<f64>::new(3);
    let err = l.try_forward(&zeros(&[4])).expect_err("1-d input");
    assert_eq!(
        err.to_string(),
        "Linear(out_size=3): expected a 2-dimensional input, got [4]"
    );
    assert!(!l.w.has_data());
}

#[test]
fn mlp_names_layers_l0_l1_and_forwards() {
    let model = MLP::<f64>::new(&[10, 3, 1]);
    assert_eq!(model.layers().len(), 3);
    assert_eq!(
        names(&model),
        ["l0/W", "l0/b", "l1/W", "l1/b", "l2/W", "l2/b"]
    );
    let y = model.forward(&zeros(&[7, 2]));
    assert_eq!(y.shape(), [7, 1]);
    let shapes: Vec<Vec<usize>> = model.params().iter().map(|p| p.shape()).collect();
    assert_eq!(
        shapes,
        [
            vec![2, 10],
            vec![10],
            vec![10, 3],
            vec![3],
            vec![3, 1],
            vec![1]
        ]
    );
}

#[test]
fn mlp_applies_the_activation_between_layers_only() {
    // With W = I and b = 0, an identity activation and a negating one
    // differ by the hidden layer's sign, and the output is not activated.
    let model = MLP::<f64>::with_activation(&[2, 2], |x: &Variable<f64>| -x);
    let eye = ndarray::array![[1.0, 0.0], [0.0, 1.0]].into_dyn();
    for l in model.layers() {
        l.w.set_data(eye.clone());
    }
    let x = Variable::new(ndarray::array![[1.0, 2.0]].into_dyn());
    assert_eq!(
        model.forward(&x).to_array(),
        ndarray::array![[-1.0, -2.0]].into_dyn()
    );
}

#[test]
#[should_panic(expected = "at least one layer")]
fn mlp_needs_a_layer() {
    let _ = MLP::<f32>::new(&[]);
}

/// A user-written model holding a `Sequential` block and a head layer.
struct Net {
    block: Sequential<f64>,
    head: Linear<f64>,
}

impl Layer<f64> for Net {
    fn visit_params(&self, v: &mut dyn ParamVisitor<f64>) {
        v.enter(format_args!("block"));
        self.block.visit_params(v);
        v.leave();
        v.enter(format_args!("head"));
        self.head.visit_params(v);
        v.leave();
    }
    fn forward(&self, x: &Variable<f64>) -> Variable<f64> {
        self.head.forward(&self.block.forward(x))
    }
}

fn net() -> Net {
    Net {
        block: Sequential::new()
            .with(Linear::new(4))
            .with_fn(dezero::functions::sigmoid)
            .with(Linear::new(3).nobias()),
        head: Linear::new(1),
    }
}

#[test]
fn nested_models_give_slash_separated_names() {
    let model = net();
    assert_eq!(
        names(&model),
        ["block/l0/W", "block/l0/b", "block/l2/W", "head/W", "head/b"]
    );
    assert_eq!(model.forward(&zeros(&[5, 2])).shape(), [5, 1]);
    assert_eq!(model.params().len(), 5);
}

#[test]
fn cleargrads_clears_every_parameter() {
    let model = net();
    let loss = model.forward(&zeros(&[5, 2])).sum();
    loss.backward();
    assert!(model.params().iter().all(|p| p.grad().is_some()));
    model.cleargrads();
    assert!(model.params().iter().all(|p| p.grad().is_none()));
}

#[test]
fn empty_sequential_is_the_identity() {
    let s = Sequential::<f64>::new();
    assert!(s.is_empty());
    let x = zeros(&[2, 2]);
    assert!(s.forward(&x).same(&x));
}
