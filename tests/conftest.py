"""Shared test set-up: offline, CPU, deterministic."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Shared test helpers (hydra_compose.py) import by name from any test folder.
sys.path.insert(0, str(Path(__file__).parent))
# Fixtures of tiny images and source rows, used by the data tests and the CPU SFT test.
pytest_plugins = ["data_fixtures"]


def run_in_loopback_netns(argv: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Run ``argv`` in a new network namespace that has only loopback (Ray binds every interface)."""
    inner = "ip link set lo up && exec " + shlex.join(argv)
    return subprocess.run(
        ["unshare", "-n", "bash", "-c", inner], capture_output=True, text=True, timeout=timeout, **kwargs
    )


@pytest.fixture
def loopback_netns():
    """The runner above, for tests that start Ray or other servers."""
    return run_in_loopback_netns
