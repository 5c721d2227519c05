"""Our data -> verl dataset round trip gives the same image tokens with the real torchvision Qwen2.5-VL processor
as with the CPU path's processor (PIL image processor + images-only video processor, r1_reward/qwen_vl.py)."""

import asyncio
import json

import pytest
import torch
from omegaconf import OmegaConf
from PIL import Image

from r1_reward.cpu import tiny_model
from r1_reward.data import Source, convert

pytestmark = pytest.mark.gpu_stack

# Image sizes that are not multiples of the patch grid, so both processors must resize alike.
SIZES = [(40, 30), (200, 90), (64, 64)]


@pytest.fixture(scope="module")
def processors():
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    tokenizer = tiny_model.train_tokenizer()
    pixels = tiny_model.IMAGE_SIDE * tiny_model.IMAGE_SIDE
    real = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(
            size={"shortest_edge": pixels, "longest_edge": pixels}, patch_size=tiny_model.PATCH,
            merge_size=tiny_model.MERGE,
        ),
        tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor(), chat_template=tiny_model.CHAT_TEMPLATE,
    )  # fmt: skip
    return {"cpu_path": tiny_model.build_processor(tokenizer), "torchvision": real}


@pytest.fixture(scope="module")
def rl_parquet(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    gen = torch.Generator().manual_seed(0)
    rows = []
    for i, (width, height) in enumerate(SIZES):
        pixels = (torch.rand(height, width, 3, generator=gen) * 255).to(torch.uint8).numpy()
        Image.fromarray(pixels).save(root / f"img{i}.png")
        rows.append({"id": f"p{i}", "question": "What is shown?", "chosen": f"good {i}", "rejected": f"bad {i}",
                     "image": f"img{i}.png"})  # fmt: skip
    (root / "pairs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    convert([Source("pairwise", root / "pairs.jsonl")], root / "rl.parquet", root, seed=0, progress=False)
    return root / "rl.parquet"


def model_inputs(processor, parquet, tmp_path) -> list[dict]:
    """verl's RLHFDataset over the parquet, then the processor on each prompt and its images (as the agent loop)."""
    from verl.utils.dataset.rl_dataset import RLHFDataset

    # verl's overlong-prompt filter runs the processor in a forked datasets worker; with the torchvision processor
    # that worker hung here (idle inside torch, after the parent had used torch threads), so it stays off.
    config = OmegaConf.create(
        {"max_prompt_length": 2048, "filter_overlong_prompts": False, "cache_dir": str(tmp_path / "cache")}
    )
    dataset = RLHFDataset(str(parquet), processor.tokenizer, config, processor)
    assert len(dataset) == len(SIZES)
    results = []
    for index in range(len(dataset)):
        messages = dataset[index]["raw_prompt"]
        images, _, _ = asyncio.run(RLHFDataset.process_multi_modal_info(messages, dataset.image_patch_size, config))
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        results.append(processor(text=[text], images=images, return_tensors="pt"))
    return results


def test_real_processor_is_the_torchvision_one(processors):
    assert type(processors["torchvision"].image_processor).__name__ == "Qwen2VLImageProcessor"
    assert type(processors["cpu_path"].image_processor).__name__ == "Qwen2VLImageProcessorPil"


def test_same_image_tokens_as_the_cpu_path(processors, rl_parquet, tmp_path):
    real = model_inputs(processors["torchvision"], rl_parquet, tmp_path / "real")
    shim = model_inputs(processors["cpu_path"], rl_parquet, tmp_path / "shim")
    pad = processors["cpu_path"].tokenizer.convert_tokens_to_ids("<|image_pad|>")
    for ours, theirs in zip(shim, real, strict=True):
        assert torch.equal(ours["image_grid_thw"], theirs["image_grid_thw"])
        assert torch.equal(ours["input_ids"], theirs["input_ids"])
        # One <|image_pad|> per merged 2 x 2 patch block of the resized image.
        assert int((theirs["input_ids"] == pad).sum()) == int(theirs["image_grid_thw"].prod()) // 4 > 0
        # Resampling differs slightly between PIL and torchvision; the normalised pixels stay close.
        assert torch.allclose(ours["pixel_values"], theirs["pixel_values"], atol=0.15)
