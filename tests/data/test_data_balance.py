"""Answer order is balanced exactly 1:1 (±1) with a seed; caps sample per source; output streams in row groups."""

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from r1_reward.data import Source, convert, parse_source
from r1_reward.data.images import ImageStore
from r1_reward.data.schema import OrderBalancer


def pairs(samples, count):
    return [samples.pairwise(id=f"p{i}", chosen=f"good answer {i}") for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 101, 1000])
def test_labels_split_one_to_one(tmp_path, image_root, samples, count):
    source = samples.write_jsonl(tmp_path / "in.jsonl", pairs(samples, count))
    convert([Source("pairwise", source)], tmp_path / "out.parquet", image_root, seed=3, progress=False)
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    counts = Counter(row["reward_model"]["ground_truth"] for row in rows)
    assert counts["1"] + counts["2"] == count
    assert abs(counts["1"] - counts["2"]) <= 1
    for row in rows:  # the chosen response sits where the ground truth says
        position = "answer" + row["reward_model"]["ground_truth"]
        assert row["extra_info"][position].startswith("good answer")


def test_balancer_is_seeded_and_not_a_fixed_pattern():
    def labels(seed):
        balancer = OrderBalancer(seed)
        return [balancer.next_label() for _ in range(200)]

    assert labels(7) == labels(7)
    assert labels(7) != labels(8)
    first = labels(7)
    for end in range(1, 201):  # every prefix is balanced within one
        assert abs(first[:end].count(1) - first[:end].count(2)) <= 1
    assert first[0::2] != [1] * 100 and first[0::2] != [2] * 100


def test_rows_sharing_an_image_share_one_bytes_object(image_root):
    store = ImageStore(image_root)
    assert store.load("red.png") is store.load("./red.png")


def test_row_groups_are_written_as_they_fill(tmp_path, image_root, samples):
    source = samples.write_jsonl(tmp_path / "in.jsonl", pairs(samples, 25))
    convert([Source("pairwise", source)], tmp_path / "out.parquet", image_root, row_group_size=10, progress=False)
    metadata = pq.read_metadata(tmp_path / "out.parquet")
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [10, 10, 5]


def test_mixing_sources_with_caps(tmp_path, image_root, samples):
    first = samples.write_jsonl(tmp_path / "a.jsonl", pairs(samples, 30))
    second = samples.write_jsonl(tmp_path / "b.jsonl", [samples.povid()] * 4)
    sources = [parse_source(f"rlaif=pairwise:{first}:10"), parse_source(f"povid:{second}")]
    summary = convert(sources, tmp_path / "out.parquet", image_root, seed=1, progress=False)
    assert (summary.rows_in, summary.written, summary.skipped_by_cap) == (34, 14, 20)
    assert summary.per_source["rlaif"]["written"] == 10 and summary.per_source["povid"]["written"] == 4
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert Counter(row["data_source"] for row in rows) == {"r1_reward/rlaif": 10, "r1_reward/povid": 4}
    kept = [row["extra_info"]["source_line"] for row in rows if row["data_source"] == "r1_reward/rlaif"]
    assert kept != list(range(1, 11))  # a seeded sample across the file, not its head


def test_parse_source_spec():
    assert parse_source("rlaif=pairwise:/d/x.parquet:500") == Source("pairwise", Path("/d/x.parquet"), 500, "rlaif")
    assert parse_source("povid:/d/p.jsonl").cap is None
    with pytest.raises(ValueError, match="unknown format"):
        parse_source("nope:/d/p.jsonl")
