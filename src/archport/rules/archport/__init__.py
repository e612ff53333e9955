"""archport rules: one module per rule, named <code>_<name>."""
