"""Fake cluster executables for the launch-script tests: each logs its argv, one call per line, tab-separated."""

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LOG_ENV = 'echo "$(basename "$0") $RAY_AUTH_MODE ${RAY_AUTH_TOKEN:-none} ${RAY_ADDRESS:-none}" >>"$FAKE_LOG.env"\n'
# One write per call: fakes run concurrently (head and worker steps), and piecewise appends would interleave.
LOG_CALL = (
    'line=$(basename "$0"); for arg in "$@"; do line+=$\'\\t\'"$arg"; done; printf "%s\\n" "$line" >>"$FAKE_LOG"\n'
)

# Variables the scripts read or forward: the tests set the ones they need themselves.
SCRUBBED_ENV = ("SLURM_", "RAY_", "HF_", "WANDB_", "VERL_")

FAKES = {
    # scontrol show hostnames <list>: one host per line, as Slurm prints them.
    "scontrol": 'for ((i = 1; i <= FAKE_NODES; i++)); do echo "node$i"; done\n',
    # srun: answers `hostname --ip-address`; a blocking `ray start` stays up until the script kills it.
    "srun": 'case " $* " in\n'
    '  *" hostname "*) echo "10.0.0.1 fe80::1" ;;\n'
    '  *" --block "*) ' + LOG_ENV + '[[ "${FAKE_RAY_STAYS_UP:-1}" == 1 ]] && exec sleep 60 ;;\n'
    "esac\n",
    # python: the readiness check passes once every node's `ray start` is up, unless FAKE_READY=1; training returns.
    "python": 'case " $* " in\n'
    '  *" r1_reward.cluster.cluster_ready "*)\n'
    '    up=$(grep -c "^srun " "$FAKE_LOG.env" 2>/dev/null || true)\n'
    '    [[ "${FAKE_READY:-0}" == 0 && "$up" -ge "$FAKE_NODES" ]] ;;\n'
    '  *" r1_reward.main_ppo "*) ' + LOG_ENV + " ;;\n"
    "esac\n",
    # ray: job submission to an existing cluster; keeps a copy of the --runtime-env file and its mode (the script
    # removes the file when it exits).
    "ray": "for ((i = 1; i < $#; i++)); do\n"
    "  if [[ ${!i} == --runtime-env ]]; then j=$((i + 1)); file=${!j}\n"
    '    cp "$file" "$FAKE_LOG.runtime_env"; stat -c %a "$file" >"$FAKE_LOG.runtime_env.mode"; fi\n'
    "done\n",
}


@pytest.fixture
def calls(tmp_path: Path) -> Callable[[], list[list[str]]]:
    """Reader of the logged calls, each as [program, arg1, arg2, ...]."""

    def read() -> list[list[str]]:
        log = tmp_path / "calls.log"
        return [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []

    return read


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A directory of fake srun/scontrol/python/ray executables that log their argv to ``$FAKE_LOG``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in FAKES.items():
        path = bin_dir / name
        path.write_text("#!/usr/bin/env bash\n" + LOG_CALL + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return bin_dir


@pytest.fixture
def fake_env(fake_bin: Path, tmp_path: Path) -> dict[str, str]:
    """Environment with the fakes first on PATH and a 3-node, 8-GPU-per-node Slurm allocation."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED_ENV)}
    env.update(
        PATH=f"{fake_bin}:{os.environ['PATH']}",
        FAKE_LOG=str(tmp_path / "calls.log"),
        FAKE_NODES="3",
        SLURM_JOB_NODELIST="node[1-3]",
        SLURM_JOB_ID="42",
        SLURM_GPUS_ON_NODE="8",
        LOG_DIR=str(tmp_path / "logs"),
        RAY_POLL_INTERVAL="1",
    )
    return env
