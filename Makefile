# r1_reward developer commands. `make setup` builds .venv from nothing; `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test lint demo bench clean

setup:
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first, so nothing below can pull a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -c "import r1_reward, verl, torch; print('r1_reward ready: verl', verl.__version__, 'torch', torch.__version__)"

test: lint
	$(BIN)/python -m pytest -q tests

lint:
	$(BIN)/ruff check .
	$(BIN)/shellcheck .ci/run $(shell git ls-files '*.sh')

demo:
	$(BIN)/python -m r1_reward.cpu.demo

bench:
	$(BIN)/python benchmarks/bench_algos.py
	$(BIN)/python benchmarks/fuzz_algos.py
	$(BIN)/python benchmarks/bench_reward.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_eval_tts.py
	$(BIN)/python benchmarks/bench_tournament.py
	$(BIN)/python benchmarks/fault_matrix.py

clean:
	rm -rf outputs .pytest_cache
