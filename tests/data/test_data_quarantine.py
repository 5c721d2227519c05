"""Every kind of bad row lands in <output>.rejected.jsonl with its line and reason; nothing is dropped silently."""

import json

import pyarrow.parquet as pq
import pytest

from r1_reward.data import Source, convert
from r1_reward.data.__main__ import main

# (row builder name, overrides or raw bytes, expected reason kind)
BAD_ROWS = [
    ("pairwise", {"image": "nowhere.png"}, "missing image"),
    ("pairwise", {"image": "broken.png"}, "corrupt image"),
    ("pairwise", {"image": "../../etc/passwd"}, "image path escapes --image-root"),
    ("pairwise", {"question": "   "}, "empty text"),
    ("pairwise", {"chosen": ""}, "empty text"),
    ("pairwise", {"rejected": "It is red."}, "identical responses"),
    ("pairwise", {"question": None}, "missing field"),
    ("r1_reward_rl", "<answer>3</answer>", "label not 1 or 2"),
    ("r1_reward_rl", "<answer>1 or 2</answer>", "label not 1 or 2"),
    ("wildvision", "tie", "tie or unknown winner"),
    ("vlfeedback", ("4", "4", "4"), "tie"),
]


def build(samples, name, arg):
    builder = getattr(samples, name)
    if isinstance(arg, dict):
        return builder(**arg)
    return builder(arg)


@pytest.mark.parametrize(("name", "arg", "kind"), BAD_ROWS, ids=[f"{b[0]}-{b[2]}" for b in BAD_ROWS])
def test_bad_row_is_quarantined_with_reason(tmp_path, image_root, samples, name, arg, kind):
    good, bad = getattr(samples, name)(), build(samples, name, arg)
    source = samples.write_jsonl(tmp_path / "in.jsonl", [good, bad, good])
    output = tmp_path / "out.parquet"
    summary = convert([Source(name, source)], output, image_root, progress=False)
    assert (summary.rows_in, summary.written, summary.rejected) == (3, 2, 1)
    (entry,) = [json.loads(line) for line in (tmp_path / "out.parquet.rejected.jsonl").read_text().splitlines()]
    assert entry["line"] == 2 and entry["file"] == str(source)
    assert entry["reason"].split(":")[0] == kind
    assert json.loads(entry["raw"]) == bad
    assert pq.read_metadata(output).num_rows == 2


def test_non_utf8_and_invalid_json_lines(tmp_path, image_root, samples):
    good = json.dumps(samples.pairwise()).encode()
    latin1 = (
        json.dumps(samples.pairwise(question="caf\u00e9"), ensure_ascii=False)
        .encode("utf-8")
        .replace(b"\xc3\xa9", b"\xe9")
    )
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([good, latin1, b"{not json", b"[1, 2]", good]) + b"\n")
    summary = convert([Source("pairwise", source)], tmp_path / "out.parquet", image_root, progress=False)
    assert (summary.rows_in, summary.written, summary.rejected) == (5, 2, 3)
    entries = [json.loads(line) for line in (tmp_path / "out.parquet.rejected.jsonl").read_text().splitlines()]
    assert [(e["line"], e["reason"].split(":")[0]) for e in entries] == [
        (2, "non-UTF-8"),
        (3, "invalid JSON"),
        (4, "not a JSON object"),
    ]
    assert "\\xe9" in entries[0]["raw"]  # the offending byte is shown, escaped


def test_symlink_out_of_root_is_rejected(tmp_path, image_root, samples):
    outside = tmp_path / "secret.png"
    outside.write_bytes(samples.png_bytes((1, 2, 3)))
    (image_root / "link.png").symlink_to(outside)
    source = samples.write_jsonl(tmp_path / "in.jsonl", [samples.pairwise(), samples.pairwise(image="link.png")])
    summary = convert([Source("pairwise", source)], tmp_path / "out.parquet", image_root, progress=False)
    assert summary.rejected == 1 and summary.reasons["image path escapes --image-root"] == 1


def test_cli_summary_accounts_for_every_row(tmp_path, image_root, samples, capsys):
    rows = [samples.pairwise(), samples.pairwise(image="missing.png"), samples.pairwise(chosen="It is green.")]
    source = samples.write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out.parquet"
    argv = ["convert", "--format", "pairwise", "--input", str(source), "--image-root", str(image_root)]
    assert main([*argv, "--output", str(output), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "rows in 3 = written 1 + rejected 2 + skipped by cap 0" in printed
    assert len((tmp_path / "out.parquet.rejected.jsonl").read_text().splitlines()) == 2
