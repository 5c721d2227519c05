"""Evaluation of pairwise reward judges on VL-RewardBench, MM-RLHF-RewardBench and Multimodal RewardBench.

Python API: ``load_benchmark`` → ``make_model`` → ``evaluate`` (judge, resumable, then score); ``score`` recomputes
metrics from a predictions file. The CLI is ``python -m r1_reward.evaluate {run,score}``.
"""

from r1_reward.evaluate.items import BenchItem, Presentation, presentations
from r1_reward.evaluate.loaders import load_benchmark
from r1_reward.evaluate.models import make_model
from r1_reward.evaluate.runner import evaluate, judge_all, score

__all__ = [
    "BenchItem",
    "Presentation",
    "evaluate",
    "judge_all",
    "load_benchmark",
    "make_model",
    "presentations",
    "score",
]
