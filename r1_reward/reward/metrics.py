"""Step metrics from the per-sample sub-scores R1RewardManager returns (verl stores them per sample as
``reward_extra_info``; verl 0.9.1 averages them only for validation, so a trainer can log these for training).
"""

from collections.abc import Mapping, Sequence

import numpy as np

SUB_SCORES = ("score", "format", "result", "consistency", "judged", "judge_failed")


def reward_metrics(extra: Mapping[str, Sequence[float]], prefix: str = "reward/") -> dict[str, float]:
    """Format rate, accuracy, consistency rate (among answered judge calls), judge calls and failures."""
    if not all(key in extra for key in SUB_SCORES):
        return {}
    values = {key: np.asarray(extra[key], dtype=np.float64) for key in SUB_SCORES}
    answered = (values["judged"] == 1.0) & (values["judge_failed"] == 0.0)
    consistency_rate = float(values["consistency"][answered].mean()) if answered.any() else float("nan")
    return {
        f"{prefix}mean": float(values["score"].mean()),
        f"{prefix}format_rate": float(values["format"].mean()),
        f"{prefix}accuracy": float(values["result"].mean()),
        f"{prefix}consistency_rate": consistency_rate,
        f"{prefix}judge_calls": float(values["judged"].sum()),
        f"{prefix}judge_failures": float(values["judge_failed"].sum()),
    }
