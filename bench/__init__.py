"""Benchmarks run by `make bench`; results go to var/bench/."""
