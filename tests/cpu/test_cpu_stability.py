"""benchmarks/stability.py (Table 5 in miniature) on a tiny setting, so the command cannot rot."""

import json
import math

import benchmark_scripts
import pytest
import torch


@pytest.fixture(scope="module")
def stability():
    return benchmark_scripts.load("stability")


@pytest.mark.parametrize(
    ("variant", "estimator", "pre_clip", "threshold"),
    [
        ("stable_reinforce", "stable_reinforce", True, 3.0),
        ("reinforce_pp", "reinforce_plus_plus", False, 3.0),  # threshold inherited, unused by verl's estimator
        ("no_pre_clip", "stable_reinforce", False, 3.0),
        ("no_adv_filter", "stable_reinforce", True, None),
    ],
)
def test_each_variant_trains_with_its_experiment_config(stability, variant, estimator, pre_clip, threshold):
    actor, algo = stability.variant_configs(variant, "stress", batch=16)
    assert algo.adv_estimator == estimator
    assert actor.policy_loss.loss_mode == "stable_reinforce" and actor.policy_loss.enabled is pre_clip
    assert actor.policy_loss.dual_clip is False  # Table 5 baselines are plain PPO clip
    assert algo.get("adv_filter_threshold", None) == threshold
    assert actor.loss_agg_mode == "seq-mean-token-mean"  # from conf/experiment/stable_reinforce.yaml
    assert actor.ppo_epochs == 2 and actor.ppo_mini_batch_size == 4
    assert actor.optim.lr == 1e-2 and actor.optim.clip_grad == 1e6


@pytest.mark.e2e  # real SFT + RL steps: ~15 s alone, ~2 min on a loaded 2-core box
def test_tiny_run_writes_table_json_and_plots(stability, tmp_path):
    args = ["--out", str(tmp_path), "--seeds", "1", "--steps", "2", "--batch", "4", "--train", "8", "--test", "4",
            "--eval-every", "1", "--sft-steps", "2", "--sft-batch", "4", "--regimes", "stress",
            "--variants", "stable_reinforce,no_pre_clip"]  # fmt: skip
    threads = torch.get_num_threads()
    try:
        result = stability.main(args)
    finally:
        torch.set_num_threads(threads)  # main sets 1 thread for the process
    assert [(row["variant"], row["seeds"]) for row in result["summary"]] == [
        ("stable_reinforce", 1),
        ("no_pre_clip", 1),
    ]
    for run in result["runs"]:
        assert [s["step"] for s in run["history"]] == [1, 2]
        # 2 PPO epochs x 4 mini-batches of 1 rollout each = 8 optimizer steps per rollout batch.
        assert all(s["updates"] == 8 for s in run["history"])
        assert all(0.0 <= s["heldout_accuracy"] <= 1.0 for s in run["history"])
        if run["variant"] == "no_pre_clip":  # pre-clip off: nothing can be clamped
            assert all(s["pre_clipfrac"] == 0.0 for s in run["history"])
    saved = json.loads((tmp_path / "stability.json").read_text())
    assert len(saved["runs"]) == 2 and math.isfinite(saved["wall_s"])
    table = (tmp_path / "stability.md").read_text().splitlines()
    assert table[0].startswith("| regime | variant |") and len(table) == 4
    assert (tmp_path / "stability.png").stat().st_size > 0
    assert (tmp_path / "metrics" / "stress_stable_reinforce_s0.png").stat().st_size > 0
