# The habits CI keeps, one command each. Run inside a virtualenv with
# pip install -e ".[test,lint,typing,docs]" (bench: ".[bench]").
PYTHON ?= python

.PHONY: help lint format types test test-pure bench docs annotate fuzz ci

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

lint:  ## ruff check and ruff format --check
	ruff check .
	ruff format --check .

format:  ## ruff format, and ruff's safe fixes
	ruff check --fix .
	ruff format .

types:  ## mypy --strict on fastws; a user's typed module under mypy and pyright; stubtest
	mypy
	bash tests/typing/check.sh

test:  ## the whole suite, compiled twin live
	$(PYTHON) -m pytest -q

test-pure:  ## the whole suite, pure twin forced
	FASTWS_NO_EXTENSIONS=1 $(PYTHON) -m pytest -q

bench:  ## the microbenchmarks (pytest-benchmark), both twins and Starlette side by side
	$(PYTHON) -m pytest bench/ -q

docs:  ## the docs site, strict
	mkdocs build --strict

annotate:  ## Cython's annotated HTML of the compiled twins (yellow lines call into Python)
	cython -3 -a src/fastws/_*_c.pyx src/fastws/wire/_codec_c.pyx
	cython -3 -a --module-name fastws._websocket_base_c src/fastws/_websocket_base_py.py  # one source, with its .pxd
	cython -3 -a --module-name fastws.wire._frame_rules_c src/fastws/wire/_frame_rules.py  # one source, with its .pxd
	cython -3 -a --module-name fastws.broadcast._message_c src/fastws/broadcast/_message_py.py  # one source, with its .pxd
	cython -3 -a --module-name fastws.broadcast._targets_c src/fastws/broadcast/_targets_py.py  # one source, with its .pxd
	@echo "open src/fastws/_*_c.html, src/fastws/_websocket_base_py.html, src/fastws/wire/_frame_rules.html, _codec_c.html and src/fastws/broadcast/_*_py.html"

fuzz:  ## the twins' fuzzers, a short seeded run each
	$(PYTHON) fuzz/fuzz_twins.py --stress 20000 --seed 1
	$(PYTHON) fuzz/fuzz_codec.py --stress 20000 --seed 1

ci:  ## what CI runs, on a clean clone: every supported Python, compiled and pure
	bash .ci/run
