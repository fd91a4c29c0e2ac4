//! TEMPORARY placeholder, replaced by the NumPy-style printer being written.
/// NumPy's `str(array)` (placeholder).
pub fn array_str<T: crate::Scalar>(a: &ndarray::ArrayD<T>) -> String {
    format!("{a}")
}
