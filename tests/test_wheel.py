"""A built (non-editable) wheel carries the Hydra configs, and ``python -m r1_reward.main_ppo`` composes from it."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Builds and installs a wheel into a scratch target (tens of seconds): the e2e tier.
pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
# Run from outside the checkout, with the wheel's package first on the path: prints where r1_reward came from,
# then the job config exactly as `python -m r1_reward.main_ppo +experiment=stable_reinforce --cfg job` would.
PROBE = (
    "import runpy, sys, r1_reward; print('FROM', r1_reward.__file__); "
    "sys.argv = ['main_ppo', '+experiment=stable_reinforce', '--cfg', 'job']; "
    "runpy.run_module('r1_reward.main_ppo', run_name='__main__')"
)


def pip(*args: str, **kwargs) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True, timeout=600, **kwargs)


def test_wheel_ships_configs_and_main_ppo_composes(tmp_path):
    pip("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(REPO))
    (wheel,) = (tmp_path / "dist").glob("r1_reward-*.whl")
    shipped = {name.removeprefix("r1_reward/conf/") for name in zipfile.ZipFile(wheel).namelist()
               if name.startswith("r1_reward/conf/")}  # fmt: skip
    assert shipped == {str(path.relative_to(REPO / "conf")) for path in (REPO / "conf").rglob("*.yaml")}

    site = tmp_path / "site"
    pip("install", "-q", "--no-deps", "--target", str(site), str(wheel))
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"FROM {site}" in result.stdout
    assert "adv_estimator: stable_reinforce" in result.stdout and "name: vllm" in result.stdout
    assert "???" not in result.stdout
