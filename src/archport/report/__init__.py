"""Reports: the Report data and its renderers (terminal, JSON)."""
