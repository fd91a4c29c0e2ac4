//! NumPy's *legacy* random stream (`np.random.RandomState`), bit for bit.
//!
//! The book's scripts draw their data and initial weights with
//! `np.random.seed(0); np.random.rand(...); np.random.randn(...)`. This module
//! reproduces that stream exactly, so a Rust port of a script sees the very same
//! numbers as the Python original:
//!
//! * [`RandomState`] is MT19937 with NumPy's legacy seeding
//!   (`np.random.seed(int)` and `np.random.RandomState([..])`), its 53-bit doubles,
//!   the polar (Marsaglia) normal method with its cached second value, the masked
//!   rejection bounded draw, and the Fisher–Yates `shuffle` / `permutation`.
//! * [`seed`], [`rand()`], [`randn`], [`permutation`], [`shuffle`] and
//!   [`with_global`] act on a thread-local stream, like `np.random`'s module
//!   functions act on its hidden global `RandomState`.
//!
//! ```
//! use dezero_runtime::random;
//!
//! // np.random.seed(0); x = np.random.rand(100, 1)
//! random::seed(0);
//! let x = random::rand(&[100, 1]);
//! assert_eq!(x[[0, 0]], 0.5488135039273248);
//! ```

use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt;

use ndarray::{ArrayD, IxDyn};

use crate::Scalar;

/// Number of 32-bit words in the MT19937 state.
const N: usize = 624;
/// MT19937's middle word offset.
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The seed of the thread-local global stream when [`seed`] was never called.
///
/// NumPy seeds its global stream from OS entropy; we use this fixed seed instead
/// so that unseeded runs are reproducible. It equals `np.random.seed(0)`.
///
/// ```
/// use dezero_runtime::random::{RandomState, DEFAULT_SEED};
/// // A fresh thread has never seeded its global stream.
/// let first = std::thread::spawn(|| dezero_runtime::random::rand(&[1])[0])
///     .join()
///     .expect("thread");
/// assert_eq!(first, RandomState::new(DEFAULT_SEED).random_sample());
/// ```
pub const DEFAULT_SEED: u32 = 0;

/// NumPy's legacy `RandomState`: an MT19937 generator plus the cached normal
/// deviate of the polar method.
///
/// Every method draws from the underlying 32-bit stream exactly as NumPy does, so
/// interleaving calls (`rand`, `randn`, `permutation`, ...) in the same order as a
/// Python script gives bit-identical results.
///
/// It also implements [`rand::TryRng`] (hence [`rand::Rng`]) so it can drive
/// any `rand` API; see the impl for how 64-bit words and bytes are formed.
///
/// ```
/// use dezero_runtime::random::RandomState;
///
/// // np.random.RandomState(0).random_sample(2)
/// let mut rs = RandomState::new(0);
/// assert_eq!(rs.random_sample(), 0.5488135039273248);
/// assert_eq!(rs.random_sample(), 0.7151893663724195);
/// ```
#[derive(Clone, PartialEq)]
pub struct RandomState {
    /// The 624-word MT19937 state (`key` in NumPy).
    key: [u32; N],
    /// Index of the next word to temper; `N` means "regenerate first".
    pos: usize,
    /// Whether `gauss` holds the second value of the last polar-method pair.
    has_gauss: bool,
    /// The cached normal deviate (0.0 when `has_gauss` is false, like NumPy).
    gauss: f64,
}

impl fmt::Debug for RandomState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RandomState")
            .field("pos", &self.pos)
            .field("has_gauss", &self.has_gauss)
            .field("gauss", &self.gauss)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// `np.random.RandomState(seed)`: MT19937 seeded with Knuth's
    /// `init_genrand(seed)`.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.next_u32(), 2357136044);
    /// ```
    pub fn new(seed: u32) -> Self {
        let mut rs = RandomState {
            key: [0; N],
            pos: N,
            has_gauss: false,
            gauss: 0.0,
        };
        rs.seed(seed);
        rs
    }

    /// `np.random.RandomState(key)` for an array seed: MT19937's
    /// `init_by_array(key)`.
    ///
    /// # Panics
    ///
    /// Panics if `key` is empty (NumPy raises `ValueError: Seed must be non-empty`).
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// // np.random.RandomState([1, 2, 3]).random_sample()
    /// let mut rs = RandomState::from_seed_array(&[1, 2, 3]);
    /// assert_eq!(rs.random_sample(), 0.6098612722867289);
    /// ```
    pub fn from_seed_array(key: &[u32]) -> Self {
        assert!(!key.is_empty(), "RandomState seed array must be non-empty");
        let mut rs = RandomState::new(19_650_218);
        let mt = &mut rs.key;
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            // `j as u32`: j < key.len(), and NumPy adds it modulo 2^32 too.
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            // `i as u32`: i < N.
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        rs.pos = N;
        rs.has_gauss = false;
        rs.gauss = 0.0;
        rs
    }

    /// `RandomState.seed(seed)` / `np.random.seed(seed)`: reseeds with
    /// `init_genrand(seed)` and drops any cached normal deviate.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(5);
    /// let _ = rs.standard_normal(); // leaves a cached deviate behind
    /// rs.seed(0);
    /// assert_eq!(rs.cached_gauss(), None);
    /// assert_eq!(rs, RandomState::new(0));
    /// ```
    pub fn seed(&mut self, seed: u32) {
        let mut s = seed;
        for (pos, word) in self.key.iter_mut().enumerate() {
            *word = s;
            // `pos as u32`: pos < 624.
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(pos as u32 + 1);
        }
        self.pos = N;
        self.has_gauss = false;
        self.gauss = 0.0;
    }

    /// Regenerates the 624-word block (`mt19937_gen`).
    fn generate(&mut self) {
        let k = &mut self.key;
        let twist = |y: u32| (y >> 1) ^ ((y & 1).wrapping_neg() & MATRIX_A);
        for i in 0..N - M {
            let y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
            k[i] = k[i + M] ^ twist(y);
        }
        for i in N - M..N - 1 {
            let y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
            k[i] = k[i + M - N] ^ twist(y);
        }
        let y = (k[N - 1] & UPPER_MASK) | (k[0] & LOWER_MASK);
        k[N - 1] = k[M - 1] ^ twist(y);
        self.pos = 0;
    }

    /// The next raw tempered MT19937 output (`mt19937_next`, what
    /// `MT19937.random_raw()` returns).
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!([rs.next_u32(), rs.next_u32()], [2357136044, 2546248239]);
    /// ```
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// NumPy's 64-bit draw (`mt19937_next64`): two 32-bit outputs, the
    /// **first one in the high half**.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.next_u64(), (2357136044u64 << 32) | 2546248239);
    /// ```
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// One uniform double in `[0, 1)`: `random_sample()` / an element of
    /// `rand(...)`, built from two 32-bit draws as
    /// `((a >> 5) * 2^26 + (b >> 6)) / 2^53`.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.random_sample(), 0.5488135039273248);
    /// ```
    #[inline]
    pub fn random_sample(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }

    /// One standard normal deviate: NumPy's `legacy_gauss`, the polar method.
    ///
    /// Each accepted pair `(x1, x2)` returns `f * x2` and caches `f * x1` for the
    /// next call (see [`cached_gauss`](Self::cached_gauss)); uniform draws made in
    /// between do not disturb the cache.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.standard_normal(), 1.764052345967664);
    /// assert_eq!(rs.cached_gauss(), Some(0.4001572083672233));
    /// assert_eq!(rs.standard_normal(), 0.4001572083672233);
    /// ```
    pub fn standard_normal(&mut self) -> f64 {
        if self.has_gauss {
            let cached = self.gauss;
            self.has_gauss = false;
            self.gauss = 0.0;
            return cached;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = f * x1;
                self.has_gauss = true;
                return f * x2;
            }
        }
    }

    /// The normal deviate cached by the polar method, if any (the `has_gauss` /
    /// `cached_gaussian` entries of `RandomState.get_state()`).
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.cached_gauss(), None);
    /// let _ = rs.standard_normal();
    /// assert!(rs.cached_gauss().is_some());
    /// ```
    pub fn cached_gauss(&self) -> Option<f64> {
        self.has_gauss.then_some(self.gauss)
    }

    /// `np.random.rand(*shape)`: uniform `[0, 1)` doubles filled in row-major
    /// order. An empty `shape` gives a 0-d array holding one draw.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// let x = rs.rand(&[2, 2]);
    /// assert_eq!(x.shape(), &[2, 2]);
    /// assert_eq!(x[[0, 1]], 0.7151893663724195);
    /// ```
    pub fn rand(&mut self, shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || self.random_sample())
    }

    /// `np.random.randn(*shape)`: standard normal doubles filled in row-major
    /// order (sharing the polar method's cache with [`standard_normal`](Self::standard_normal)).
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// let w = rs.randn(&[3, 4]);
    /// assert_eq!(w[[0, 0]], 1.764052345967664);
    /// assert_eq!(w[[2, 3]], 1.454273506962975);
    /// ```
    pub fn randn(&mut self, shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || self.standard_normal())
    }

    /// `np.random.rand(*shape).astype(T)`: draws doubles, then rounds each to `T`.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let x = RandomState::new(0).rand_t::<f32>(&[1]);
    /// assert_eq!(x[0], 0.5488135039273248_f64 as f32);
    /// ```
    pub fn rand_t<T: Scalar>(&mut self, shape: &[usize]) -> ArrayD<T> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from_f64_lossy(self.random_sample()))
    }

    /// `np.random.randn(*shape).astype(T)`: draws doubles, then rounds each to `T`.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let w = RandomState::new(0).randn_t::<f32>(&[2]);
    /// assert_eq!(w[1], 0.4001572083672233_f64 as f32);
    /// ```
    pub fn randn_t<T: Scalar>(&mut self, shape: &[usize]) -> ArrayD<T> {
        ArrayD::from_shape_simple_fn(IxDyn(shape), || T::from_f64_lossy(self.standard_normal()))
    }

    /// A uniform integer in `[0, max]`: NumPy's `random_interval`.
    ///
    /// Draws `next_u32() & mask` (or `next_u64() & mask` when
    /// `max > 0xffff_ffff`), where `mask` is the smallest all-ones mask covering
    /// `max`, until the value is `<= max`. `max == 0` draws nothing.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut rs = RandomState::new(0);
    /// assert_eq!(rs.random_interval(0), 0);
    /// let v = rs.random_interval(9);
    /// assert!(v <= 9);
    /// ```
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        if max <= 0xffff_ffff {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        } else {
            loop {
                let value = self.next_u64() & mask;
                if value <= max {
                    return value;
                }
            }
        }
    }

    /// `RandomState.shuffle(xs)`: in-place Fisher–Yates from the end, swapping
    /// `xs[i]` with `xs[random_interval(i)]` for `i = len-1, ..., 1`.
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let mut xs = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    /// let mut rs = RandomState::new(0);
    /// let _ = rs.permutation(10);
    /// rs.shuffle(&mut xs);
    /// assert_eq!(xs, ['d', 'b', 'c', 'g', 'f', 'a', 'e']);
    /// ```
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            // The drawn index is <= i, so it fits in usize.
            let j = self.random_interval(i as u64) as usize;
            xs.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`: `0..n` shuffled by [`shuffle`](Self::shuffle).
    ///
    /// ```
    /// use dezero_runtime::random::RandomState;
    /// let p = RandomState::new(0).permutation(10);
    /// assert_eq!(p, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    /// ```
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        self.shuffle(&mut idx);
        idx
    }
}

/// Makes [`RandomState`] a `rand` generator ([`rand::Rng`] comes with it).
///
/// * `next_u32` is the raw MT19937 output ([`RandomState::next_u32`]).
/// * `next_u64` is NumPy's 64-bit draw: the **first** 32-bit output in the high
///   half ([`RandomState::next_u64`]). This is the reverse of `rand_core`'s
///   little-endian `next_u64_via_u32` convention, chosen so both paths agree.
/// * `fill_bytes` takes one 32-bit draw per 4 bytes, little-endian, discarding
///   the unused bytes of the last draw: the same bytes as `RandomState.bytes(n)`.
///
/// `rand`'s own distributions (e.g. `RngExt::random::<f64>()`) do **not**
/// reproduce NumPy's numbers; use the inherent methods for that.
///
/// ```
/// use dezero_runtime::random::RandomState;
/// use rand::Rng;
///
/// // np.random.seed(3); np.random.bytes(7)
/// let mut rs = RandomState::new(3);
/// let mut buf = [0u8; 7];
/// rs.fill_bytes(&mut buf);
/// assert_eq!(buf, [106, 23, 1, 141, 152, 6, 27]);
/// ```
impl ::rand::TryRng for RandomState {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(RandomState::next_u32(self))
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(RandomState::next_u64(self))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        ::rand::rand_core::utils::fill_bytes_via_next_word(dst, || self.try_next_u32())
    }
}

thread_local! {
    static GLOBAL: RefCell<RandomState> = RefCell::new(RandomState::new(DEFAULT_SEED));
}

/// Runs `f` on this thread's global stream (the one [`seed`], [`rand()`],
/// [`randn`], [`permutation`] and [`shuffle`] use).
///
/// Each thread has its own stream, seeded with [`DEFAULT_SEED`] until [`seed`]
/// is called (NumPy would seed from entropy instead).
///
/// # Panics
///
/// Panics if called again from inside `f` (the stream is already borrowed).
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// let (u, z) = random::with_global(|rs| (rs.random_sample(), rs.standard_normal()));
/// assert_eq!(u, 0.5488135039273248);
/// assert!(z.is_finite());
/// ```
pub fn with_global<R>(f: impl FnOnce(&mut RandomState) -> R) -> R {
    GLOBAL.with(|g| f(&mut g.borrow_mut()))
}

/// `np.random.seed(seed)` for this thread's global stream.
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// let a = random::rand(&[3]);
/// random::seed(0);
/// assert_eq!(random::rand(&[3]), a);
/// ```
pub fn seed(seed: u32) {
    with_global(|rs| rs.seed(seed));
}

/// `np.random.rand(*shape)` from this thread's global stream.
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// let x = random::rand(&[100, 1]);
/// assert_eq!(x[[0, 0]], 0.5488135039273248);
/// assert_eq!(x[[99, 0]], 0.004695476192547066);
/// ```
pub fn rand(shape: &[usize]) -> ArrayD<f64> {
    with_global(|rs| rs.rand(shape))
}

/// `np.random.randn(*shape)` from this thread's global stream.
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// assert_eq!(random::randn(&[1, 2])[[0, 1]], 0.4001572083672233);
/// ```
pub fn randn(shape: &[usize]) -> ArrayD<f64> {
    with_global(|rs| rs.randn(shape))
}

/// `np.random.permutation(n)` from this thread's global stream.
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// assert_eq!(random::permutation(10), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
/// ```
pub fn permutation(n: usize) -> Vec<usize> {
    with_global(|rs| rs.permutation(n))
}

/// `np.random.shuffle(xs)` on this thread's global stream.
///
/// ```
/// use dezero_runtime::random;
/// random::seed(0);
/// let mut xs: Vec<u32> = (0..10).collect();
/// random::shuffle(&mut xs);
/// assert_eq!(xs, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
/// ```
pub fn shuffle<T>(xs: &mut [T]) {
    with_global(|rs| rs.shuffle(xs));
}

#[cfg(test)]
mod tests {
    //! Reference values printed by NumPy 2.4.6 (`repr` of each float).

    use super::*;

    fn floats(a: &ArrayD<f64>) -> Vec<f64> {
        a.iter().copied().collect()
    }

    #[test]
    fn raw_u32_after_seed_0() {
        // bg = np.random.MT19937(); bg._legacy_seeding(0); bg.random_raw(6)
        let mut rs = RandomState::new(0);
        let got: Vec<u32> = (0..6).map(|_| rs.next_u32()).collect();
        assert_eq!(
            got,
            [2357136044, 2546248239, 3071714933, 3626093760, 2588848963, 3684848379]
        );
    }

    #[test]
    fn next_u64_is_high_word_first() {
        // bg._legacy_seeding(0); bg.ctypes.next_uint64(bg.ctypes.state) x3
        let mut rs = RandomState::new(0);
        let got: Vec<u64> = (0..3).map(|_| rs.next_u64()).collect();
        assert_eq!(
            got,
            [
                10123822223749065263,
                13192915183495924928,
                11119021634053362427
            ]
        );
        let mut rs = RandomState::new(0);
        assert_eq!(::rand::Rng::next_u64(&mut rs), 10123822223749065263);
    }

    #[test]
    fn random_interval_64_bit_branch() {
        // np.random.RandomState(0).randint(0, 2**40, size=3, dtype=np.uint64):
        // legacy randint masks a 64-bit draw just like random_interval(2**40 - 1).
        let mut rs = RandomState::new(0);
        let got: Vec<u64> = (0..3).map(|_| rs.random_interval((1 << 40) - 1)).collect();
        assert_eq!(got, [741280623151, 506137267392, 291447657211]);
    }

    #[test]
    fn random_sample_seed_0() {
        // np.random.seed(0); np.random.random_sample(5)
        let mut rs = RandomState::new(0);
        let got: Vec<f64> = (0..5).map(|_| rs.random_sample()).collect();
        assert_eq!(
            got,
            [
                0.5488135039273248,
                0.7151893663724195,
                0.6027633760716439,
                0.5448831829968969,
                0.4236547993389047
            ]
        );
    }

    #[test]
    fn book_step42_regression_data() {
        // np.random.seed(0); x = np.random.rand(100, 1); y = 5 + 2 * x + np.random.rand(100, 1)
        let mut rs = RandomState::new(0);
        let x = rs.rand(&[100, 1]);
        let y = 5.0 + 2.0 * &x + rs.rand(&[100, 1]);
        assert_eq!(x.shape(), &[100, 1]);
        assert_eq!(x[[0, 0]], 0.5488135039273248);
        assert_eq!(x[[99, 0]], 0.004695476192547066);
        assert_eq!(y[[0, 0]], 6.77544354465088);
        assert_eq!(y[[99, 0]], 5.443807577943215);
    }

    #[test]
    fn randn_3x4_seed_0() {
        // np.random.seed(0); np.random.randn(3, 4)
        let w = RandomState::new(0).randn(&[3, 4]);
        assert_eq!(w.shape(), &[3, 4]);
        assert_eq!(
            floats(&w),
            [
                1.764052345967664,
                0.4001572083672233,
                0.9787379841057392,
                2.240893199201458,
                1.8675579901499675,
                -0.977277879876411,
                0.9500884175255894,
                -0.1513572082976979,
                -0.10321885179355784,
                0.41059850193837233,
                0.144043571160878,
                1.454273506962975
            ]
        );
    }

    #[test]
    fn interleaved_rand_randn_keeps_gauss_cache() {
        // np.random.seed(0); rand(3); randn(3); rand(2); randn(1); randn(2)
        let mut rs = RandomState::new(0);
        assert_eq!(
            floats(&rs.rand(&[3])),
            [0.5488135039273248, 0.7151893663724195, 0.6027633760716439]
        );
        assert_eq!(
            floats(&rs.randn(&[3])),
            [-2.268328201180374, 1.3335453816218967, -0.8427240538292873]
        );
        assert!(rs.cached_gauss().is_some());
        assert_eq!(
            floats(&rs.rand(&[2])),
            [0.8917730007820798, 0.9636627605010293]
        );
        assert_eq!(floats(&rs.randn(&[1])), [1.9699244478698945]);
        assert_eq!(rs.cached_gauss(), None);
        assert_eq!(
            floats(&rs.randn(&[2])),
            [1.2661185298577784, -0.5058765397605117]
        );
    }

    #[test]
    fn cached_gauss_matches_get_state() {
        // rs = RandomState(0); rs.randn(1); rs.get_state()[3:] == (1, 0.4001572083672233)
        let mut rs = RandomState::new(0);
        assert_eq!(rs.randn(&[1])[0], 1.764052345967664);
        assert_eq!(rs.cached_gauss(), Some(0.4001572083672233));
        rs.seed(0);
        assert_eq!(rs.cached_gauss(), None);
    }

    #[test]
    fn permutations() {
        // np.random.seed(0); np.random.permutation(10)
        assert_eq!(
            RandomState::new(0).permutation(10),
            [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
        );
        // np.random.seed(1); np.random.permutation(300)[:10]
        let p = RandomState::new(1).permutation(300);
        assert_eq!(p[..10], [189, 123, 185, 213, 106, 127, 176, 73, 275, 242]);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..300).collect::<Vec<_>>());
        assert!(RandomState::new(0).permutation(0).is_empty());
        assert_eq!(RandomState::new(0).permutation(1), [0]);
    }

    #[test]
    fn shuffle_lists() {
        // np.random.seed(0); l = list(range(10)); np.random.shuffle(l)
        // l2 = list('abcdefg'); np.random.shuffle(l2)
        let mut rs = RandomState::new(0);
        let mut l: Vec<i64> = (0..10).collect();
        rs.shuffle(&mut l);
        assert_eq!(l, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        let mut l2 = ["a", "b", "c", "d", "e", "f", "g"];
        rs.shuffle(&mut l2);
        assert_eq!(l2, ["d", "b", "c", "g", "f", "a", "e"]);
        let mut empty: [u8; 0] = [];
        rs.shuffle(&mut empty);
    }

    #[test]
    fn array_and_extreme_seeds() {
        // np.random.RandomState([1, 2, 3]).random_sample(3)
        let mut rs = RandomState::from_seed_array(&[1, 2, 3]);
        let got: Vec<f64> = (0..3).map(|_| rs.random_sample()).collect();
        assert_eq!(
            got,
            [0.6098612722867289, 0.8866970434146851, 0.47633673750662764]
        );
        // np.random.RandomState(2**32 - 1).random_sample(2)
        let mut rs = RandomState::new(u32::MAX);
        let got: Vec<f64> = (0..2).map(|_| rs.random_sample()).collect();
        assert_eq!(got, [0.0976320289940138, 0.9123828453026218]);
    }

    #[test]
    #[should_panic(expected = "non-empty")]
    fn empty_seed_array_panics() {
        let _ = RandomState::from_seed_array(&[]);
    }

    #[test]
    fn float32_casts() {
        // np.random.seed(0); np.random.randn(4).astype(np.float32)
        let w = RandomState::new(0).randn_t::<f32>(&[4]);
        let want: [f64; 4] = [
            1.764052391052246,
            0.40015721321105957,
            0.978738009929657,
            2.2408931255340576,
        ];
        assert_eq!(w.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), want);
        // np.random.seed(0); np.random.rand(4).astype(np.float32)
        let x = RandomState::new(0).rand_t::<f32>(&[4]);
        let want: [f64; 4] = [
            0.54881352186203,
            0.7151893377304077,
            0.6027633547782898,
            0.5448831915855408,
        ];
        assert_eq!(x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), want);
        let x64 = RandomState::new(0).rand_t::<f64>(&[2]);
        assert_eq!(floats(&x64), [0.5488135039273248, 0.7151893663724195]);
    }

    #[test]
    fn long_streams_cross_state_regeneration() {
        // np.random.seed(42); r = np.random.rand(2000); r[[311, 312, 999, 1999]]
        let r = RandomState::new(42).rand(&[2000]);
        assert_eq!(
            [r[311], r[312], r[999], r[1999]],
            [
                0.07845638134226596,
                0.02535074341545751,
                0.44600577295795574,
                0.28218707469320015
            ]
        );
        // np.random.seed(42); r = np.random.randn(2001); r[[0, 1000, 2000]], r.sum()
        let r = RandomState::new(42).randn(&[2001]);
        assert_eq!(
            [r[0], r[1000], r[2000]],
            [0.4967141530112327, 1.3993554365860021, -0.6751782749743815]
        );
        // NumPy's pairwise sum differs from a sequential one; compare loosely.
        assert!((r.sum() - 89.49311479650703).abs() < 1e-9);
    }

    #[test]
    fn fill_bytes_matches_numpy_bytes() {
        // np.random.seed(3); list(np.random.bytes(7))
        let mut rs = RandomState::new(3);
        let mut buf = [0u8; 7];
        ::rand::Rng::fill_bytes(&mut rs, &mut buf);
        assert_eq!(buf, [106, 23, 1, 141, 152, 6, 27]);
        // The 4-byte tail of the second word was discarded: the next draw is the third.
        let mut fresh = RandomState::new(3);
        let _ = (fresh.next_u32(), fresh.next_u32());
        assert_eq!(rs.next_u32(), fresh.next_u32());
    }

    #[test]
    fn usable_as_a_rand_rng() {
        use ::rand::seq::SliceRandom;
        use ::rand::RngExt;
        fn draw<R: ::rand::Rng>(rng: &mut R) -> u32 {
            rng.next_u32()
        }
        let mut rs = RandomState::new(0);
        assert_eq!(draw(&mut rs), 2357136044);
        let v: u8 = rs.random_range(0..10);
        assert!(v < 10);
        let mut xs = [1, 2, 3, 4];
        xs.shuffle(&mut rs);
        xs.sort_unstable();
        assert_eq!(xs, [1, 2, 3, 4]);
    }

    #[test]
    fn global_stream() {
        // Default seed in a fresh thread.
        let first = std::thread::spawn(|| rand(&[2]))
            .join()
            .expect("thread panicked");
        assert_eq!(floats(&first), [0.5488135039273248, 0.7151893663724195]);

        seed(0);
        let x = rand(&[100, 1]);
        assert_eq!(x[[0, 0]], 0.5488135039273248);
        seed(0);
        assert_eq!(randn(&[3, 4])[[1, 1]], -0.977277879876411);
        seed(0);
        assert_eq!(permutation(10), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        seed(0);
        let mut l: Vec<usize> = (0..10).collect();
        shuffle(&mut l);
        assert_eq!(l, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        seed(0);
        let n = with_global(|rs| rs.standard_normal());
        assert_eq!(n, 1.764052345967664);
        assert_eq!(
            with_global(|rs| rs.cached_gauss()),
            Some(0.4001572083672233)
        );
    }

    #[test]
    fn zero_dim_and_empty_shapes() {
        let mut rs = RandomState::new(0);
        let s = rs.rand(&[]);
        assert_eq!(s.ndim(), 0);
        assert_eq!(s.len(), 1);
        assert_eq!(s[IxDyn(&[])], 0.5488135039273248);
        let e = rs.randn(&[0, 3]);
        assert_eq!(e.shape(), &[0, 3]);
        // Nothing was drawn for the empty array.
        assert_eq!(rs.random_sample(), 0.7151893663724195);
    }
}
