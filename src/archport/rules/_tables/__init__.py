"""Data tables shared by rules (facts, not logic)."""
