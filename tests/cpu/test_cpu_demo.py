"""The demo's stages as commands (they compose into the configs they mean to set) and its printed summary."""

import json
import math
from pathlib import Path

import pytest
from hydra_compose import CONF, compose_config

from r1_reward.cpu import demo


def overrides(command: list[str]) -> list[str]:
    """The Hydra overrides of a stage command (after ``python -m module``), less Hydra's own run dir."""
    return [arg for arg in command[3:] if not arg.startswith("hydra.")]


SETTINGS = demo.Settings(out=Path("/demo"), seed=3, sft_steps=7, sft_batch=16, sft_lr=1e-3, rl_steps=5, rl_batch=4,
                         rl_n=2, rl_temperature=0.9, rl_lr=2e-4)  # fmt: skip


def test_rl_command_composes_stable_reinforce_on_the_cpu_profile_with_the_rule_judge():
    command = demo.rl_command(SETTINGS, Path("/demo/sft/hf"))
    assert command[1:3] == ["-m", "r1_reward.main_ppo"]
    config = compose_config(*overrides(command))
    assert config.r1_reward.judge.backend == "rule"
    assert config.reward.reward_model.enable is False  # no judge pool is started
    assert config.actor_rollout_ref.model.path == "/demo/sft/hf"
    rollout = config.actor_rollout_ref.rollout
    assert (rollout.name, rollout.n, rollout.temperature, rollout.seed) == ("vllm", 2, 0.9, 3)  # the profile's rollout
    actor = config.actor_rollout_ref.actor
    assert (actor.optim.lr, actor.ppo_mini_batch_size, config.data.train_batch_size) == (2e-4, 4, 4)
    assert (config.trainer.total_training_steps, config.trainer.save_freq, config.data.seed) == (5, 5, 3)
    assert config.algorithm.adv_estimator == "stable_reinforce"
    assert "hydra.run.dir=/demo/rl" in command  # the run folder: metrics.jsonl, checkpoints/, the plot


def test_sft_command_composes_the_cold_start_on_the_cpu_sft_profile():
    command = demo.sft_command(SETTINGS)
    config = compose_config(*overrides(command), config_name="r1_reward_sft", config_dir=CONF / "sft")
    assert config.data.train_files == "/demo/data/sft_train.parquet" and config.model.path == "/demo/model/vl"
    assert (config.data.train_batch_size, config.data.micro_batch_size_per_gpu, config.optim.lr) == (16, 16, 1e-3)
    assert (config.trainer.total_training_steps, config.trainer.save_freq, config.trainer.seed) == (7, 7, 3)
    assert config.trainer.default_local_dir == "/demo/sft/checkpoints"
    assert config.engine.mixed_precision.param_dtype == "fp32"


def test_options_map_onto_settings():
    import argparse

    parser = argparse.ArgumentParser()
    demo.add_options(parser)
    assert demo.settings_from(parser.parse_args([])) == demo.Settings()
    args = parser.parse_args(["--seed", "2", "--rl-n", "8", "--sft-lr", "1e-2", "--out", "/x"])
    assert demo.settings_from(args) == demo.Settings(seed=2, rl_n=8, sft_lr=1e-2, out=Path("/x"))


def test_figures_are_percent_and_keep_missing_ones_missing():
    metrics = {"overall_acc": 0.5, "reasoning_agrees_rate": 0.25, "reasoning_right_rate": 1.0,
               "unparseable_rate": 0.0, "position_bias": None}  # fmt: skip
    assert demo.figures(metrics) == {"overall_acc": 50.0, "reasoning_agrees_rate": 25.0, "reasoning_right_rate": 100.0,
                                     "unparseable_rate": 0.0, "position_bias": None}  # fmt: skip


def test_summary_lines_quote_both_evaluations_and_what_rl_changed():
    figures = {"after SFT": {"overall_acc": 50.0, "reasoning_agrees_rate": 43.75, "reasoning_right_rate": 90.625,
                             "unparseable_rate": 0.0, "position_bias": 100.0},
               "after RL": {"overall_acc": 93.75, "reasoning_agrees_rate": 100.0, "reasoning_right_rate": 93.75,
                            "unparseable_rate": 0.0, "position_bias": 6.25}}  # fmt: skip
    summary = {"figures": figures, "settings": {"test": 32}, "rl_reward": [1.0, 1.2, math.nan, 1.5, 1.75, 2.0],
               "rl_consistency": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0], "rl_step_s": [9.0, 4.0, 5.0],
               "stage_s": {"build": 1.0, "sft": 100.0}, "total_s": 101.0,
               "paths": {"plot": "/demo/rl/dynamics.png"}}  # fmt: skip
    lines = demo.summary_lines(summary)
    assert lines[1].split() == ["after", "SFT", "50.0%", "43.8%", "90.6%", "0.0%", "100.0%"]
    assert lines[2].split() == ["after", "RL", "93.8%", "100.0%", "93.8%", "0.0%", "6.2%"]
    assert "held-out accuracy by +43.8 points and answer/reasoning agreement by +56.2 points" in lines[3]
    assert "32 pairs x 2 answer orders" in lines[3]
    # Reward: mean of the first 5 finite values (1.0, 1.2, 1.5, 1.75) and of the last 5 (1.2, 1.5, 1.75, 2.0).
    assert "first 5 steps 1.36, last 5 1.61" in lines[4]
    assert "first 5 steps 0.70, last 5 0.80" in lines[5]
    assert lines[6] == "stage times: build 1s, sft 100s; total 101s; RL step median 5.0s"
    assert lines[7] == "plot: /demo/rl/dynamics.png"


@pytest.mark.parametrize(
    ("values", "line"), [([0.0, 1.0, 2.0], "▁▅█"), ([1.0, 1.0], "▁▁"), ([0.0, math.nan, 1.0], "▁ █")]
)
def test_sparkline(values, line):
    assert demo.sparkline(values) == line


def test_prepare_builds_the_policy_with_the_demos_sizes_and_weight_spread(tmp_path):
    from safetensors.torch import load_file

    paths = demo.prepare(demo.Settings(out=tmp_path, train=4, test=2, init_std=0.2))
    weights = load_file(paths["model"] / "model.safetensors")
    query = weights["model.layers.0.self_attn.q_proj.weight"]
    assert query.shape == (128, 128) and 0.18 < float(query.std()) < 0.22  # not transformers' 0.02
    assert paths["sft_train"].exists() and paths["test"].exists()


def test_training_curve_is_nan_where_a_step_logged_nothing_or_null(tmp_path):
    # a step with no right answer logs reward/consistency_rate as null (a measured demo run crashed on it)
    lines = [{"step": 1, "data": {"rate": 0.5}}, {"step": 2, "data": {"rate": None}}, {"step": 3, "data": {}}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    curve = demo.training_curve(tmp_path, "rate")
    assert curve[0] == 0.5 and math.isnan(curve[1]) and math.isnan(curve[2])
