"""BD: build files (Make, CMake, Meson, Bazel, autotools, setup.py, gyp, shell build scripts)."""
