"""Benchmarks: scripts that print JSON figures (see README.md)."""
