"""The shared writers (r1_reward/files.py): atomic parquet, torn-line recovery."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from r1_reward.files import ParquetRowWriter, cut_torn_tail, write_parquet

SCHEMA = pa.schema([("x", pa.int64())])


def test_parquet_is_written_in_row_groups_and_published_whole(tmp_path):
    output = tmp_path / "out.parquet"
    assert write_parquet(({"x": i} for i in range(5)), output, SCHEMA, row_group_size=2) == 5
    assert pq.ParquetFile(output).metadata.num_row_groups == 3  # 2 + 2 + 1
    assert pq.read_table(output).column("x").to_pylist() == [0, 1, 2, 3, 4]
    assert not (tmp_path / "out.parquet.tmp").exists()


def test_a_crash_mid_write_leaves_the_old_file(tmp_path):
    output = tmp_path / "out.parquet"
    write_parquet([{"x": 7}], output, SCHEMA)

    def rows():
        yield {"x": 1}
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        write_parquet(rows(), output, SCHEMA)
    assert pq.read_table(output).column("x").to_pylist() == [7]


def test_writer_counts_what_it_commits(tmp_path):
    writer = ParquetRowWriter(tmp_path / "w.parquet", SCHEMA, row_group_size=10)
    for i in range(3):
        writer.add({"x": i})
    assert not (tmp_path / "w.parquet").exists()
    assert writer.commit() == 3 and pq.read_table(tmp_path / "w.parquet").num_rows == 3


@pytest.mark.parametrize(("data", "kept", "cut"), [
    (b'{"a": 1}\n{"a": 2}\n{"a"', b'{"a": 1}\n{"a": 2}\n', 4),
    (b'{"a": 1}\n', b'{"a": 1}\n', 0),
    (b'{"a"', b"", 4),
    (b"", b"", 0),
])  # fmt: skip
def test_cut_torn_tail_keeps_every_complete_line(tmp_path, data, kept, cut):
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    assert cut_torn_tail(path) == cut
    assert path.read_bytes() == kept


def test_cut_torn_tail_finds_a_newline_beyond_one_read_chunk(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"x\n" + b"y" * 200_000)  # the last newline is 200 kB before the end
    assert cut_torn_tail(path) == 200_000 and path.read_bytes() == b"x\n"
