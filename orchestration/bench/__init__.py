"""Benchmarks: they print and record figures; no test asserts a time."""
