"""The torchvision-free image path: each fix fails loudly here if transformers or qwen_vl_utils change."""

import io
import subprocess
import sys

import pytest
from PIL import Image

from r1_reward import qwen_vl

pytestmark = pytest.mark.skipif(qwen_vl.HAS_TORCHVISION, reason="the fixes apply only without torchvision")


def test_enable_makes_verl_process_image_work_and_leaves_no_fake_torchvision():
    assert qwen_vl.enable()
    from verl.utils.dataset.vision_utils import process_image

    buffer = io.BytesIO()
    Image.new("RGB", (100, 60), "red").save(buffer, format="PNG")
    image = process_image({"bytes": buffer.getvalue()})
    assert image.size == (112, 56)  # qwen_vl_utils' smart_resize to multiples of 28
    assert "torchvision" not in sys.modules


def test_processor_class_check_reads_the_patched_name():
    # transformers 5.10: ProcessorMixin checks sub-processors against the class named in this mapping.
    from transformers import processing_utils

    assert processing_utils.MODALITY_TO_BASE_CLASS_MAPPING["video_processor"] == "BaseVideoProcessor"
    qwen_vl.enable()
    found = processing_utils.ProcessorMixin.get_possibly_dynamic_module("BaseVideoProcessor")
    assert issubclass(qwen_vl.ImagesOnlyVideoProcessor, found)


def test_importing_the_model_modules_patches_nothing():
    # The fix is applied by the code that loads a processor, never as a side effect of an import (fresh interpreter:
    # this test process may have enabled it already).
    script = (
        "from transformers import processing_utils\n"
        "before = processing_utils.transformers_module.BaseVideoProcessor\n"
        "import r1_reward.cpu.hf_engine, r1_reward.cpu.tiny_model, r1_reward.evaluate.models.hf\n"
        "print(processing_utils.transformers_module.BaseVideoProcessor is before, 'qwen_vl_utils' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", "import sys\n" + script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "False"]
