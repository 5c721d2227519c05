"""``select`` keeps the hard rows (§3.2) and re-balances their answer order, rebuilding each prompt."""

from collections import Counter

import pyarrow.parquet as pq
import pytest

from r1_reward.data.journal import Annotation, JournalWriter, row_key
from r1_reward.data.select import select
from r1_reward.prompt import build_prompt


@pytest.fixture
def skewed(tmp_path, image_root, samples):
    """8 rows; the annotator found exactly the rows whose answer is 2 easy, so the hard ones are all answer 1."""
    rows = [samples.pairwise(id=f"p{i}", question=f"q{i}", chosen=f"good answer {i}") for i in range(8)]
    writer = JournalWriter(tmp_path / "j.jsonl")
    for row, record in enumerate(samples.converted(tmp_path, image_root, rows)):
        hard = record["reward_model"]["ground_truth"] == "1"
        reply = None if hard else "<think>x</think><answer>2</answer>"
        writer.add(Annotation(row, 3 if hard else 1, not hard, reply, [], row_key(record)))
    writer.close()
    return tmp_path


def test_keep_order_leaves_the_skew(skewed):
    summary = select(skewed / "rl.parquet", skewed / "j.jsonl", skewed / "hard.parquet", seed=None)
    assert (summary.selected, summary.easy) == (4, 4) and summary.labels == Counter({"1": 4})


def test_rebalanced_subset_has_consistent_prompts(skewed):
    summary = select(skewed / "rl.parquet", skewed / "j.jsonl", skewed / "hard.parquet", seed=1)
    assert summary.labels == Counter({"1": 2, "2": 2})
    for row in pq.read_table(skewed / "hard.parquet").to_pylist():
        extra, truth = row["extra_info"], row["reward_model"]["ground_truth"]
        assert extra[f"answer{truth}"].startswith("good answer")
        assert row["prompt"][0]["content"] == "<image>" + build_prompt(
            extra["question"], extra["answer1"], extra["answer2"]
        )
        assert extra["attempts"] == 3 and extra["annotator_correct"] is False
