"""dependencies rules (DP): declared dependencies in package manifests; one module per rule."""
