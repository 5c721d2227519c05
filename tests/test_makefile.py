"""The README's two commands on a fresh clone: `make test` and `make demo` build .venv first when it is missing or
older than pyproject.toml / constraints/, and leave a current one alone (checked with `make -n`, nothing runs)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path):
    """The files the Makefile's venv rule reads, in a scratch folder."""
    shutil.copy(REPO / "Makefile", tmp_path)
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    shutil.copytree(REPO / "constraints", tmp_path / "constraints")
    return tmp_path


def planned(folder: Path, target: str) -> str:
    result = subprocess.run(["make", "-n", target], cwd=folder, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", ["test", "demo", "test-e2e"])
def test_a_missing_venv_is_built_first(checkout, target):
    plan = planned(checkout, target)
    assert "-m venv .venv" in plan and plan.index("-m venv .venv") < plan.index("python -m ")


def test_a_current_venv_is_kept_and_a_stale_one_rebuilt(checkout):
    stamp = checkout / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()
    assert "-m venv .venv" not in planned(checkout, "test")
    later = time.time() + 10
    os.utime(checkout / "constraints" / "cpu.txt", (later, later))  # a pin changed after the install
    assert "-m venv .venv" in planned(checkout, "test")
