//! The spiral data set and the DataLoader against the original: the numbers
//! below were printed by NumPy 2.4.6 running DeZero's `get_spiral` and the
//! draws DeZero's `DataLoader` makes (`np.random.permutation(len)` when
//! built and at the end of each epoch).

use dezero::datasets::{get_spiral, DataLoader, Dataset, Spiral};
use dezero::random;
use ndarray::{array, Array1, Array2};

/// Sum of the points' float32 bit patterns: a checksum that any one
/// differing bit in any of the 600 numbers changes.
fn bit_sum(x: &Array2<f32>) -> u64 {
    x.iter().map(|v| u64::from(v.to_bits())).sum()
}

fn f64_sum(x: &Array2<f32>) -> f64 {
    x.iter().map(|&v| f64::from(v)).sum()
}

#[test]
fn train_spiral_is_dezeros() {
    let (x, t) = get_spiral(true);
    assert_eq!(x.shape(), [300, 2]);
    assert_eq!(
        x.row(0),
        array![
            -0.1398138850927353_f64 as f32,
            -0.007216573692858219_f64 as f32
        ]
    );
    assert_eq!(
        x.row(1),
        array![
            0.37049391865730286_f64 as f32,
            0.5820947289466858_f64 as f32
        ]
    );
    assert_eq!(
        x.row(2),
        array![
            0.13742630183696747_f64 as f32,
            -0.17179642617702484_f64 as f32
        ]
    );
    assert_eq!(
        x.row(299),
        array![
            0.025064952671527863_f64 as f32,
            0.07597202062606812_f64 as f32
        ]
    );
    assert_eq!(bit_sum(&x), 1_281_824_596_788);
    assert_eq!(f64_sum(&x), -13.916731213830644);
    assert_eq!(
        &t[..20],
        [1, 1, 2, 0, 1, 2, 0, 0, 1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 2, 1]
    );
    assert_eq!(t.iter().sum::<usize>(), 300);
    for class in 0..3 {
        assert_eq!(t.iter().filter(|&&c| c == class).count(), 100);
    }
    // The global stream continues where NumPy's does.
    assert_eq!(random::permutation(10), [7, 9, 2, 1, 8, 6, 0, 4, 3, 5]);
}

#[test]
fn test_spiral_is_dezeros() {
    let (x, t) = get_spiral(false);
    assert_eq!(
        x.row(0),
        array![
            0.13246452808380127_f64 as f32,
            0.13620993494987488_f64 as f32
        ]
    );
    assert_eq!(
        x.row(1),
        array![
            -0.31427156925201416_f64 as f32,
            0.24745377898216248_f64 as f32
        ]
    );
    assert_eq!(
        x.row(2),
        array![
            -0.41630831360816956_f64 as f32,
            -0.7525206804275513_f64 as f32
        ]
    );
    assert_eq!(
        x.row(299),
        array![
            -0.16662900149822235_f64 as f32,
            0.03368643671274185_f64 as f32
        ]
    );
    assert_eq!(bit_sum(&x), 1_260_400_653_186);
    assert_eq!(f64_sum(&x), -11.263850776544132);
    assert_eq!(
        &t[..20],
        [0, 1, 0, 1, 2, 2, 1, 2, 2, 0, 1, 1, 0, 2, 2, 2, 0, 0, 2, 2]
    );
    assert_eq!(random::permutation(10), [6, 7, 4, 2, 1, 5, 0, 9, 8, 3]);
}

#[test]
fn get_spiral_reseeds_whatever_came_before() {
    random::seed(123);
    let _ = random::randn(&[3]); // leaves a cached deviate behind
    let a = get_spiral(true);
    let b = get_spiral(true);
    assert_eq!(a, b);
}

#[test]
fn spiral_dataset_indexes_rows() {
    let set = Spiral::new(true);
    assert!(set.train);
    assert_eq!(set.len(), 300);
    assert!(!set.is_empty());
    let (x, t) = set.get(1);
    assert_eq!(x, set.data.row(1));
    assert_eq!(t, 1);
    assert!(!Spiral::new(false).train);
}

/// Step 50's setup: both data sets, a shuffled training loader and an
/// ordered test loader, in the book's order.
#[test]
fn loader_shuffles_like_dezero() {
    let train_set = Spiral::new(true);
    let test_set = Spiral::new(false);
    let mut train_loader = DataLoader::new(&train_set, 10, true);
    let mut test_loader = DataLoader::new(&test_set, 10, false);
    assert_eq!(train_loader.max_iter(), 30);
    assert_eq!(train_loader.batch_size(), 10);

    // Epoch 1 follows the permutation drawn when the loader was built.
    let idx0 = [77, 257, 44, 229, 88, 80, 262, 73, 283, 26];
    let (x, t) = train_loader.next().expect("first batch");
    assert_eq!(x.shape(), [10, 2]);
    assert_eq!(t, [1, 2, 0, 2, 1, 0, 0, 1, 2, 2]);
    assert_eq!(
        x.row(0),
        array![
            0.6622949838638306_f64 as f32,
            0.30702659487724304_f64 as f32
        ]
    );
    assert_eq!(
        x.row(1),
        array![
            -0.4507611095905304_f64 as f32,
            -0.36498549580574036_f64 as f32
        ]
    );
    for (row, &i) in idx0.iter().enumerate() {
        assert_eq!(x.row(row), train_set.data.row(i));
        assert_eq!(t[row], train_set.label[i]);
    }
    assert_eq!(train_loader.iteration(), 1);
    assert_eq!(train_loader.size_hint(), (29, Some(29)));
    let mut rest: Vec<usize> = train_loader.by_ref().flat_map(|(_, t)| t).collect();
    assert_eq!(rest.len(), 290);
    rest.extend(&t);
    assert_eq!(rest.iter().filter(|&&c| c == 0).count(), 100);

    // The epoch ended, so the loader reset and drew epoch 2's order.
    assert_eq!(train_loader.iteration(), 0);
    let (x, t) = train_loader.next().expect("epoch 2");
    assert_eq!(t, [1, 0, 2, 1, 2, 1, 2, 0, 2, 1]);
    assert_eq!(
        x.row(0),
        array![
            -0.17861071228981018_f64 as f32,
            0.1104455217719078_f64 as f32
        ]
    );
    assert_eq!(x.row(0), train_set.data.row(255));
    assert_eq!(x.row(1), train_set.data.row(7));

    // The test loader keeps the data's order.
    let (x, t) = test_loader.next().expect("test batch");
    assert_eq!(t, [0, 1, 0, 1, 2, 2, 1, 2, 2, 0]);
    assert_eq!(x, test_set.data.slice(ndarray::s![..10, ..]));
}

#[test]
fn last_batch_is_short() {
    let set = Spiral::new(false);
    let mut loader = DataLoader::new(&set, 32, false);
    assert_eq!(loader.max_iter(), 10);
    let sizes: Vec<usize> = (&mut loader)
        .map(|(x, t)| {
            assert_eq!(x.nrows(), t.len());
            t.len()
        })
        .collect();
    assert_eq!(sizes, [32, 32, 32, 32, 32, 32, 32, 32, 32, 12]);
    // A second epoch is again complete.
    assert_eq!((&mut loader).count(), 10);
}

/// A data set of rows of another element type and width.
struct Squares;

impl Dataset<f64> for Squares {
    fn len(&self) -> usize {
        5
    }
    fn get(&self, i: usize) -> (Array1<f64>, usize) {
        let v = i as f64;
        (array![v, v * v, 1.0], i % 2)
    }
}

#[test]
fn loader_stacks_any_dataset() {
    let mut loader = DataLoader::new(Squares, 2, false);
    let batches: Vec<(Array2<f64>, Vec<usize>)> = loader.by_ref().collect();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[1].0, array![[2.0, 4.0, 1.0], [3.0, 9.0, 1.0]]);
    assert_eq!(batches[2].1, [0]);
    assert_eq!(loader.dataset().len(), 5);
}

#[test]
fn empty_dataset_has_no_batches() {
    struct Empty;
    impl Dataset<f32> for Empty {
        fn len(&self) -> usize {
            0
        }
        fn get(&self, i: usize) -> (Array1<f32>, usize) {
            panic!("no example {i}")
        }
    }
    let mut loader = DataLoader::new(Empty, 4, true);
    assert_eq!(loader.max_iter(), 0);
    assert!(loader.next().is_none());
}

#[test]
#[should_panic(expected = "batch_size must be at least 1")]
fn zero_batch_size_panics() {
    let _ = DataLoader::new(Squares, 0, true);
}
