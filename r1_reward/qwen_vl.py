"""Qwen2/2.5-VL image input without torchvision (transformers 5.10 and qwen_vl_utils, as used by verl 0.9.1).

CPU-only torch has no matching torchvision wheel on PyPI, and two libraries then refuse images although they only
need torchvision for video:

- transformers 5.10 gives every Qwen2-VL-family processor a video processor and ships only a torchvision-based one
  (``Qwen2VLVideoProcessor``), so ``AutoProcessor.from_pretrained`` fails; building the processor by hand fails too,
  because ``ProcessorMixin.check_argument_for_proper_class`` (processing_utils.py ~978) checks the argument against
  ``transformers.BaseVideoProcessor``, a dummy placeholder without torchvision.
- verl's ``process_image`` (verl/utils/dataset/vision_utils.py ~23) imports ``qwen_vl_utils``, whose
  ``vision_process.py`` imports torchvision at module top (line 16) but uses it only in its video readers.

On machines without torchvision (and only there) ``enable()`` points ``transformers.BaseVideoProcessor`` at the real
class, registers ``ImagesOnlyVideoProcessor`` for the Qwen2/2.5-VL configs, and imports ``qwen_vl_utils`` with a
throw-away torchvision stand-in that is removed from ``sys.modules`` right after. The tiny checkpoint names
``ImagesOnlyVideoProcessor`` in its processor config; where torchvision exists that name is unknown and
transformers falls back to its own ``Qwen2VLVideoProcessor``, so the checkpoint stays a normal one.
"""

import importlib.util
import sys
import types

from transformers import Qwen2_5_VLConfig, Qwen2VLConfig, processing_utils
from transformers.models.auto.video_processing_auto import AutoVideoProcessor
from transformers.video_processing_utils import BaseVideoProcessor

HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
# Tokens only the processor may place; a sampler emitting one breaks the model's (and verl's) M-RoPE position ids.
VISION_PLACEHOLDERS = ("<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>")


class ImagesOnlyVideoProcessor(BaseVideoProcessor):
    """Video processor stand-in for image-only use (r1_reward feeds images, never videos)."""

    patch_size = 14
    temporal_patch_size = 2
    merge_size = 2


def _import_qwen_vl_utils() -> None:
    """Import ``qwen_vl_utils`` (image helpers) behind a torchvision stand-in that only its video code would touch."""
    if "qwen_vl_utils" in sys.modules or importlib.util.find_spec("qwen_vl_utils") is None:
        return
    stand_in = types.ModuleType("torchvision")
    stand_in.io = types.ModuleType("torchvision.io")
    stand_in.transforms = types.ModuleType("torchvision.transforms")
    stand_in.transforms.InterpolationMode = None
    stand_ins = {"torchvision": stand_in, "torchvision.io": stand_in.io, "torchvision.transforms": stand_in.transforms}
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("qwen_vl_utils")
    finally:
        for name in stand_ins:
            del sys.modules[name]


def enable() -> bool:
    """Apply the fixes above when torchvision is missing; return whether they were applied."""
    if HAS_TORCHVISION:
        return False
    # processing_utils re-executes transformers/__init__ when first imported (``direct_transformers_import``), so the
    # module whose attribute the class check reads is the one processing_utils holds.
    processing_utils.transformers_module.BaseVideoProcessor = BaseVideoProcessor
    for config_class in (Qwen2VLConfig, Qwen2_5_VLConfig):
        AutoVideoProcessor.register(config_class, ImagesOnlyVideoProcessor, exist_ok=True)
    _import_qwen_vl_utils()
    return True
