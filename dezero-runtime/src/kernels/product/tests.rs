//! The product against the triple loop, over every method, layout and
//! store.

use super::*;
use crate::kernels::activation::{act_grad_inplace_imp, act_inplace_imp};

fn seq(len: usize, s: f64) -> Vec<f64> {
    (0..len).map(|i| ((i as f64 + 1.0) * s).sin()).collect()
}

/// What `store` makes of the exact sums, elementwise.
#[allow(clippy::too_many_arguments)]
fn reference(
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, f64>,
    b: Operand<'_, f64>,
    c0: &[f64],
    store: Store<'_, f64>,
) -> Vec<f64> {
    let mut c = c0.to_vec();
    for i in 0..m {
        for j in 0..n {
            let s: f64 = (0..k)
                .map(|p| a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs])
                .sum();
            let o = i * n + j;
            c[o] = match store {
                Store::Write => s,
                Store::Add => c[o] + s,
                Store::Affine { bias, act } => {
                    let mut v = [s + bias.map_or(0.0, |b| b[j])];
                    if let Some(act) = act {
                        act_inplace_imp::<f64, false>(act, &mut v);
                    }
                    v[0]
                }
                Store::ActGrad { act, saved } => {
                    let mut g = [s];
                    act_grad_inplace_imp(act, &saved[o..o + 1], &mut g);
                    g[0]
                }
            };
        }
    }
    c
}

type Imp = fn(usize, usize, usize, Operand<'_, f64>, Operand<'_, f64>, &mut [f64], Store<'_, f64>);

/// Every block shape the dispatcher can choose, run without target
/// features (the logic is the same), and the dispatcher itself.
const IMPS: [(&str, Imp); 4] = [
    ("dispatch", product::<f64>),
    ("avx512 shape", imp::<f64, true, 12, 16, 8>),
    ("avx2 shape", imp::<f64, true, 6, 8, 4>),
    ("baseline shape", imp::<f64, false, 4, 4, 2>),
];

#[test]
fn every_shape_layout_and_store_matches_the_triple_loop() {
    let dims = [1, 2, 3, 5, 7, 10, 13, 17, 33];
    // Under Miri (where the full set takes over an hour) fewer sizes, still
    // below, at and past every block shape's rows (4, 6, 12) and panel
    // widths (2, 4, 8, 16), and inner sizes of one step (the outer
    // product) and of five (`row_acc`'s unrolled steps and a remainder).
    let (outer, inner): (&[usize], &[usize]) = if cfg!(miri) {
        (&[1, 2, 3, 7, 13, 17], &[1, 5])
    } else {
        (&dims, &dims)
    };
    let mut cases = 0;
    for &m in outer {
        for &k in inner {
            for &n in outer {
                if (m * 7 + k * 3 + n) % 3 != 0 && m * k * n > 8 {
                    continue; // a third of the larger shapes keeps it quick
                }
                let a_rows = seq(m * k, 0.7);
                let b_rows = seq(k * n, 1.3);
                let c0 = seq(m * n, 0.3);
                let bias = seq(n, 2.1);
                let saved = seq(m * n, 0.45);
                let a_ops = [
                    Operand::rows(&a_rows[..], k),
                    Operand::transposed(&a_rows[..], m),
                ];
                let b_ops = [
                    Operand::rows(&b_rows[..], n),
                    Operand::transposed(&b_rows[..], k),
                ];
                let stores = [
                    Store::Write,
                    Store::Add,
                    Store::Affine {
                        bias: Some(&bias[..]),
                        act: Some(Activation::Sigmoid),
                    },
                    Store::Affine {
                        bias: None,
                        act: Some(Activation::Relu),
                    },
                    Store::Affine {
                        bias: Some(&bias[..]),
                        act: None,
                    },
                    Store::ActGrad {
                        act: Activation::Tanh,
                        saved: &saved[..],
                    },
                    Store::ActGrad {
                        act: Activation::Relu,
                        saved: &saved[..],
                    },
                ];
                for a in a_ops {
                    for b in b_ops {
                        for store in stores {
                            let want = reference(m, k, n, a, b, &c0, store);
                            for (name, f) in IMPS {
                                let mut c = c0.clone();
                                f(m, k, n, a, b, &mut c, store);
                                for (x, y) in c.iter().zip(&want) {
                                    assert!(
                                        (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                                        "{name} {m}×{k}×{n} {store:?}: {x} vs {y}"
                                    );
                                }
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 1000);
}

/// A `rows×cols` operand: row-major, or the transpose of a row-major
/// `cols×rows` matrix.
fn layout<T>(transposed: bool, data: &[T], rows: usize, cols: usize) -> Operand<'_, T> {
    if transposed {
        Operand::transposed(data, rows)
    } else {
        Operand::rows(data, cols)
    }
}

type Imp32 =
    fn(usize, usize, usize, Operand<'_, f32>, Operand<'_, f32>, &mut [f32], Store<'_, f32>);

/// The `f32` block shapes, twice as wide as `f64`'s, run without target
/// features as above, and the dispatcher.
const IMPS32: [(&str, Imp32); 4] = [
    ("dispatch", product::<f32>),
    ("avx512 shape", imp::<f32, true, 8, 32, 16>),
    ("avx2 shape", imp::<f32, true, 6, 16, 8>),
    ("baseline shape", imp::<f32, false, 4, 8, 4>),
];

/// The stores the `f32` tests run, each as the `f64` reference's and the
/// `f32` product's: overwrite, bias with sigmoid, and tanh's derivative.
fn f32_stores<'a>(
    bias64: &'a [f64],
    bias32: &'a [f32],
    saved64: &'a [f64],
    saved32: &'a [f32],
) -> [(Store<'a, f64>, Store<'a, f32>); 3] {
    [
        (Store::Write, Store::Write),
        (
            Store::Affine {
                bias: Some(bias64),
                act: Some(Activation::Sigmoid),
            },
            Store::Affine {
                bias: Some(bias32),
                act: Some(Activation::Sigmoid),
            },
        ),
        (
            Store::ActGrad {
                act: Activation::Tanh,
                saved: saved64,
            },
            Store::ActGrad {
                act: Activation::Tanh,
                saved: saved32,
            },
        ),
    ]
}

/// Every `f32` block shape, both layouts of each operand and the store
/// kinds against the `f64` triple loop on the same (`f32`) inputs. Rows
/// past one block of each shape (4, 6, 8) with remainders; columns past a
/// panel of each width (8, 16, 32), ending in panels wider and narrower
/// than half a block. (Under Miri only the baseline shape is dispatched
/// to: this is where the pointer reads of the others are checked.)
#[test]
fn every_f32_block_shape_matches_the_triple_loop() {
    let f32s = |len: usize, s: f64| -> (Vec<f32>, Vec<f64>) {
        let x: Vec<f32> = seq(len, s).iter().map(|&v| v as f32).collect();
        let y = x.iter().map(|&v| f64::from(v)).collect();
        (x, y)
    };
    let mut cases = 0;
    for &(m, k, n) in &[(9, 5, 33), (13, 3, 45)] {
        let (a32, a64) = f32s(m * k, 0.7);
        let (b32, b64) = f32s(k * n, 1.3);
        let (bias32, bias64) = f32s(n, 2.1);
        let (saved32, saved64) = f32s(m * n, 0.45);
        let stores = f32_stores(&bias64, &bias32, &saved64, &saved32);
        for a_t in [false, true] {
            for b_t in [false, true] {
                for (s64, s32) in stores {
                    let c0 = vec![0.0; m * n];
                    let (a, b) = (layout(a_t, &a64, m, k), layout(b_t, &b64, k, n));
                    let want = reference(m, k, n, a, b, &c0, s64);
                    for (name, f) in IMPS32 {
                        let mut c = vec![0.0_f32; m * n];
                        let (a, b) = (layout(a_t, &a32, m, k), layout(b_t, &b32, k, n));
                        f(m, k, n, a, b, &mut c, s32);
                        for (x, y) in c.iter().zip(&want) {
                            let tol = 1e-5 * (1.0 + y.abs()) * (k as f64).sqrt();
                            assert!(
                                (f64::from(*x) - y).abs() <= tol,
                                "{name} {m}×{k}×{n} {s64:?}: {x} vs {y}"
                            );
                        }
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 2 * 4 * 3 * 4);
}

/// `f32` through the dispatcher (the AVX-512 shuffle transposition of
/// `Wᵀ`, blocks of 32 columns, fused multiply-adds in the store pass)
/// against the `f64` triple loop.
#[test]
fn f32_products_match_within_rounding() {
    let shapes = [
        (100, 1, 10),
        (9, 33, 17),
        (20, 16, 48),
        (32, 64, 64),
        (37, 70, 45),
    ];
    // Under Miri, the three smaller shapes (a tenth of the work): there the
    // baseline kernels run, whose 8×8 tiles for packing `Wᵀ` and blocks of
    // 8 columns these already span, with remainders.
    let shapes = if cfg!(miri) {
        &shapes[..3]
    } else {
        &shapes[..]
    };
    for &(m, k, n) in shapes {
        let a = seq(m * k, 0.7);
        let b = seq(k * n, 1.3);
        let bias = seq(n, 0.5);
        let saved = seq(m * n, 0.8);
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let (a32, b32, bias32, saved32) = (f(&a), f(&b), f(&bias), f(&saved));
        let cases = f32_stores(&bias, &bias32, &saved, &saved32);
        for (s64, s32) in cases {
            for bt in [false, true] {
                let (o64, o32) = if bt {
                    (
                        Operand::transposed(&b[..], k),
                        Operand::transposed(&b32[..], k),
                    )
                } else {
                    (Operand::rows(&b[..], n), Operand::rows(&b32[..], n))
                };
                let want = reference(
                    m,
                    k,
                    n,
                    Operand::rows(&a[..], k),
                    o64,
                    &vec![0.0; m * n],
                    s64,
                );
                let mut c = vec![0.0_f32; m * n];
                product(m, k, n, Operand::rows(&a32[..], k), o32, &mut c, s32);
                for (x, y) in c.iter().zip(&want) {
                    let tol = 1e-5 * (1.0 + y.abs()) * (k as f64).sqrt();
                    assert!(
                        (f64::from(*x) - y).abs() <= tol,
                        "{m}×{k}×{n} {s64:?}: {x} vs {y}"
                    );
                }
            }
        }
    }
}

#[test]
fn strided_and_broadcast_operands() {
    // A with both strides ≠ 1 (copied), and a row of ones (stride 0).
    let (m, k, n) = (5, 4, 19);
    let a_data = seq(m * 3 * k, 0.9);
    let a = Operand {
        data: &a_data[..],
        rs: 3 * k,
        cs: 2,
    };
    let b_data = seq(k * n, 0.2);
    let b = Operand::rows(&b_data[..], n);
    let want = reference(m, k, n, a, b, &vec![0.0; m * n], Store::Write);
    let mut c = vec![1.0; m * n];
    product(m, k, n, a, b, &mut c, Store::Write);
    for (x, y) in c.iter().zip(&want) {
        assert!((x - y).abs() < 1e-12);
    }
    let one = [1.0];
    let ones = Operand {
        data: &one[..],
        rs: 0,
        cs: 0,
    };
    let mut s = vec![0.0; n];
    product(1, k, n, ones, b, &mut s, Store::Add);
    for (j, v) in s.iter().enumerate() {
        let want: f64 = (0..k).map(|p| b_data[p * n + j]).sum();
        assert!((v - want).abs() < 1e-12);
    }
}

#[test]
fn empty_inner_dimension_gives_the_bias() {
    let mut c = vec![7.0; 6];
    let bias = [1.0, -2.0, 3.0];
    let store = Store::Affine {
        bias: Some(&bias[..]),
        act: Some(Activation::Relu),
    };
    product(
        2,
        0,
        3,
        Operand::rows(&[], 0),
        Operand::rows(&[], 3),
        &mut c,
        store,
    );
    assert_eq!(c, [1.0, 0.0, 3.0, 1.0, 0.0, 3.0]);
}

/// A large strided `B` is packed, and its panels (over 32 KiB) taken in
/// chunks of rows, the sums of earlier chunks added back before the store
/// pass finishes: every store kind, against the triple loop.
#[test]
fn large_strided_b_is_packed_in_chunks_and_correct() {
    // `B`'s rows are `ldb` apart. Under Miri, where the product has the
    // baseline blocks (4×4 for `f64`), the smallest problem that is still
    // packed and chunked (more than 2·4 rows, 4 columns of `k` rows over
    // 32 KiB, rows at least 2 KiB apart): the first 5 columns of a
    // 1030×256 matrix, 46 thousand multiply-adds instead of 7 million.
    let (m, k, n, ldb) = if cfg!(miri) {
        (9, 1030, 5, 256)
    } else {
        (40, 300, 600, 600)
    };
    let a = seq(m * k, 0.01);
    let mut b = vec![0.0; (k - 1) * ldb + n];
    for p in 0..k {
        for j in 0..n {
            b[p * ldb + j] = ((p * n + j + 1) as f64 * 0.013).sin();
        }
    }
    let c0 = seq(m * n, 0.2);
    let bias = seq(n, 0.3);
    let saved = seq(m * n, 0.6);
    let stores = [
        Store::Write,
        Store::Add,
        Store::Affine {
            bias: Some(&bias[..]),
            act: Some(Activation::Sigmoid),
        },
        Store::ActGrad {
            act: Activation::Relu,
            saved: &saved[..],
        },
    ];
    let ao = Operand::rows(&a[..], k);
    let bo = Operand {
        data: &b[..],
        rs: ldb,
        cs: 1,
    };
    for store in stores {
        let want = reference(m, k, n, ao, bo, &c0, store);
        let mut c = c0.clone();
        product(m, k, n, ao, bo, &mut c, store);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-10 * (1.0 + y.abs()), "{store:?}");
        }
    }
}

/// On two threads a large product gives the numbers of one thread, bit for
/// bit: the halves are whole blocks of the one-thread product.
///
/// Through [`product`], at a size it splits ([`PARALLEL_MIN_WORK`](crate::kernels::PARALLEL_MIN_WORK)),
/// except under Miri, where those 17 million multiply-adds would take
/// hours: there a small product is split by calling [`split_rows`]
/// directly (the same halves, helper thread and hand-over of its half).
#[test]
fn two_threads_give_the_one_thread_result() {
    let (m, k, n) = if cfg!(miri) {
        (20, 5, 11)
    } else {
        (100, 400, 420)
    };
    assert!(cfg!(miri) || m * k * n >= crate::kernels::PARALLEL_MIN_WORK);
    let a = seq(m * k, 0.3);
    let b = seq(k * n, 0.11);
    let bias = seq(n, 0.7);
    let store = Store::Affine {
        bias: Some(&bias[..]),
        act: Some(Activation::Tanh),
    };
    let run = |threads: usize| {
        let mut c = vec![0.0; m * n];
        let (at, b) = (Operand::transposed(&a[..], m), Operand::rows(&b[..], n));
        if cfg!(miri) {
            if threads == 2 {
                split_rows(m, k, n, at, b, &mut c, store);
            } else {
                dispatch(m, k, n, at, b, &mut c, store);
            }
        } else {
            crate::kernels::set_threads(threads);
            product(m, k, n, at, b, &mut c, store);
            crate::kernels::set_threads(1);
        }
        c
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one, two);
}
