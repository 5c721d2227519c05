"""Each source format converts to verl rows with the right question, responses and ground truth."""

import json

import pyarrow.parquet as pq
import pytest

from r1_reward.data import Source, convert
from r1_reward.prompt import build_prompt


def convert_one(tmp_path, image_root, fmt, rows, write_jsonl):
    source = write_jsonl(tmp_path / f"{fmt}.jsonl", rows)
    output = tmp_path / f"{fmt}.parquet"
    summary = convert([Source(fmt, source)], output, image_root, seed=0, progress=False)
    return summary, pq.read_table(output).to_pylist()


# format, row builder, expected (question, chosen, rejected, image file, source id)
CASES = [
    (
        "r1_reward_rl",
        "r1_reward_rl",
        ("What colour is the square?", "The square is red.", "The square is blue.", "red.png", "line-1"),
    ),
    ("pairwise", "pairwise", ("What colour is the square?", "It is red.", "It is green.", "red.png", "rlaif-7")),
    # ratings 3, 5, 1: completion 1 (rated 5) beats completion 2 (rated 1); "N/A" aspects are ignored
    ("vlfeedback", "vlfeedback", ("Describe the picture.", "answer number 1", "answer number 2", "blue.png", "vlf-1")),
    ("povid", "povid", ("What is shown?", "A red square.", "A red square next to a cat.", "red.png", "povid-3")),
    (
        "wildvision",
        "wildvision",
        ("Which colour dominates?", "Blue dominates.", "Green dominates.", "blue.png", "wv-9"),
    ),
]


@pytest.mark.parametrize(("fmt", "builder", "expected"), CASES, ids=[case[0] for case in CASES])
def test_format_converts_to_verl_row(tmp_path, image_root, samples, fmt, builder, expected):
    question, chosen, rejected, image_file, source_id = expected
    summary, rows = convert_one(tmp_path, image_root, fmt, [getattr(samples, builder)()], samples.write_jsonl)
    assert (summary.rows_in, summary.written, summary.rejected) == (1, 1, 0)
    (row,) = rows
    truth = row["reward_model"]["ground_truth"]
    assert row["reward_model"]["style"] == "rule" and truth in ("1", "2")
    answer1, answer2 = (chosen, rejected) if truth == "1" else (rejected, chosen)
    assert row["prompt"] == [{"role": "user", "content": "<image>" + build_prompt(question, answer1, answer2)}]
    assert row["images"] == [{"bytes": (image_root / image_file).read_bytes()}]
    assert row["data_source"] == f"r1_reward/{fmt}"
    assert row["extra_info"]["source_id"] == source_id
    assert row["extra_info"]["source_line"] == 1


def test_r1_reward_rl_label_1_keeps_response_1_as_chosen(tmp_path, image_root, samples):
    _, (row,) = convert_one(
        tmp_path, image_root, "r1_reward_rl", [samples.r1_reward_rl("<answer>1</answer>")], samples.write_jsonl
    )
    extra = row["extra_info"]
    chosen = extra["answer1"] if row["reward_model"]["ground_truth"] == "1" else extra["answer2"]
    assert chosen == "The square is blue."
    assert extra["original_label"] == 1
    assert extra["swapped"] == (row["reward_model"]["ground_truth"] != "1")


def test_pairwise_parquet_with_embedded_image_bytes(tmp_path, samples):
    import pyarrow as pa

    image = samples.png_bytes((0, 255, 0))
    table = pa.Table.from_pylist([samples.pairwise(image={"bytes": image, "path": None})])
    pq.write_table(table, tmp_path / "pairs.parquet")
    summary = convert([Source("pairwise", tmp_path / "pairs.parquet")], tmp_path / "out.parquet", progress=False)
    assert summary.written == 1
    assert pq.read_table(tmp_path / "out.parquet").column("images").to_pylist() == [[{"bytes": image}]]


def test_json_array_source(tmp_path, image_root, samples):
    (tmp_path / "povid.json").write_text(json.dumps([samples.povid(), samples.povid()]))
    summary = convert([Source("povid", tmp_path / "povid.json")], tmp_path / "out.parquet", image_root, progress=False)
    assert (summary.rows_in, summary.written) == (2, 2)


def test_r1_reward_rl_reads_back_our_own_table_1_text(tmp_path, image_root, samples):
    """A message holding this project's prompt (';'-separated Table 1 layout) gives back the same responses."""
    row = samples.r1_reward_rl("<answer>1</answer>")
    text = build_prompt("How many dots?", "Three dots; all red.", "Five dots.")
    chat = [{"role": "user", "content": [{"type": "image", "image": "blue.png"}, {"type": "text", "text": text}]}]
    row.update(message=json.dumps(chat), question=None)
    _, (converted,) = convert_one(tmp_path, image_root, "r1_reward_rl", [row], samples.write_jsonl)
    extra = converted["extra_info"]
    chosen = extra[f"answer{converted['reward_model']['ground_truth']}"]
    assert (extra["question"], chosen) == ("How many dots?", "Three dots; all red.")
    assert {extra["answer1"], extra["answer2"]} == {"Three dots; all red.", "Five dots."}
