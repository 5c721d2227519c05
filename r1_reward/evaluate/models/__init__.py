"""Judges by name: baselines (``random``, ``first``, ``longer``) and the model backends (``transformers``,
``endpoint``, ``vllm``). Model backends are imported only when asked for, so baselines need no ML stack."""

from typing import Any

from r1_reward.evaluate.models.base import Judge, Sample
from r1_reward.evaluate.models.baselines import FirstJudge, LongerJudge, RandomJudge

BASELINES = ("random", "first", "longer")
MODEL_JUDGES = ("transformers", "endpoint", "vllm")
JUDGES = BASELINES + MODEL_JUDGES


def make_judge(
    name: str,
    *,
    seed: int = 0,
    model: str | None = None,
    media_root: str | None = None,
    base_url: str | None = None,
    model_name: str | None = None,
    **options: Any,
) -> Judge:
    """Build a judge; model judges need ``model`` (a local checkpoint) or ``base_url`` + ``model_name``."""
    if name == "random":
        return RandomJudge(seed=seed)
    if name == "first":
        return FirstJudge()
    if name == "longer":
        return LongerJudge()
    if name == "endpoint":
        from r1_reward.evaluate.models.endpoint import EndpointJudge

        return EndpointJudge(base_url or "", model_name or model or "", media_root=media_root, **options)
    if name in ("transformers", "vllm"):
        if not model:
            raise ValueError(f"--judge {name} needs --model PATH (a local checkpoint folder)")
        if name == "vllm":
            from r1_reward.evaluate.models.vllm_judge import VllmJudge

            return VllmJudge(model, media_root=media_root, **options)
        from r1_reward.evaluate.models.hf import TransformersJudge

        return TransformersJudge(model, media_root=media_root, **options)
    raise ValueError(f"judge {name!r} is unknown: use one of {', '.join(JUDGES)}")


__all__ = ["BASELINES", "JUDGES", "MODEL_JUDGES", "Judge", "Sample", "make_judge"]
