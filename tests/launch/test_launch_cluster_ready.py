"""The Ray readiness check polled by launch/slurm/train.sh."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from r1_reward.cluster.cluster_ready import main, readiness

REPO = Path(__file__).resolve().parents[2]


def node(alive: bool, gpus: float | None) -> dict:
    """A record shaped like one entry of ``ray.nodes()``."""
    resources = {"CPU": 64.0, "memory": 1e11} | ({} if gpus is None else {"GPU": gpus})
    return {"NodeID": "x", "Alive": alive, "Resources": resources}


@pytest.mark.parametrize(
    ("nodes", "want_nodes", "want_gpus", "ready", "status"),
    [
        ([node(True, 8), node(True, 8), node(True, 8)], 3, 24, True, "3/3 nodes, 24/24 GPUs"),
        ([node(True, 8), node(True, 8)], 3, 24, False, "2/3 nodes, 16/24 GPUs"),
        # A dead node still listed by Ray does not count, nor do its GPUs.
        ([node(True, 8), node(True, 8), node(False, 8)], 3, 24, False, "2/3 nodes, 16/24 GPUs"),
        # All nodes joined but one without GPUs (CUDA_VISIBLE_DEVICES empty on it): not ready.
        ([node(True, 8), node(True, 8), node(True, None)], 3, 24, False, "3/3 nodes, 16/24 GPUs"),
    ],
)
def test_readiness_counts_alive_nodes_and_their_gpus(nodes, want_nodes, want_gpus, ready, status):
    assert readiness(nodes, want_nodes, want_gpus) == (ready, f"Ray cluster: {status}")


RAY_CHECK = """
ip link set lo up
export RAY_ADDRESS= PYTHONPATH={repo} RAY_AUTH_MODE=token RAY_AUTH_TOKEN=00112233445566778899aabbccddeeff
check() {{ {python} -m r1_reward.cluster.cluster_ready --address 127.0.0.1:6399 "$@" 2>/dev/null; }}
$(dirname {python})/ray start --head --node-ip-address=127.0.0.1 --port=6399 --num-gpus=2 --num-cpus=1 \\
    --include-dashboard=false --temp-dir={temp_dir} --block >/dev/null 2>&1 &
head=$!
trap 'kill $head; wait $head' EXIT
for _ in $(seq 30); do check --nodes 1 --gpus 2 && break; sleep 1; done && echo READY-1-2
check --nodes 2 --gpus 2 || echo NOT-READY-2-2
"""


@pytest.mark.e2e
def test_check_against_a_real_one_node_ray_cluster():
    """Real ``ray start --head`` with 2 logical GPUs, in a loopback-only network namespace."""
    # A private temp dir keeps this head out of /tmp/ray/ray_current_cluster, which other local Ray users read.
    temp_dir = tempfile.mkdtemp(prefix="r1l-ray-")  # short: Ray's socket paths must stay under 108 bytes
    script = RAY_CHECK.format(repo=REPO, python=sys.executable, temp_dir=temp_dir)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    result = subprocess.run(
        ["unshare", "-n", "bash", "-c", script], capture_output=True, text=True, timeout=180, env=env
    )
    shutil.rmtree(temp_dir, ignore_errors=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ray cluster: 1/1 nodes, 2/2 GPUs\nREADY-1-2" in result.stdout
    assert "Ray cluster: 1/2 nodes, 2/2 GPUs\nNOT-READY-2-2" in result.stdout


def test_a_head_that_is_not_listening_is_not_ready_at_once(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # a free port nobody listens on once the probe is closed
    started = time.monotonic()
    assert main(["--address", f"127.0.0.1:{port}", "--nodes", "1", "--gpus", "1"]) == 1
    assert time.monotonic() - started < 10  # not ray.init()'s long retry loop
    assert capsys.readouterr().out == f"Ray head at 127.0.0.1:{port} not listening yet\n"
