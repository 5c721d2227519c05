"""benchmarks/learning.py: its options, its table (min and spread over seeds) and its wiring of the demo's stages and
the toy controls. The stages themselves are the demo's (a real run takes ~10 min a seed, too long for a test)."""

import json
from pathlib import Path

import benchmark_scripts
import pandas as pd
import pytest

from r1_reward.data import toy


@pytest.fixture(scope="module")
def learning():
    return benchmark_scripts.load("learning")


def test_options_are_the_demos_plus_seeds(learning):
    seeds, settings = learning.arguments(["--seeds", "2", "--rl-steps", "9", "--seed", "5"])
    assert (seeds, settings.rl_steps, settings.seed, settings.out) == (2, 9, 5, Path("outputs/learning"))
    assert learning.arguments([])[0] == 3
    with pytest.raises(SystemExit):
        learning.arguments(["--seeds", "0"])


def _figures(acc, agree):
    return {"overall_acc": acc, "reasoning_agrees_rate": agree, "reasoning_right_rate": 90.0, "unparseable_rate": 0.0,
            "position_bias": None}  # fmt: skip


def _row(learning, seed, sft, rl, controls):
    summary = {"figures": {"after SFT": _figures(sft, 50.0), "after RL": _figures(rl, 96.0)}, "stage_s": {}}
    return learning.seed_row(seed, summary, controls, 600.0 + seed)


def test_table_has_a_row_per_seed_then_min_and_spread(learning):
    controls = [
        dict(zip(learning.CONTROLS, (46.875, 53.125, 6.25))),
        dict(zip(learning.CONTROLS, (50.0, 40.625, 12.5))),
    ]
    rows = [_row(learning, 0, 50.0, 93.75, controls[0]), _row(learning, 1, 46.875, 87.5, controls[1])]
    lines = learning.table(rows)
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert cells[0][:4] == ["seed", "SFT acc", "RL acc", "gain"]
    assert cells[2] == ["0", "50.0", "93.8", "43.8", "50.0", "96.0", "90.0", "0.0", "–", "46.9", "53.1", "6.2", "600.0"]
    assert cells[3][:4] == ["1", "46.9", "87.5", "40.6"]
    assert cells[4] == [
        "min",
        "46.9",
        "87.5",
        "40.6",
        "50.0",
        "96.0",
        "90.0",
        "0.0",
        "–",
        "46.9",
        "40.6",
        "6.2",
        "600.0",
    ]
    assert cells[5][:4] == ["spread", "3.1", "6.2", "3.1"] and cells[5][10] == "12.5"


def test_controls_evaluate_the_rl_checkpoint_on_each_control_split(learning, tmp_path, monkeypatch):
    test_file = toy.write(tmp_path / "data", n_train=2, n_test=4, seed=0)["test"]
    calls = []

    def fake_evaluate(model, data, out, env):
        calls.append((model, data, out))
        return {"overall_acc": 0.5 if "in_pair_swap" not in str(data) else 0.0}

    monkeypatch.setattr(learning.demo, "evaluate", fake_evaluate)
    summary = {"paths": {"rl_model": "/run/checkpoints", "eval": str(tmp_path / "eval"), "test": str(test_file)}}
    found = learning.controls(summary, {})
    assert found == {"shuffled_images": 50.0, "foreign_responses": 50.0, "in_pair_swap": 0.0}
    assert [(str(model), Path(data).name) for model, data, _ in calls] == [
        ("/run/checkpoints", f"test_{control}.parquet") for control in learning.CONTROLS
    ]
    swapped = pd.read_parquet(tmp_path / "data" / "test_in_pair_swap.parquet")  # written beside the test split
    assert swapped["extra_info"][0]["answer1"] == pd.read_parquet(test_file)["extra_info"][0]["answer2"]


def test_main_runs_the_demo_stages_once_per_seed_and_writes_the_table(learning, tmp_path, monkeypatch, capsys):
    ran = []

    def fake_stages(settings, label):
        ran.append((settings.seed, settings.out, settings.rl_steps, label))
        return {"figures": {"after SFT": _figures(50.0, 50.0), "after RL": _figures(90.0 + settings.seed, 95.0)},
                "stage_s": {"sft": 1.0}, "paths": {}}  # fmt: skip

    monkeypatch.setattr(learning.demo, "run_stages", fake_stages)
    monkeypatch.setattr(learning, "controls", lambda summary, env: dict.fromkeys(learning.CONTROLS, 50.0))
    rows = learning.main(["--seeds", "2", "--seed", "1", "--rl-steps", "3", "--out", str(tmp_path)])
    assert ran == [(1, tmp_path / "seed1", 3, "seed 1"), (2, tmp_path / "seed2", 3, "seed 2")]
    assert [row["gain"] for row in rows] == [41.0, 42.0]
    printed = capsys.readouterr().out
    assert "| min | 50.0 | 91.0 | 41.0 |" in printed and "| spread | 0.0 | 1.0 | 1.0 |" in printed
    assert "| min | 50.0 | 91.0 | 41.0 |" in (tmp_path / "learning.md").read_text()
    assert len(json.loads((tmp_path / "learning.json").read_text())["rows"]) == 2
