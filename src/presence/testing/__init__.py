"""Helpers for the tests and the benchmarks: clients' side of the contracts, test certificates."""
