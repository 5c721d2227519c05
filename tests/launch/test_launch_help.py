"""issue #22: every launch script answers ``-h`` / ``--help`` with its usage and starts or submits nothing (before,
``launch/ray_job.sh --help`` passed ``--help`` to main_ppo and submitted a job). The fakes of conftest.py (ray, srun,
scontrol, python) and a fake ``vllm`` log every call; none may be made."""

import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "launch/ray_job.sh": "RAY_ADDRESS=http://head-node:8265 launch/ray_job.sh",
    "launch/slurm/train.sh": "sbatch --nodes=4",
    "launch/serve_judge.sh": "Usage: launch/serve_judge.sh",
}
CALLS = [["--help"], ["-h"], ["+experiment=stable_reinforce", "--help"]]


@pytest.mark.parametrize("args", CALLS, ids=[" ".join(a) for a in CALLS])
@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_the_usage_and_starts_nothing(script, args, fake_env, fake_bin, calls, tmp_path):
    vllm = fake_bin / "vllm"
    vllm.write_text('#!/usr/bin/env bash\nprintf "vllm %s\\n" "$*" >>"$FAKE_LOG"\n')
    vllm.chmod(vllm.stat().st_mode | stat.S_IXUSR)
    done = subprocess.run(["bash", str(REPO / script), *args], env=fake_env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert SCRIPTS[script] in done.stdout and "Prerequisites" in done.stdout
    assert "#" not in done.stdout.splitlines()[0] and "SBATCH" not in done.stdout  # the header, as text
    assert calls() == [] and not (tmp_path / "logs").exists()  # no ray, srun, vllm or main_ppo; no log folder
