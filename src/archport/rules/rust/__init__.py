"""Rust rules: cfg(target_arch), std::arch intrinsics, inline assembly, target features and Cargo flags."""
