"""Baseline judges through the CLI: `first` / `longer` / `random` under each order, and `score` from predictions."""

import json

import pytest

from r1_reward.evaluate.__main__ import main

# chosen longer / rejected longer / equal length (a tie goes to Response 1)
ROWS = [
    {"id": "hallucination_pair-1", "prompt": "p", "chosen": "long answer", "rejected": "short", "image": "a.jpg"},
    {"id": "mathverse_2", "prompt": "p", "chosen": "short", "rejected": "long answer", "image": "a.jpg"},
    {"id": "wildvision-3", "prompt": "p", "chosen": "same1", "rejected": "same2", "image": "a.jpg"},
]


def _run(tmp_path, judge, order, rows=ROWS, extra=()):
    data = tmp_path / "vl.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / f"{judge}_{order}.json"
    argv = ["run", "--benchmark", "vl_rewardbench", "--data", str(data), "--judge", judge, "--order", order]
    return main([*argv, "--out", str(out), *extra]), out


@pytest.mark.parametrize(
    ("judge", "order", "acc", "bias"),
    [
        ("first", "both", 0.5, 1.0),  # right exactly when the preferred answer sits in slot 1
        ("first", "chosen_first", 1.0, None),  # the authors' protocol: always-1 scores 100%
        ("longer", "both", 3 / 6, 1 / 3),  # item 1 right twice, item 2 wrong twice, the tie follows slot 1
        ("longer", "chosen_first", 2 / 3, None),
    ],
)
def test_deterministic_baselines(tmp_path, judge, order, acc, bias):
    metrics, out = _run(tmp_path, judge, order)
    assert metrics["overall_acc"] == pytest.approx(acc)
    assert metrics["position_bias"] == (None if bias is None else pytest.approx(bias))
    assert json.loads(out.read_text()) == json.loads(json.dumps(metrics))
    assert out.with_suffix(".md").read_text().startswith("### vl_rewardbench")


def test_random_is_seeded_near_chance_and_score_reproduces(tmp_path):
    rows = [{"id": f"RLAIF-V-{n}", "prompt": "p", "chosen": "c", "rejected": "r", "image": "a.jpg"} for n in range(400)]
    metrics, out = _run(tmp_path, "random", "both", rows, ["--samples", "3"])
    assert 0.42 < metrics["overall_acc"] < 0.58
    assert 0.42 < metrics["position_bias"] < 0.58  # two independent coins name the same slot half the time
    assert 0.7 < metrics["scaling"]["any@3"] < 0.95  # 1 - 0.5**3 = 0.875 expected
    assert out.with_name(out.stem + ".scaling.png").stat().st_size > 1000
    predictions = out.with_name(out.stem + ".predictions.jsonl")
    rescored = main(["score", "--predictions", str(predictions), "--out", str(tmp_path / "rescored.json")])
    assert rescored == metrics
    (tmp_path / "seed1").mkdir()
    other_seed, _ = _run(tmp_path / "seed1", "random", "both", rows, ["--samples", "3", "--seed", "1"])
    assert other_seed["overall_acc"] != metrics["overall_acc"]


def test_rerun_with_other_settings_is_refused(tmp_path):
    _run(tmp_path, "first", "both")
    with pytest.raises(ValueError, match="judge: 'first' -> 'longer'"):
        _run(tmp_path, "longer", "both", extra=["--predictions", str(tmp_path / "first_both.predictions.jsonl")])
