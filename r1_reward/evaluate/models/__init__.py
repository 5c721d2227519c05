"""Judges by name: baselines (``random``, ``first``, ``longer``) and the model backends (``transformers``,
``endpoint``, ``vllm``). Model backends are imported only when asked for, so baselines need no ML stack."""

from typing import Any

from r1_reward.evaluate.models.base import ModelUnderTest, Sample, Skip
from r1_reward.evaluate.models.baselines import FirstBaseline, LongerBaseline, RandomBaseline
from r1_reward.evaluate.models.checkpoint import hf_model_folder

BASELINES = ("random", "first", "longer")
MODEL_BACKENDS = ("transformers", "endpoint", "vllm")
MODEL_NAMES = BASELINES + MODEL_BACKENDS


def make_model(
    name: str,
    *,
    seed: int = 0,
    model: str | None = None,
    media_root: str | None = None,
    base_url: str | None = None,
    model_name: str | None = None,
    **options: Any,
) -> ModelUnderTest:
    """Build a judge; model judges need ``model`` (a local checkpoint) or ``base_url`` + ``model_name``."""
    if name == "random":
        return RandomBaseline(seed=seed)
    if name == "first":
        return FirstBaseline()
    if name == "longer":
        return LongerBaseline()
    if name == "endpoint":
        from r1_reward.evaluate.models.endpoint import EndpointModel

        return EndpointModel(base_url or "", model_name or model or "", media_root=media_root, **options)
    if name in ("transformers", "vllm"):
        if not model:
            raise ValueError(f"--judge {name} needs --model PATH (a local checkpoint folder)")
        model = str(hf_model_folder(model))
        if name == "vllm":
            from r1_reward.evaluate.models.vllm_judge import VllmModel

            return VllmModel(model, media_root=media_root, **options)
        from r1_reward.evaluate.models.hf import TransformersModel

        return TransformersModel(model, media_root=media_root, **options)
    raise ValueError(f"judge {name!r} is unknown: use one of {', '.join(MODEL_NAMES)}")


__all__ = ["BASELINES", "MODEL_NAMES", "MODEL_BACKENDS", "ModelUnderTest", "Sample", "Skip", "make_model"]
