"""Benchmark challenges (NTIRE / VQualA style) hosted on a dataset version and one of its splits."""
