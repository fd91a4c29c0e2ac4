//! Data sets and mini-batches (DeZero's `datasets.py` and `dataloaders.py`):
//! the spiral data of steps 48–50, the [`Dataset`] trait, and
//! [`DataLoader`].
//!
//! Everything random here draws from the thread's NumPy-compatible global
//! stream ([`random`]), in the order DeZero draws from
//! `np.random`, so a script that seeds, builds data sets, loaders and lazy
//! layers in the book's order sees the book's numbers.

use std::marker::PhantomData;

use ndarray::{Array1, Array2};

use crate::random;
use crate::scalar::Scalar;

/// Points per class in [`get_spiral`].
const SPIRAL_PER_CLASS: usize = 100;
/// Classes (arms) in [`get_spiral`].
const SPIRAL_CLASSES: usize = 3;

/// The spiral data set of step 48: 300 points on three arms, and each
/// point's arm (DeZero's `dezero.datasets.get_spiral(train)`).
///
/// As in DeZero, this **reseeds the global stream** (1984 for the training
/// set, 2020 for the test set), draws one normal deviate per point, then
/// shuffles the points with `permutation(300)`. Later draws from the global
/// stream (a [`DataLoader`]'s shuffles, a lazy layer's initial weights) thus
/// continue from where DeZero's would.
///
/// Point `i` of arm `j` is computed in `f64` in DeZero's order,
/// `rate = i / 100`, `theta = j * 4.0 + 4.0 * rate + randn() * 0.2`,
/// `(rate * sin(theta), rate * cos(theta))`, then rounded to `f32`: DeZero
/// stores the points in a float32 array. The labels are DeZero's integer
/// array, as indices.
///
/// ```
/// // Step 48: `x, t = dezero.datasets.get_spiral(train=True)`.
/// use dezero_runtime::datasets::get_spiral;
/// let (x, t) = get_spiral(true);
/// assert_eq!(x.shape(), [300, 2]);
/// assert_eq!(t.len(), 300);
/// assert_eq!(x[[0, 0]], -0.139_813_89_f32);
/// assert_eq!(&t[..5], [1, 1, 2, 0, 1]);
/// ```
pub fn get_spiral(train: bool) -> (Array2<f32>, Vec<usize>) {
    let seed = if train { 1984 } else { 2020 };
    let n = SPIRAL_PER_CLASS * SPIRAL_CLASSES;
    random::with_global(|rs| {
        rs.seed(seed);
        let mut x = Array2::<f32>::zeros((n, 2));
        let mut t = vec![0usize; n];
        for j in 0..SPIRAL_CLASSES {
            for i in 0..SPIRAL_PER_CLASS {
                let rate = i as f64 / SPIRAL_PER_CLASS as f64;
                let radius = 1.0 * rate;
                let theta = j as f64 * 4.0 + 4.0 * rate + rs.standard_normal() * 0.2;
                let ix = SPIRAL_PER_CLASS * j + i;
                // float64 products, stored into DeZero's float32 array.
                x[[ix, 0]] = (radius * theta.sin()) as f32;
                x[[ix, 1]] = (radius * theta.cos()) as f32;
                t[ix] = j;
            }
        }
        let indices = rs.permutation(n);
        let x = x.select(ndarray::Axis(0), &indices);
        let t = indices.iter().map(|&i| t[i]).collect();
        (x, t)
    })
}

/// Examples that can be counted and fetched by index (DeZero's `Dataset`:
/// `len(dataset)` and `dataset[i]`).
///
/// An example is a feature row and a class index. Implement [`len`](Dataset::len)
/// and [`get`](Dataset::get); a [`DataLoader`] does the batching.
///
/// ```
/// use dezero_runtime::datasets::Dataset;
/// use ndarray::{array, Array1};
///
/// /// The XOR truth table.
/// struct Xor;
/// impl Dataset<f64> for Xor {
///     fn len(&self) -> usize {
///         4
///     }
///     fn get(&self, i: usize) -> (Array1<f64>, usize) {
///         let (a, b) = (i / 2, i % 2);
///         (array![a as f64, b as f64], a ^ b)
///     }
/// }
/// assert_eq!(Xor.get(2), (array![1.0, 0.0], 1));
/// ```
pub trait Dataset<T: Scalar = f32> {
    /// The number of examples (Python's `len(dataset)`).
    fn len(&self) -> usize;

    /// Example `index`: its features and its class (Python's `dataset[index]`).
    ///
    /// # Panics
    /// Implementations panic if `index >= self.len()`.
    fn get(&self, index: usize) -> (Array1<T>, usize);

    /// Whether there are no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Scalar, D: Dataset<T> + ?Sized> Dataset<T> for &D {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> (Array1<T>, usize) {
        (**self).get(index)
    }
}

/// The spiral data set as a [`Dataset`] (DeZero's `dezero.datasets.Spiral`).
///
/// Building one calls [`get_spiral`], which reseeds the global stream, as
/// DeZero's does.
///
/// ```
/// // Step 49: `train_set = dezero.datasets.Spiral(train=True)`.
/// use dezero_runtime::datasets::{Dataset, Spiral};
/// let train_set = Spiral::new(true);
/// assert_eq!(train_set.len(), 300);
/// let (x, t) = train_set.get(0);
/// assert_eq!((x.len(), t), (2, 1));
/// ```
#[derive(Clone, Debug)]
pub struct Spiral {
    /// Whether this is the training set (seed 1984) or the test set (2020).
    pub train: bool,
    /// The points, one per row (DeZero's `self.data`).
    pub data: Array2<f32>,
    /// Each point's arm (DeZero's `self.label`).
    pub label: Vec<usize>,
}

impl Spiral {
    /// The training (`train = true`) or test spiral, from [`get_spiral`].
    pub fn new(train: bool) -> Self {
        let (data, label) = get_spiral(train);
        Spiral { train, data, label }
    }
}

impl Dataset<f32> for Spiral {
    fn len(&self) -> usize {
        self.label.len()
    }

    /// Row `index` of the points and its label.
    ///
    /// # Panics
    /// If `index >= 300`.
    fn get(&self, index: usize) -> (Array1<f32>, usize) {
        (self.data.row(index).to_owned(), self.label[index])
    }
}

/// Mini-batches of a [`Dataset`], in shuffled order (DeZero's `DataLoader`).
///
/// Iterating yields `(x, t)`: the batch's feature rows stacked into an
/// `(n, width)` array and their classes. One pass over the data is one epoch;
/// at the end of it the loader resets itself, so the next `for` loop over
/// `&mut loader` is the next epoch, as in DeZero.
///
/// With `shuffle`, the order of each epoch is `permutation(len)` drawn from
/// the global NumPy-compatible stream, at the same moments DeZero draws it:
/// once when the loader is built, and again each time an epoch ends.
/// Without it the order is `0..len`. The last batch of an epoch is smaller
/// when `batch_size` does not divide `len`.
///
/// ```
/// // Step 50: train the spiral in mini-batches of 10.
/// use dezero_runtime::datasets::{DataLoader, Spiral};
/// let mut train_loader = DataLoader::new(Spiral::new(true), 10, true);
/// let mut test_loader = DataLoader::new(Spiral::new(false), 10, false);
/// assert_eq!(train_loader.max_iter(), 30);
/// for _epoch in 0..2 {
///     let mut seen = 0;
///     for (x, t) in &mut train_loader {
///         assert_eq!(x.shape(), [10, 2]);
///         assert_eq!(t.len(), 10);
///         seen += t.len();
///     }
///     assert_eq!(seen, 300);
///     let (x, t) = test_loader.next().expect("a first test batch");
///     assert_eq!((x.nrows(), t.len()), (10, 10));
/// }
/// ```
#[derive(Clone, Debug)]
pub struct DataLoader<D, T: Scalar = f32> {
    dataset: D,
    batch_size: usize,
    shuffle: bool,
    max_iter: usize,
    iteration: usize,
    index: Vec<usize>,
    elem: PhantomData<fn() -> T>,
}

impl<T: Scalar, D: Dataset<T>> DataLoader<D, T> {
    /// A loader of `batch_size` examples at a time (DeZero's
    /// `DataLoader(dataset, batch_size, shuffle)`); with `shuffle`, it draws
    /// the first epoch's order now.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    pub fn new(dataset: D, batch_size: usize, shuffle: bool) -> Self {
        assert!(batch_size > 0, "DataLoader: batch_size must be at least 1");
        let max_iter = dataset.len().div_ceil(batch_size);
        let mut loader = DataLoader {
            dataset,
            batch_size,
            shuffle,
            max_iter,
            iteration: 0,
            index: Vec::new(),
            elem: PhantomData,
        };
        loader.reset();
        loader
    }

    /// Starts a new epoch: back to the first batch, and with `shuffle` a new
    /// order drawn from the global stream (DeZero's `reset`). Iteration calls
    /// this itself when an epoch ends.
    ///
    /// ```
    /// use dezero_runtime::{datasets::{DataLoader, Spiral}, random};
    /// let mut loader = DataLoader::new(Spiral::new(true), 100, true);
    /// let (_, first) = loader.next().unwrap();
    /// random::seed(7);
    /// loader.reset();
    /// let (_, again) = loader.next().unwrap();
    /// assert_ne!(first, again);
    /// ```
    pub fn reset(&mut self) {
        self.iteration = 0;
        self.index = if self.shuffle {
            random::permutation(self.dataset.len())
        } else {
            (0..self.dataset.len()).collect()
        };
    }

    /// The number of batches in an epoch, `ceil(len / batch_size)` (DeZero's
    /// `max_iter`).
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }

    /// The number of examples per batch (the last batch may have fewer).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of batches already taken in this epoch (DeZero's
    /// `iteration`).
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The data set.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }
}

impl<T: Scalar, D: Dataset<T>> Iterator for DataLoader<D, T> {
    type Item = (Array2<T>, Vec<usize>);

    /// The next batch, or `None` at the end of the epoch (after which the
    /// loader has reset itself for the next one).
    ///
    /// # Panics
    /// If the examples of one batch have rows of different lengths.
    fn next(&mut self) -> Option<Self::Item> {
        if self.iteration >= self.max_iter {
            self.reset();
            return None;
        }
        let start = self.iteration * self.batch_size;
        let end = (start + self.batch_size).min(self.index.len());
        let mut rows = Vec::with_capacity(end - start);
        let mut t = Vec::with_capacity(end - start);
        for &i in &self.index[start..end] {
            let (x, label) = self.dataset.get(i);
            rows.push(x);
            t.push(label);
        }
        self.iteration += 1;
        Some((stack_rows(&rows), t))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.max_iter.saturating_sub(self.iteration);
        (left, Some(left))
    }
}

/// Stacks equally long rows into an `(n, width)` array (NumPy's
/// `np.array(list_of_rows)`).
///
/// # Panics
/// If the rows differ in length.
fn stack_rows<T: Scalar>(rows: &[Array1<T>]) -> Array2<T> {
    let width = rows.first().map_or(0, Array1::len);
    let mut x = Array2::zeros((rows.len(), width));
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(
            row.len(),
            width,
            "DataLoader: example rows differ in length ({} and {width})",
            row.len()
        );
        x.row_mut(i).assign(row);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_rows_keeps_order() {
        let rows = vec![
            Array1::from(vec![1.0_f64, 2.0]),
            Array1::from(vec![3.0, 4.0]),
        ];
        assert_eq!(stack_rows(&rows), ndarray::array![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(stack_rows::<f64>(&[]).shape(), [0, 0]);
    }

    #[test]
    #[should_panic(expected = "rows differ in length")]
    fn stack_rows_rejects_ragged() {
        let rows = vec![Array1::from(vec![1.0_f64, 2.0]), Array1::from(vec![3.0])];
        let _ = stack_rows(&rows);
    }
}
