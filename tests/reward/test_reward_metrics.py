"""Step metrics from per-sample sub-scores, checked on a hand-made batch."""

import math

from r1_reward.reward.metrics import reward_metrics


def test_reward_metrics_by_hand() -> None:
    # 4 samples: right+consistent, right+inconsistent, right+judge failed, wrong
    extra = {
        "score": [2.0, 1.5, 1.5, 0.5],
        "format": [1.0, 1.0, 1.0, 1.0],
        "result": [1.0, 1.0, 1.0, 0.0],
        "consistency": [1.0, 0.0, 0.0, 0.0],
        "judged": [1.0, 1.0, 1.0, 0.0],
        "judge_failed": [0.0, 0.0, 1.0, 0.0],
    }
    assert reward_metrics(extra) == {
        "reward/mean": 1.375,
        "reward/format_rate": 1.0,
        "reward/accuracy": 0.75,
        "reward/consistency_rate": 0.5,  # 1 of the 2 answered calls
        "reward/judge_calls": 3.0,
        "reward/judge_failures": 1.0,
    }


def test_no_judge_calls_gives_nan_rate_and_missing_keys_give_nothing() -> None:
    extra = {k: [0.0] for k in ("score", "format", "result", "consistency", "judged", "judge_failed")}
    assert math.isnan(reward_metrics(extra)["reward/consistency_rate"])
    assert reward_metrics({"score": [1.0]}) == {}
