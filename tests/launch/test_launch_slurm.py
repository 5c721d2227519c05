"""launch/slurm/train.sh run under fake srun/scontrol/python on a 3-node allocation (no Slurm, no Ray), and once
on one node with real Ray (e2e)."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = REPO / "launch" / "slurm" / "train.sh"
OVERRIDES = ["+experiment=stable_reinforce", "data.train_files=/d/rl.parquet"]


def run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # A Ray step left running would keep the script waiting for the fake's 60 s sleep, so the timeout also checks
    # that the cleanup trap stops the Ray steps.
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)


def ray_starts(calls: list[list[str]]) -> list[list[str]]:
    return [call for call in calls if call[0] == "srun" and "ray" in call and "start" in call]


def node_of(call: list[str]) -> str:
    return call[call.index("-w") + 1]


def trainings(calls: list[list[str]]) -> list[list[str]]:
    return [call for call in calls if "r1_reward.main_ppo" in call]


def test_three_nodes_start_one_head_two_workers_and_train_on_the_head(fake_env, calls, tmp_path):
    result = run_script(fake_env, *OVERRIDES)
    assert result.returncode == 0, result.stderr
    starts = ray_starts(calls())
    heads = [call for call in starts if "--head" in call]
    workers = [call for call in starts if "--head" not in call]
    assert [node_of(call) for call in heads] == ["node1"]
    assert sorted(node_of(call) for call in workers) == ["node2", "node3"]
    # Workers join the head at the IP that `hostname --ip-address` gave on node1.
    assert all("--address=10.0.0.1:6379" in call for call in workers)
    assert all("--num-gpus=8" in call and "--block" in call for call in starts)

    runs = trainings(calls())
    assert len(runs) == 1 and runs[0][0] == "python"  # started directly on the batch (head) node, not via srun
    assert runs[0][3:] == ["trainer.nnodes=3", "trainer.n_gpus_per_node=8", *OVERRIDES]
    env_lines = (tmp_path / "calls.log.env").read_text().splitlines()
    assert env_lines[-1].startswith("python token ") and env_lines[-1].endswith(" 10.0.0.1:6379")
    logs = sorted(path.name for path in (tmp_path / "logs").iterdir())
    assert logs == ["ray-head-node1.log", "ray-worker-node2.log", "ray-worker-node3.log"]


def test_every_ray_node_and_the_driver_share_one_fresh_auth_token(fake_env, tmp_path):
    assert run_script(fake_env).returncode == 0
    env_lines = [line.split() for line in (tmp_path / "calls.log.env").read_text().splitlines()]
    assert sorted(line[0] for line in env_lines) == ["python", "srun", "srun", "srun"]
    assert {line[1] for line in env_lines} == {"token"}
    tokens = {line[2] for line in env_lines}
    assert len(tokens) == 1 and re.fullmatch("[0-9a-f]{32}", tokens.pop())
    # A second job gets a token of its own.
    (tmp_path / "calls.log.env").unlink()
    assert run_script(fake_env).returncode == 0
    assert (tmp_path / "calls.log.env").read_text().split()[2] not in {line[2] for line in env_lines}


def test_readiness_check_asks_for_every_node_and_gpu(fake_env, calls):
    assert run_script(fake_env).returncode == 0
    checks = [call for call in calls() if "r1_reward.cluster.cluster_ready" in call]
    assert checks and all(call[-4:] == ["--nodes", "3", "--gpus", "24"] for call in checks)


def test_judge_nodes_are_taken_out_of_training_and_given_to_the_reward_pool(fake_env, calls):
    fake_env["JUDGE_NODES"] = "1"
    assert run_script(fake_env, "judge=pool").returncode == 0
    assert trainings(calls())[0][3:] == [
        "trainer.nnodes=2",
        "trainer.n_gpus_per_node=8",
        "reward.reward_model.enable_resource_pool=true",
        "reward.reward_model.nnodes=1",
        "reward.reward_model.n_gpus_per_node=8",
        "r1_reward.cluster.train_node_resource=r1_reward_train_node",
        "r1_reward.cluster.judge_node_resource=r1_reward_judge_node",
        "judge=pool",
    ]
    # The last node is the judge's: each node offers its role's resource, which verl's pools are pinned to.
    roles = {node_of(call): [arg for arg in call if arg.startswith("--resources=")] for call in ray_starts(calls())}
    assert roles == {
        "node1": ['--resources={"r1_reward_train_node": 1}'],
        "node2": ['--resources={"r1_reward_train_node": 1}'],
        "node3": ['--resources={"r1_reward_judge_node": 1}'],
    }
    # The judge node is still a Ray node: the cluster must have all 3 nodes before training starts.
    check = next(call for call in calls() if "r1_reward.cluster.cluster_ready" in call)
    assert check[-4:] == ["--nodes", "3", "--gpus", "24"]


def test_cluster_that_never_completes_times_out_with_a_clear_message(fake_env, calls):
    fake_env.update(FAKE_READY="1", RAY_WAIT_TIMEOUT="2", RAY_POLL_INTERVAL="1")
    result = run_script(fake_env)
    assert result.returncode == 1
    assert "Ray did not report 3 nodes and 24 GPUs within 2s" in result.stderr
    assert "raise RAY_WAIT_TIMEOUT" in result.stderr
    assert trainings(calls()) == []
    # Polled at 0, 1 and 2 s before giving up.
    assert len([call for call in calls() if "r1_reward.cluster.cluster_ready" in call]) == 3


def test_a_ray_node_that_exits_early_fails_fast(fake_env, calls):
    fake_env.update(FAKE_READY="1", FAKE_RAY_STAYS_UP="0", RAY_WAIT_TIMEOUT="30", RAY_POLL_INTERVAL="1")
    result = run_script(fake_env)
    assert result.returncode == 1
    assert "a Ray node exited before the cluster was complete" in result.stderr
    assert trainings(calls()) == []


def test_judge_nodes_with_another_judge_named_are_refused_before_ray_starts(fake_env, calls):
    # With another judge nothing would run on the reserved node: it would sit idle for the whole job.
    fake_env["JUDGE_NODES"] = "1"
    for overrides in (["judge=rule"], ["judge=endpoint", "r1_reward.judge.base_url=http://judge:8000/v1"]):
        result = run_script(fake_env, *overrides)
        assert result.returncode == 1
        assert f"JUDGE_NODES=1 reserves node(s) for verl's judge pool, but {overrides[0]}" in result.stderr
        assert "use judge=pool, or set JUDGE_NODES=0" in result.stderr
    assert ray_starts(calls()) == []


def test_a_ray_node_that_dies_during_training_stops_the_job_naming_the_node(fake_env, fake_bin, calls):
    # node3's Ray step ends after 4 s, during a training that would take 60 s.
    node3_dies = 'exec sleep "$([[ " $* " == *" node3 "* ]] && echo 4 || echo 60)"'
    (fake_bin / "srun").write_text((fake_bin / "srun").read_text().replace("exec sleep 60", node3_dies))
    # The cluster is ready at once; training would take 60 s.
    (fake_bin / "python").write_text(
        '#!/usr/bin/env bash\necho "python $*" >>"$FAKE_LOG"\n'
        '[[ " $* " == *" r1_reward.main_ppo "* ]] && exec sleep 60\nexit 0\n'
    )
    result = run_script(fake_env)
    assert result.returncode == 1
    assert "the Ray node on node3 exited during training, so training was stopped" in result.stderr
    assert "ray-worker-node3.log" in result.stderr
    assert any("r1_reward.main_ppo" in line for line in Path(fake_env["FAKE_LOG"]).read_text().splitlines())


def test_too_many_judge_nodes_is_refused(fake_env, calls):
    fake_env["JUDGE_NODES"] = "3"
    result = run_script(fake_env)
    assert result.returncode == 1
    assert "JUDGE_NODES=3 leaves no training node out of 3" in result.stderr
    assert ray_starts(calls()) == []


def test_missing_gpu_count_names_the_fix(fake_env):
    del fake_env["SLURM_GPUS_ON_NODE"]
    result = run_script(fake_env)
    assert result.returncode == 1
    assert "sbatch --gpus-per-node=8" in result.stderr


def test_scripts_parse_and_are_shellcheck_clean():
    scripts = sorted((REPO / "launch").rglob("*.sh"))
    assert SCRIPT in scripts
    for script in scripts:
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run([str(shellcheck), *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


LOCAL_SRUN = """#!/usr/bin/env bash
# Runs the step on this machine, as srun would on the node named by -w.
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in -w) shift 2 ;; *) shift ;; esac
done
[[ $1 == hostname ]] && { echo 127.0.0.1; exit; }
exec "$@"
"""

# Stands in for training: a driver that joins the job's Ray cluster the way verl's ray.init() does (RAY_ADDRESS).
DRIVER_PYTHON = """#!/usr/bin/env bash
driver='import ray; ray.init(); print("DRIVER", ray.cluster_resources()["GPU"])'
case " $* " in
  *" r1_reward.main_ppo "*) exec {python} -c "$driver" ;;
  *) exec {python} "$@" ;;
esac
"""


@pytest.mark.e2e
def test_one_node_job_with_real_ray_start_token_and_driver(fake_env, fake_bin, tmp_path):
    """Real `ray start --head`, readiness check and driver connection, with the job's own auth token."""
    (fake_bin / "srun").write_text(LOCAL_SRUN)
    (fake_bin / "ray").unlink()  # the real one from the venv
    (fake_bin / "python").write_text(DRIVER_PYTHON.format(python=sys.executable))
    ray_tmp = tempfile.mkdtemp(prefix="r1l-")  # short: Ray's socket paths must stay under 108 bytes
    fake_env.update(
        FAKE_NODES="1",
        SLURM_JOB_NODELIST="node1",
        GPUS_PER_NODE="2",
        CPUS_PER_NODE="1",
        RAY_PORT="6391",
        RAY_TMPDIR=ray_tmp,  # keeps this head out of /tmp/ray, which other local Ray users read
        RAY_WAIT_TIMEOUT="120",
        RAY_POLL_INTERVAL="2",
        PYTHONPATH=str(REPO),
        PATH=f"{fake_bin}:{Path(sys.executable).parent}:{fake_env['PATH']}",
    )
    inner = f"ip link set lo up && exec bash {SCRIPT}"
    result = subprocess.run(
        ["unshare", "-n", "bash", "-c", inner], env=fake_env, capture_output=True, text=True, timeout=300
    )
    shutil.rmtree(ray_tmp, ignore_errors=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Ray cluster: 1/1 nodes, 2/2 GPUs" in result.stdout
    assert "DRIVER 2.0" in result.stdout
