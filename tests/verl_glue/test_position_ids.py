"""verl issue #7899 and our fix (r1_reward/verl_glue/position_ids.py): 3D M-RoPE position ids packed the way
TransferQueue packs them go through verl's own worker-side functions (its fix-up, index-select of the mini-batch
split, chunking of the micro-batch split) and come out as the rows that went in.

Without the fix the equal-length and single-row cases fail: index-select raises ``split_with_sizes``, and chunking
"succeeds" with rows of the wrong shape (the silent variant)."""

import pickle

import pytest
import torch
from tensordict import TensorDict
from transfer_queue.storage.managers.simple_storage_manager import AsyncSimpleStorageManager
from verl.utils import tensordict_utils as tu

import r1_reward.register  # noqa: F401 - installs the fix, as every verl process does
from r1_reward.verl_glue.position_ids import install, sequence_ragged_position_ids

COMPONENTS = 4  # Qwen2.5-VL: text position + 3 M-RoPE sections, as verl builds them
LENGTHS = {"equal": [7, 7, 7, 7], "mixed": [5, 9, 3, 6], "single": [8], "equal_pair": [4, 4]}


def rows_of(lengths: list[int], seed: int = 0) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 1000, (COMPONENTS, length), generator=generator) for length in lengths]


def batch(rows: list[torch.Tensor], serialised: bool = False) -> TensorDict:
    """A worker's batch: position ids packed by TransferQueue (optionally through pickle, as verl ships them)."""
    td = TensorDict({"position_ids": AsyncSimpleStorageManager._pack_field_values(rows)}, batch_size=len(rows))
    return pickle.loads(pickle.dumps(td.consolidate())) if serialised else td


@pytest.mark.parametrize("serialised", [False, True], ids=["packed", "pickled"])
@pytest.mark.parametrize("case", sorted(LENGTHS))
def test_index_select_after_verls_fixup_returns_each_row(case, serialised):
    rows = rows_of(LENGTHS[case])
    data = batch(rows, serialised)
    tu.maybe_fix_3d_position_ids(data)  # the name verl's workers call (our fix once installed)
    order = list(reversed(range(len(rows))))
    selected = tu.index_select_tensor_dict(data, order)["position_ids"].unbind()
    assert [row.tolist() for row in selected] == [rows[i].tolist() for i in order]


@pytest.mark.parametrize("case", sorted(LENGTHS))
def test_micro_batch_chunks_carry_the_unpacked_positions(case):
    """The silent variant: verl's chunking falls back to padding on the broken layout and hands the model rows
    of the wrong shape; with the fix every chunk's rows are the positions computed unpacked."""
    rows = rows_of(LENGTHS[case], seed=1)
    data = batch(rows)
    tu.maybe_fix_3d_position_ids(data)
    chunks = tu.chunk_tensordict(data, len(rows))
    got = [row for chunk in chunks for row in chunk["position_ids"].unbind()]
    assert [row.shape for row in got] == [row.shape for row in rows]
    assert all(torch.equal(a, b) for a, b in zip(got, rows))


def test_mini_batches_of_verls_iterator_keep_their_rows():
    rows = rows_of([6] * 8, seed=2)
    data = batch(rows)
    tu.maybe_fix_3d_position_ids(data)
    seen = [row for mini in tu.make_iterator(data, mini_batch_size=4, epochs=1, seed=0)
            for row in mini["position_ids"].unbind()]  # fmt: skip
    assert sorted(map(lambda r: r.flatten().tolist(), seen)) == sorted(map(lambda r: r.flatten().tolist(), rows))


def test_right_layout_passes_through_unchanged():
    nested = tu.nested_tensor_from_tensor_list(rows_of([3, 5]), ragged_idx=2)
    assert sequence_ragged_position_ids(nested) is nested


def test_unknown_layout_is_refused_not_guessed():
    nested = tu.nested_tensor_from_tensor_list(rows_of([3, 5]), ragged_idx=2)
    broken = torch.nested.nested_tensor_from_jagged(torch.zeros(3, 5), torch.tensor([0, 1, 2]))  # neither layout
    assert broken.dim() == 3 and nested.dim() == 3
    with pytest.raises(ValueError, match="unknown nested layout"):
        sequence_ragged_position_ids(broken)


def test_install_refuses_when_verl_moved_the_function(monkeypatch):
    from verl.workers import engine_workers

    monkeypatch.delattr(engine_workers, "maybe_fix_3d_position_ids")
    with pytest.raises(RuntimeError, match="verl.workers.engine_workers.maybe_fix_3d_position_ids is gone"):
        install()
