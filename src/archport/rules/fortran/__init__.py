"""Fortran rules (family FT): kinds, Intel compiler directives, x86 and Intel-library symbols."""
