"""Go rules: build constraints, Go assembly, cgo and x86 feature checks."""
