"""fastws benchmarks.

``pytest bench/``: pytest-benchmark microbenchmarks of the API
(``test_micro.py``) and of the frame codec (``test_wire.py``), on the
inputs of ``inputs.py``; ``bench.table`` and ``bench.readme_table`` turn a
run into the table of docs/benchmarks.md. ``python -m bench.load``: end to
end, against real servers (``bench.report`` draws its tables and plots);
``python -m bench.inproc``: the wire layers' CPU cost in process;
``python -m bench.hostile``: bad clients against real servers.
"""
