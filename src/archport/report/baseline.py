"""The `baseline` format: the findings of a scan as a baseline file (see archport.baseline)."""

from __future__ import annotations

from archport.baseline import render

__all__ = ["render"]
