"""Benchmarks: our server side by side with its peer and the limit, in one run (``make bench``)."""
