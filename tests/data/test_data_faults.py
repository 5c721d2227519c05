"""Issue #13's planted bad rows: each one is quarantined with its reason while the good rows around it are written.

Paths that make the OS raise (NUL byte, over-long name, symlink loop), images training cannot use (data that does
not decode, a truncated JPEG, too many pixels, an aspect ratio Qwen2.5-VL refuses, a huge file), over-long text,
an input lacking a required column (the run fails naming the field) and a crash mid-run (the previous outputs stay).
"""

import json
import sys
from pathlib import Path

import benchmark_scripts
import pyarrow.parquet as pq
import pytest
from PIL import Image

from r1_reward.data import Source, convert
from r1_reward.data.__main__ import main
from r1_reward.data.limits import RowLimits

# The planted cases are the data fault table's own (benchmarks/fault_matrix_data.py), so the table and these tests
# exercise the same bad files.
fault_matrix_data = benchmark_scripts.load("fault_matrix_data")
CASES = [(case, kind) for case, (_, kind) in fault_matrix_data.IMAGE_CASES.items()]


def plant(root: Path, case: str) -> str:
    """Put the case's file under ``root``; return the image reference a row gives."""
    return fault_matrix_data.IMAGE_CASES[case][0](root)


@pytest.mark.parametrize(("case", "kind"), CASES, ids=[c[0] for c in CASES])
def test_planted_bad_image_is_quarantined_and_good_rows_kept(tmp_path, image_root, samples, case, kind):
    rows = [samples.pairwise(), samples.pairwise(image=plant(image_root, case)), samples.pairwise(image="blue.png")]
    output = tmp_path / "out.parquet"
    summary = convert([Source("pairwise", samples.write_jsonl(tmp_path / "in.jsonl", rows))], output, image_root,
                      progress=False)  # fmt: skip
    assert (summary.rows_in, summary.written, summary.rejected) == (3, 2, 1)
    (entry,) = [json.loads(line) for line in (tmp_path / "out.parquet.rejected.jsonl").read_text().splitlines()]
    assert entry["line"] == 2 and entry["reason"].split(":")[0] == kind, entry["reason"]
    assert pq.read_metadata(output).num_rows == 2


def test_caps_are_configurable(tmp_path, image_root, samples):
    rows = [
        samples.pairwise(image=plant(image_root, "300:1")),
        samples.pairwise(question="Why? " * 4000),
    ]  # 20,000 characters
    source = samples.write_jsonl(tmp_path / "in.jsonl", rows)
    tight = convert([Source("pairwise", source)], tmp_path / "a.parquet", image_root, progress=False,
                    limits=RowLimits(max_text_chars=20_100))  # fmt: skip
    assert (tight.written, dict(tight.reasons)) == (1, {"extreme aspect ratio": 1})
    loose = RowLimits(max_aspect_ratio=300, max_text_chars=10_000)
    summary = convert([Source("pairwise", source)], tmp_path / "b.parquet", image_root, progress=False, limits=loose)
    assert (summary.written, dict(summary.reasons)) == (1, {"text too long": 1})


def test_decompression_bomb_warning_is_an_error(tmp_path, image_root, samples, monkeypatch):
    # Pillow warns above MAX_IMAGE_PIXELS and only raises above twice that; a warned image is rejected too
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    (image_root / "bomb.png").write_bytes(fault_matrix_data.png((40, 40)))  # 1,600 pixels: warned, not raised by Pillow
    rows = [samples.pairwise(), samples.pairwise(image="bomb.png")]
    summary = convert([Source("pairwise", samples.write_jsonl(tmp_path / "in.jsonl", rows))], tmp_path / "o.parquet",
                      image_root, progress=False, limits=RowLimits(max_image_pixels=10**9))  # fmt: skip
    assert (summary.written, dict(summary.reasons)) == (1, {"image too large": 1})


def test_missing_required_column_exits_nonzero_naming_it(tmp_path, image_root, samples, capsys):
    rows = [{k: v for k, v in samples.pairwise(id=f"r{i}").items() if k != "chosen"} for i in range(3)]
    source = samples.write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out.parquet"
    argv = ["convert", "--format", "pairwise", "--input", str(source), "--image-root", str(image_root)]
    assert main([*argv, "--output", str(output), "--quiet"]) == 1
    printed = capsys.readouterr()
    assert "missing field: chosen ×3" in printed.err and "0 of 3 rows usable" in printed.err
    assert "top rejection reasons:" in printed.out and "3  missing field: chosen" in printed.out
    assert not output.exists() and not (tmp_path / "out.parquet.rejected.jsonl").exists()


def test_crash_mid_run_leaves_the_previous_outputs_intact(tmp_path, image_root, samples, monkeypatch):
    # a first run writes 2 rows and quarantines row 2; a second run dies after its first row (as under kill -9, no
    # cleanup runs): the parquet and its quarantine file must still be the first run's, consistent with each other
    convert_module = sys.modules["r1_reward.data.convert"]  # the package exports a function of the same name
    rows = [samples.pairwise(), samples.pairwise(image="missing.png"), samples.pairwise(image="blue.png")]
    source = samples.write_jsonl(tmp_path / "in.jsonl", rows)
    output, rejected = tmp_path / "out.parquet", tmp_path / "out.parquet.rejected.jsonl"
    convert([Source("pairwise", source)], output, image_root, progress=False)
    before = (output.read_bytes(), rejected.read_bytes())
    real_read = convert_module.read_records

    def dies_midway(path):
        for position, record in enumerate(real_read(path), 1):
            if position == 2:
                raise KeyboardInterrupt  # stands in for the kill; BaseException, so no per-row handler takes it
            yield record

    monkeypatch.setattr(convert_module, "read_records", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        convert([Source("pairwise", source)], output, image_root, progress=False)
    assert (output.read_bytes(), rejected.read_bytes()) == before


def test_row_groups_and_image_cache_are_bounded_in_bytes(tmp_path, image_root, samples, monkeypatch):
    # the memory bound data/README.md states: a row group is flushed once its images reach the byte cap, and the
    # shared-image cache evicts by bytes, not only by count
    images = sys.modules["r1_reward.data.images"]
    convert_module = sys.modules["r1_reward.data.convert"]
    sizes = [len((image_root / name).read_bytes()) for name in ("red.png", "blue.png")]  # 75 and 77 bytes
    monkeypatch.setattr(convert_module, "ROW_GROUP_MAX_BYTES", 2 * min(sizes))  # two rows' images fill a group
    monkeypatch.setattr(images, "CACHE_MAX_BYTES", max(sizes))  # room for one image
    rows = [samples.pairwise(id=f"r{i}", chosen=f"red {i}", image=("red.png", "blue.png")[i % 2]) for i in range(5)]
    source = samples.write_jsonl(tmp_path / "in.jsonl", rows)
    convert([Source("pairwise", source)], tmp_path / "o.parquet", image_root, progress=False)
    metadata = pq.read_metadata(tmp_path / "o.parquet")
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 1]
    store = images.ImageStore(image_root)
    store.load("red.png"), store.load("blue.png")
    assert list(store._cache) == [image_root.resolve() / "blue.png"]
