"""Maintenance scripts that regenerate archport's data tables. Not used at scan time."""
