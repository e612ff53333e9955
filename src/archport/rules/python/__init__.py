"""Python rules (PY)."""
