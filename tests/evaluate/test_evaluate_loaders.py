"""Loaders of the three benchmark formats, on hand-written fixtures: keys, categories, chosen/rejected, errors."""

import json

import pytest

from r1_reward.evaluate.items import InputError, presentations, stable_keys
from r1_reward.evaluate.loaders import load_benchmark, mmrb_category, vl_official_category, vl_paper_category


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_duplicate_ids_get_distinct_stable_keys():
    assert stable_keys(["a", "b", "a", "a"]) == ["a#0", "b#0", "a#1", "a#2"]


@pytest.mark.parametrize(
    ("item_id", "official", "paper"),
    [
        ("hallucination_pair-1003", "hallucination", "hallucination"),
        ("RLAIF-V-12", "hallucination", "general"),  # the authors' substring test is case-sensitive
        ("RLHF-V-7", "hallucination", "general"),
        ("rlaif-lower", "hallucination", "hallucination"),
        ("mathverse_2279", "reasoning", "reasoning"),
        ("mmmu_pro_test_Art_24", "reasoning", "reasoning"),
        ("MMMU_upper", "reasoning", "general"),
        ("wildvision-battle-3", "general", "general"),
        ("jailbreak-typo-Malware_Generation-1", "general", "general"),
    ],
)
def test_vl_groupings(item_id, official, paper):
    assert vl_official_category(item_id) == official
    assert vl_paper_category(item_id) == paper


def test_vl_authors_jsonl_and_hf_rows_give_same_item(tmp_path):
    authors = {"id": "RLAIF-V-1", "prompt": "q?", "chosen": "good", "rejected": "bad", "image": "vl/img/0.jpg"}
    hf = {"id": "RLAIF-V-1", "query": "q?", "response": ["bad", "good"], "human_ranking": [1, 0],
          "image": {"path": "vl/img/0.jpg", "bytes": None}}  # fmt: skip
    a = load_benchmark("vl_rewardbench", _jsonl(tmp_path / "a.jsonl", [authors]))[0]
    h = load_benchmark("vl_rewardbench", _jsonl(tmp_path / "h.jsonl", [hf]))[0]
    assert (a.chosen, a.rejected, a.media, a.category) == ("good", "bad", ("vl/img/0.jpg",), "hallucination")
    assert (h.chosen, h.rejected, h.media, h.extra) == (a.chosen, a.rejected, a.media, {"category_paper": "general"})


def test_hf_rows_load_the_same_from_jsonl_json_and_parquet(tmp_path):
    # One reader (r1_reward.data.sources) serves convert and evaluate: parquet list columns and {"data": [...]}.
    import pandas as pd

    rows = [{"id": f"RLAIF-V-{i}", "query": "q?", "response": ["bad", f"good{i}"], "human_ranking": [1, 0],
             "image": {"path": f"vl/img/{i}.jpg", "bytes": None}} for i in range(3)]  # fmt: skip
    pd.DataFrame(rows).to_parquet(tmp_path / "h.parquet")
    (tmp_path / "h.json").write_text(json.dumps({"data": rows}))
    _jsonl(tmp_path / "h.jsonl", rows)
    loaded = [load_benchmark("vl_rewardbench", tmp_path / name) for name in ("h.jsonl", "h.json", "h.parquet")]
    assert loaded[0] == loaded[1] == loaded[2]
    assert [item.chosen for item in loaded[2]] == ["good0", "good1", "good2"]


def test_unreadable_files_name_the_file(tmp_path):
    (tmp_path / "b.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"b\.parquet: not a readable parquet file"):
        load_benchmark("vl_rewardbench", tmp_path / "b.parquet")
    (tmp_path / "b.jsonl").write_bytes(b'{"id": "a"}\n\xff\xfe\n')
    with pytest.raises(InputError, match=r"b\.jsonl:2: non-UTF-8"):
        load_benchmark("vl_rewardbench", tmp_path / "b.jsonl")
    (tmp_path / "b.csv").write_text("id\n")
    with pytest.raises(InputError, match=r"unsupported source file .*b\.csv"):
        load_benchmark("vl_rewardbench", tmp_path / "b.csv")


def test_mm_rlhf_category_from_media_path_and_video_folders(tmp_path):
    rows = [
        {"id": "x", "prompt": "p", "chosen": "c", "rejected": "r", "image": "mcq/1.png"},
        {"id": "x", "prompt": "p", "chosen": "c2", "rejected": "r2", "image": "mcq/1.png"},
        {"id": "v", "prompt": "p", "chosen": "c", "rejected": "r", "video": "video/-77dfCjTbSc"},
        {"id": "s", "prompt": "p", "chosen": "c", "rejected": "r", "image": "Safety/9.jpg"},
    ]
    items = load_benchmark("mm_rlhf", _jsonl(tmp_path / "m.jsonl", rows))
    assert [i.key for i in items] == ["x#0", "x#1", "v#0", "s#0"]
    assert [i.category for i in items] == ["mcq", "mcq", "video", "safety"]
    assert [i.media_kind for i in items] == ["image", "image", "video", "image"]


# Rows in Multimodal RewardBench's published all_data.json schema (values made up).
MMRB_ROWS = [
    {"ID": "nocaps_1", "Text": "caption", "Image": "images/nocaps/1.jpg", "Output1": "A", "Output2": "B",
     "Better": "Output2", "Category": "open_generation/correctness_task"},
    {"ID": "vlfeedback_2", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "open_generation/preference_task"},
    {"ID": "mathvista_3", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "reasoning"},
    {"ID": "EMMA-Coding_4", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "reasoning"},
    {"ID": "pairs_5", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "safety"},
    {"ID": "hateful_memes_6", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output2",
     "Category": "safety"},
    {"ID": "mmmu-v_7", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "knowledge"},
    {"ID": "RealworldQA_8", "Text": "t", "Image": "i.jpg", "Output1": "A", "Output2": "B", "Better": "Output1",
     "Category": "vqa"},
]  # fmt: skip


def test_multimodal_rewardbench_schema(tmp_path):
    path = tmp_path / "all_data.json"
    path.write_text(json.dumps(MMRB_ROWS))
    items = load_benchmark("multimodal_rewardbench", path)
    assert [i.category for i in items] == [
        "general/correctness", "general/preference", "reasoning/math", "reasoning/coding",
        "safety/bias", "safety/toxicity", "knowledge", "vqa",
    ]  # fmt: skip
    assert (items[0].chosen, items[0].rejected) == ("B", "A")  # Better = Output2
    assert (items[1].chosen, items[1].rejected) == ("A", "B")
    assert items[0].media == ("images/nocaps/1.jpg",)
    assert mmrb_category("safety", "PAIRS_x") == "safety/bias"  # the split ignores case, like the benchmark's script


def test_bad_better_label_is_named(tmp_path):
    path = tmp_path / "all_data.json"
    path.write_text(json.dumps([{**MMRB_ROWS[0], "Better": "tie"}]))
    with pytest.raises(ValueError, match="Better='tie'"):
        load_benchmark("multimodal_rewardbench", path)


def test_wrong_benchmark_names_the_missing_field(tmp_path):
    path = _jsonl(tmp_path / "m.jsonl", [{"id": "x", "query": "q"}])
    with pytest.raises(InputError, match="m.jsonl:1: x#0: field 'prompt' is missing"):
        load_benchmark("mm_rlhf", path)


def test_orders(tmp_path):
    rows = [{"id": f"i{n}", "prompt": "p", "chosen": "c", "rejected": "r", "image": "a.jpg"} for n in range(200)]
    items = load_benchmark("vl_rewardbench", _jsonl(tmp_path / "v.jsonl", rows))
    both = presentations(items, "both")
    assert [(p.item.key, p.gold) for p in both[:2]] == [("i0#0", "1"), ("i0#0", "2")]
    assert (both[1].response1, both[1].response2) == ("r", "c")
    assert {p.slot for p in presentations(items, "chosen_first")} == {"chosen_first"}
    shuffled = presentations(items, "random", seed=3)
    assert shuffled == presentations(items, "random", seed=3)
    assert 70 < sum(p.slot == "chosen_first" for p in shuffled) < 130  # about half, seeded
