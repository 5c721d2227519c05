"""conf/hydra/launcher/slurm.yaml: a 2-point sweep through hydra-submitit-launcher, rendered without Slurm.

A fake ``sbatch`` keeps the script submitit renders and answers with a job id; a fake ``sacct`` reports the array
as FAILED, so the sweep ends at once. What this checks: the preset composes, the sbatch parameters, and the exact
overrides pickled for each array task. What it cannot check without Slurm: that a cluster accepts these
parameters (partition/account names, GPU syntax) and that the tasks then run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from submitit.core.utils import DelayedSubmission

from r1_reward.cluster.sweep import RUN_NAME_OVERRIDE

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "tests" / "launch" / "sweep_app.py"
FAKES = {
    "sbatch": 'cp "${@: -1}" "$FAKE_OUT/submitted.sbatch"\necho "Submitted batch job 4242"\n',
    "sacct": 'printf "JobID|State|NodeList\\n4242_0|FAILED|n1\\n4242_1|FAILED|n1\\n"\n',
    "srun": "",
    "scancel": "",
    "squeue": "",
}


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Sweep dir and process result of a 2-point sweep submitted to the fake Slurm."""
    root = tmp_path_factory.mktemp("submitit")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for name, body in FAKES.items():
        (bin_dir / name).write_text("#!/usr/bin/env bash\n" + body)
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_OUT=str(root), PYTHONPATH=str(REPO))
    args = [
        "-m",
        "hydra/launcher=slurm",
        "+experiment=stable_reinforce",
        "r1_reward.pre_clip.log_bound=5,10",
        f"hydra.sweep.dir={root / 'sweep'}",
        "hydra.launcher.partition=gpu",
        "hydra.launcher.setup=[source /shared/r1_reward/.venv/bin/activate]",
    ]
    result = subprocess.run(
        [sys.executable, str(APP), *args], cwd=root, env=env, capture_output=True, text=True, timeout=240
    )
    return root, result


def test_sweep_is_submitted_as_one_array_and_ends_because_no_slurm_ran_it(submitted):
    root, result = submitted
    assert result.returncode == 1
    assert "has not produced any output (state: FAILED)" in result.stderr


def test_rendered_sbatch_has_the_presets_resources(submitted):
    root, _ = submitted
    lines = (root / "submitted.sbatch").read_text().splitlines()
    for line in [
        "#SBATCH --array=0-1%2",  # two sweep points, both may run at once (array_parallelism caps at 16)
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks-per-node=1",
        "#SBATCH --gpus-per-node=8",
        "#SBATCH --cpus-per-task=64",
        "#SBATCH --time=2880",
        "#SBATCH --partition=gpu",
        "source /shared/r1_reward/.venv/bin/activate",
    ]:
        assert line in lines
    srun = next(line for line in lines if line.startswith("srun "))
    assert f"{sys.executable} -u -m submitit.core._submit {root / 'sweep' / '.submitit' / '%j'}" in srun


def test_each_array_task_carries_its_sweep_point_and_run_name(submitted):
    root, _ = submitted
    tasks = [
        DelayedSubmission.load(root / "sweep" / ".submitit" / f"4242_{i}" / f"4242_{i}_submitted.pkl") for i in (0, 1)
    ]
    overrides = [task.args[0] for task in tasks]
    name = RUN_NAME_OVERRIDE  # resolved inside each job, to that job's own overrides
    assert overrides == [
        ["+experiment=stable_reinforce", "r1_reward.pre_clip.log_bound=5", name],
        ["+experiment=stable_reinforce", "r1_reward.pre_clip.log_bound=10", name],
    ]
    assert [task.args[2] for task in tasks] == [0, 1]  # hydra.job.num of each point
