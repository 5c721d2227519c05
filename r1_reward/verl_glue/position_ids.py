"""Fix for verl 0.9.1's 3D (M-RoPE) position ids when every row a rank gets has the same length.

Qwen2.5-VL gives each row position ids of shape ``(C, L_i)`` (C = 4 rope components). verl's V1 trainer carries them
as a jagged nested tensor whose ragged dimension should be the sequence (``values`` of shape ``(C, Σ L_i)``). Two
layouts reach the workers that are not that:

- **coordinate-packed**: TransferQueue packs rows with ``torch.nested.as_nested_tensor(rows, layout=torch.jagged)``
  (``transfer_queue/storage/managers/simple_storage_manager.py`` ``_pack_field_values``, and its deserialiser).
  torch picks the ragged dimension from the shapes, so when all rows share one length it makes the C dimension
  ragged: ``values`` ``(B·C, L)``, lengths ``[C] * B``;
- **sequence-packed with its flag lost**: the right values and offsets, but ``_ragged_idx`` reset to 1 after
  TensorDict consolidation and pickling (verl's own case).

verl's ``maybe_fix_3d_position_ids`` (``verl/utils/tensordict_utils.py``) sets ``_ragged_idx = 2`` on both. That
repairs the second and breaks the first: the actor update then fails in ``index_select_tensor_dict``
(``split_with_sizes expects split_sizes to sum exactly to L … got [4, 4, …]``), and worse, the log-prob passes go
through ``chunk_tensordict``, which catches that error and rebuilds every row with the wrong shape, so the model runs
with wrong rope positions and no error. It happens whenever one rank's rows all have one length: few rows per rank
and responses cut at the length limit make it common in RL.

:func:`normalize_3d_position_ids` reads the layout from the values and offsets and rebuilds the tensor ragged on the
sequence dimension; :func:`install` puts it in place of verl's function in the modules that call it. The registration
module (``r1_reward.register``) installs it in every verl process, driver and Ray workers, on CPU and GPU alike.

Written against verl 0.9.1 and TransferQueue 0.1.x. Upstream: verl issue #7899, fix PR #7901 (open); related #7767,
#6000, #5689, #6073. Drop this module when the pinned verl carries the fix. ``tests/test_verl_api.py`` pins the
functions patched here, and :func:`install` raises if they move.
"""

import importlib

import torch

# verl's function and every module that binds it by name at import (verl 0.9.1).
VERL_FUNCTION = "maybe_fix_3d_position_ids"
VERL_MODULES = (
    "verl.utils.tensordict_utils",
    "verl.workers.engine_workers",
    "verl.workers.engine.base",
    "verl.workers.engine_workers_tinker",
)
KEY = "position_ids"


def _sequence_ragged(values: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """A nested tensor of rows ``values[:, offsets[i]:offsets[i+1]]``, ragged on the sequence (dim 2)."""
    return torch.nested.nested_tensor_from_jagged(values.contiguous(), offsets.contiguous(), jagged_dim=2)


def sequence_ragged_position_ids(position_ids: torch.Tensor) -> torch.Tensor:
    """``position_ids`` (a 3D jagged nested tensor in any of the layouts above) rebuilt ragged on the sequence."""
    values, offsets = position_ids.values(), position_ids.offsets()
    rows, total = offsets.numel() - 1, int(offsets[-1])
    if values.dim() != 2:
        raise ValueError(f"3D position_ids with values of shape {tuple(values.shape)}: expected (components, tokens)")
    if position_ids._ragged_idx == 2 and values.shape[1] == total:
        return position_ids  # already right
    lengths = offsets.diff()
    if values.shape[0] == total and rows and bool((lengths == lengths[0]).all()):
        # Coordinate-packed: row i is values[i*C:(i+1)*C, :], C = lengths[0], one length L for all rows.
        components, length = int(lengths[0]), values.shape[1]
        per_row = values.reshape(rows, components, length)
        sequence_offsets = torch.arange(rows + 1, dtype=offsets.dtype, device=offsets.device) * length
        return _sequence_ragged(per_row.permute(1, 0, 2).reshape(components, rows * length), sequence_offsets)
    if values.shape[1] == total:
        return _sequence_ragged(values, offsets)  # sequence-packed, flag lost
    raise ValueError(
        f"3D position_ids in an unknown nested layout (values {tuple(values.shape)}, offsets {offsets.tolist()}, "
        f"ragged dim {position_ids._ragged_idx}): r1_reward/verl_glue/position_ids.py knows verl 0.9.1's layouts"
    )


def normalize_3d_position_ids(data) -> None:
    """Drop-in for verl's ``maybe_fix_3d_position_ids``: fix ``data["position_ids"]`` in place when it is a 3D
    jagged nested tensor, whatever the layout it arrived in."""
    if KEY in data.keys():
        position_ids = data[KEY]
        if isinstance(position_ids, torch.Tensor) and position_ids.is_nested and position_ids.dim() == 3:
            data[KEY] = sequence_ragged_position_ids(position_ids)


def install() -> list[str]:
    """Put :func:`normalize_3d_position_ids` in place of verl's function in every module that calls it; returns the
    modules patched. Raises if one of them no longer has the function (verl moved: re-check the fix)."""
    patched = []
    for name in VERL_MODULES:
        module = importlib.import_module(name)
        if not callable(getattr(module, VERL_FUNCTION, None)):
            raise RuntimeError(
                f"{name}.{VERL_FUNCTION} is gone: r1_reward/verl_glue/position_ids.py was written for verl 0.9.1; "
                "check whether this verl still needs the fix (verl issue #7899)"
            )
        setattr(module, VERL_FUNCTION, normalize_3d_position_ids)
        patched.append(name)
    return patched
