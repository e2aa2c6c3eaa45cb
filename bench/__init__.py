"""Benchmarks, run as modules: `python -m bench.step_cost`."""
