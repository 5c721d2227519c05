"""Round trip: converted parquet loads in verl's RLHFDataset with a (tiny) Qwen2.5-VL processor and yields image tokens,
and the SFT parquet from annotate loads in verl's MultiTurnSFTDataset with image tokens in its input ids."""

import asyncio

import pyarrow.parquet as pq
import pytest
from omegaconf import OmegaConf

from r1_reward.data import Source, convert
from r1_reward.data.journal import Annotation, JournalWriter, row_key
from r1_reward.data.sft import write_sft


@pytest.fixture(scope="module")
def processor():
    from r1_reward.cpu.tiny_model import build_processor, train_tokenizer

    return build_processor(train_tokenizer())


@pytest.fixture
def rl_parquet(tmp_path, image_root, samples):
    rows = [
        samples.pairwise(id=f"p{i}", chosen=f"good answer {i}", image=("red.png", "blue.png")[i % 2]) for i in range(4)
    ]
    source = samples.write_jsonl(tmp_path / "pairs.jsonl", rows)
    convert([Source("pairwise", source)], tmp_path / "rl.parquet", image_root, seed=0, progress=False)
    return tmp_path / "rl.parquet"


def image_pad_count(processor, input_ids) -> int:
    return sum(int(token) == processor.tokenizer.convert_tokens_to_ids("<|image_pad|>") for token in input_ids)


def test_rlhf_dataset_yields_image_tokens(tmp_path, rl_parquet, processor):
    from verl.utils.dataset.rl_dataset import RLHFDataset

    config = OmegaConf.create(
        {"max_prompt_length": 2048, "filter_overlong_prompts_workers": 1, "cache_dir": str(tmp_path / "cache")}
    )
    dataset = RLHFDataset(str(rl_parquet), processor.tokenizer, config, processor)
    assert len(dataset) == 4  # none filtered: every row's prompt + image went through the processor
    item = dataset[1]
    assert item["reward_model"]["ground_truth"] in ("1", "2")
    assert item["extra_info"]["source_id"] == "p1"
    messages = item["raw_prompt"]
    assert [part["type"] for part in messages[0]["content"]] == ["image", "text"]
    images, _, _ = asyncio.run(RLHFDataset.process_multi_modal_info(messages, dataset.image_patch_size, config))
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=images, return_tensors="pt")
    grid = inputs["image_grid_thw"][0]
    merge = processor.image_processor.merge_size
    expected = int(grid.prod()) // (merge * merge)
    assert expected > 0
    assert image_pad_count(processor, inputs["input_ids"][0]) == expected


def test_sft_parquet_loads_in_multiturn_sft_dataset(tmp_path, rl_parquet, processor):
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    journal = tmp_path / "sft.parquet.annotations.jsonl"
    writer = JournalWriter(journal)
    records = pq.read_table(rl_parquet).to_pylist()
    truths = [record["reward_model"]["ground_truth"] for record in records]
    for row, (truth, record) in enumerate(zip(truths, records)):
        reply = f"<think>reason {row}</think><answer>{truth}</answer>"
        writer.add(Annotation(row, 1, True, reply, [int(truth)], row_key(record)))
    writer.close()
    assert write_sft(rl_parquet, journal, tmp_path / "sft.parquet") == 4
    config = OmegaConf.create({"max_length": 4096, "truncation": "error", "messages_key": "messages"})
    dataset = MultiTurnSFTDataset([str(tmp_path / "sft.parquet")], processor.tokenizer, config, processor)
    item = dataset[0]
    assert image_pad_count(processor, item["input_ids"]) > 0
    answer_ids = processor.tokenizer(f"<answer>{truths[0]}</answer>", add_special_tokens=False)["input_ids"]
    trained = [int(t) for t, m in zip(item["input_ids"], item["loss_mask"]) if int(m)]
    assert any(trained[i : i + len(answer_ids)] == answer_ids for i in range(len(trained)))  # the reply is the target
