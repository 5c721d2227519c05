"""The annotation journal survives a torn last line, refuses a row recorded twice and a position-keyed journal."""

import json

import pytest

from r1_reward.data.journal import Annotation, JournalWriter, load_journal, read_entry


def test_torn_last_line_is_dropped_and_appends_start_clean(tmp_path):
    path = tmp_path / "j.jsonl"
    writer = JournalWriter(path)
    writer.add(Annotation(0, 1, True, "<think>a</think><answer>1</answer>", [1], "k0"))
    writer.add(Annotation(3, 3, False, None, [2, 2, None], "k3"))
    writer.close()
    with path.open("ab") as handle:
        handle.write(b'{"row": 5, "attempts": 1, "corr')  # a crash mid-write
    offsets = load_journal(path)
    assert sorted(offsets) == ["k0", "k3"]
    assert path.read_bytes().endswith(b'"k3"}\n')
    JournalWriter(path).add(Annotation(5, 2, True, "r", [1, 2], "k5"))
    offsets = load_journal(path)
    with path.open("rb") as handle:
        assert read_entry(handle, offsets["k3"]) == Annotation(3, 3, False, None, [2, 2, None], "k3")
        assert read_entry(handle, offsets["k5"]).attempts == 2


def test_row_recorded_twice_is_an_error(tmp_path):
    path = tmp_path / "j.jsonl"
    line = json.dumps({"row": 1, "attempts": 1, "correct": True, "response": "r", "answers": [1], "key": "k1"})
    path.write_text(line + "\n" + line + "\n")
    with pytest.raises(ValueError, match="recorded twice"):
        load_journal(path)


def test_position_keyed_journal_is_refused(tmp_path):
    # a journal from before content keys cannot tell which rows changed: reusing it could mislabel SFT targets
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"row": 1, "attempts": 1, "correct": True, "response": "r", "answers": [1]}) + "\n")
    with pytest.raises(ValueError, match="keys rows by position.*move it away"):
        load_journal(path)
