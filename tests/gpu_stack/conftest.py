"""The gpu_stack tests need the GPU stack env (vLLM, CUDA torch, torchvision): `make gpu-stack-env`, then
`make test-gpu-stack`. They are collected only when the run selects them with ``-m gpu_stack``, so the default CPU
suite never imports vLLM; selected in an env without vLLM they stop the run with the fix instead of skipping."""

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def selected(config: pytest.Config) -> bool:
    """Whether ``-m`` asks for the gpu_stack tests (``-m gpu_stack``, not ``-m "not gpu_stack"``)."""
    expression = config.option.markexpr or ""
    return "gpu_stack" in expression and "not gpu_stack" not in expression


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.parent == HERE and collection_path.name.startswith("test_") and not selected(config):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    if selected(config) and importlib.util.find_spec("vllm") is None:
        fix = "run `make gpu-stack-env`, then `make test-gpu-stack`"
        raise pytest.UsageError(f"-m gpu_stack needs the GPU stack env (no vllm here): {fix}")


def pytest_report_header(config: pytest.Config) -> str | None:
    if not selected(config):
        return "gpu_stack tests not collected: they run in the GPU stack env with `make test-gpu-stack`"
    return None
