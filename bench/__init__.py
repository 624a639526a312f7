"""fastws benchmarks: pytest-benchmark microbenchmarks (``pytest bench/``)."""
