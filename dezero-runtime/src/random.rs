//! TEMPORARY placeholder for the NumPy-compatible stream.
