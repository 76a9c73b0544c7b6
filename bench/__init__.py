"""Benchmarks for orderfsm, run with ``make bench`` (``python -m bench``)."""
