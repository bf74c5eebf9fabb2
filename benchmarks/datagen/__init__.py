"""Pieces of the benchmark data generator (benchmarks/generate.py); import after django.setup()."""
