"""Fuzz: 10,000 random batches with |log-ratio| up to 50 and |advantage| up to 1e3 (benchmarks/fuzz_algos.py)."""

import benchmark_scripts
import pytest
import torch

fuzz_algos = benchmark_scripts.load("fuzz_algos")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_stable_reinforce_never_goes_non_finite(dtype):
    result = fuzz_algos.fuzz("stable_reinforce", 10_000, max_log_diff=50.0, max_adv=1e3, dtype=dtype)
    assert (result.nonfinite_loss, result.nonfinite_grad) == (0, 0)
    # Pre-clip caps each token's loss at delta_max * max|A| = 1e6.
    assert result.max_abs_loss <= 1e6


def test_the_same_fuzz_breaks_an_unclamped_exp():
    # Control: exp overflows float32 above 88.7, so log-ratios up to 100 must produce non-finite values here;
    # the pre-clipped loss stays finite on exactly the same batches.
    unclamped = fuzz_algos.fuzz("unclamped_exp", 200, max_log_diff=100.0, max_adv=1e3, dtype=torch.float32)
    assert unclamped.nonfinite_loss > 0 and unclamped.nonfinite_grad > 0
    ours = fuzz_algos.fuzz("stable_reinforce", 200, max_log_diff=100.0, max_adv=1e3, dtype=torch.float32)
    assert (ours.nonfinite_loss, ours.nonfinite_grad) == (0, 0)
