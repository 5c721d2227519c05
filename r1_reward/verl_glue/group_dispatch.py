"""Sends each GRPO group whole to one reward-loop worker: the driver side of the tournament reward (Appendix C.9).

verl 0.9.1 never keeps a group together: with reward workers free to stream (no reward model, or one in its own
resource pool) each sample goes to a random worker as its rollout finishes (``AgentLoopWorker._compute_score``), and
the colocated path (``RewardLoopManager.compute_rm_score``) cuts the batch into contiguous chunks per worker, so one
prompt's ``rollout.n`` responses can land on different workers. :class:`GroupRewardLoop` wraps verl's
``RewardLoopManager`` (built by verl's trainer, so its workers and judge pool are verl's own):

- ``reward_loop_worker_handles`` is None, so verl's trainer scores after the rollout, in its colocated reward step
  (``_compute_reward_colocate``), and its agent loop scores nothing per sample;
- ``compute_rm_score`` groups the rows by ``uid`` and calls the workers' own ``compute_score`` once per *group*
  (whole groups dealt round-robin over the workers, all in flight together), then builds ``rm_scores`` as verl does.

It also logs the step's tournament metrics and, when ``verdict_log_dir`` is set, every verdict (one JSONL per step).
Everything else is delegated to verl's manager. Used by ``r1_reward.verl_glue.trainer.R1RewardTrainer`` (V1 trainer
only).

Written against verl 0.9.1 (pinned in tests/test_verl_api.py). No upstream issue is known; retire it when verl's
reward loop can score a GRPO group as a whole.
"""

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import ray
import transfer_queue as tq
from tensordict import TensorDict
from verl import DataProto
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from r1_reward.tournament.config import TournamentSettings
from r1_reward.tournament.pairing import Match, Verdict, position_disagreements

EXTRA_FIELDS = ("uid", "data_source", "reward_model")


def group_rows(uids: Sequence[str]) -> list[list[int]]:
    """Row indices of each group, groups in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for row, uid in enumerate(uids):
        groups.setdefault(str(uid), []).append(row)
    return list(groups.values())


def assign_groups(uids: Sequence[str], num_workers: int) -> list[list[list[int]]]:
    """For each worker, the whole groups it scores: groups dealt round-robin, never split, any batch size."""
    if num_workers < 1:
        raise ValueError("reward.num_workers must be >= 1")
    plan: list[list[list[int]]] = [[] for _ in range(num_workers)]
    for k, rows in enumerate(group_rows(uids)):
        plan[k % num_workers].append(rows)
    return plan


def group_metrics(results: Sequence[dict], n_rows: int) -> dict[str, float]:
    """Step metrics: mean score, win-rate spread per group, judge calls / failures / unparseable, position bias."""
    calls = failed = unparseable = same_slot = both_orders = 0
    spreads = []
    for result in results:
        info = result["reward_extra_info"]
        verdicts = [Verdict(Match(a, b), p, status) for a, b, p, status in info["verdicts"]]
        calls += len(verdicts)
        failed += sum(v.status == "failed" for v in verdicts)
        unparseable += sum(v.status == "unparseable" for v in verdicts)
        disagree, pairs = position_disagreements(verdicts)
        same_slot, both_orders = same_slot + disagree, both_orders + pairs
        judge_scores = info["judge_score"]
        spreads.append((max(judge_scores) - min(judge_scores)) / max(len(judge_scores) - 1, 1))
    scores = [s for result in results for s in result["reward_score"]]
    return {
        "tournament/mean_score": float(np.mean(scores)) if scores else float("nan"),
        "tournament/win_rate_spread": float(np.mean(spreads)) if spreads else float("nan"),
        "tournament/judge_calls": float(calls),
        "tournament/judge_failures": float(failed),
        "tournament/judge_unparseable": float(unparseable),
        "tournament/position_bias": same_slot / both_orders if both_orders else float("nan"),
        "tournament/groups": float(len(results)),
        "tournament/samples": float(n_rows),
    }


class GroupRewardLoop:
    """verl's ``RewardLoopManager`` with whole-group scoring (see the module docstring)."""

    reward_loop_worker_handles = None  # never stream per sample: groups are scored together after the rollout

    def __init__(self, inner: Any, settings: TournamentSettings) -> None:
        self.inner, self.settings = inner, settings
        self._bound: tuple[list[str], str, int] | None = None
        self._metrics: dict[str, float] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def bind(self, keys: Sequence[str], partition_id: str, step: int) -> None:
        """The TransferQueue keys of the batch the next ``compute_rm_score`` receives (same rows, same order)."""
        self._bound = (list(keys), partition_id, step)

    def pop_metrics(self) -> dict[str, float]:
        metrics, self._metrics = self._metrics, {}
        return metrics

    def _extra_fields(self, n_rows: int) -> dict[str, np.ndarray]:
        if self._bound is None or len(self._bound[0]) != n_rows:
            raise RuntimeError("GroupRewardLoop.compute_rm_score needs bind(keys, partition_id, step) for its batch")
        keys, partition_id, _ = self._bound
        data = tq.kv_batch_get(keys=keys, partition_id=partition_id, select_fields=list(EXTRA_FIELDS))
        return {name: _object_array(list(data[name])) for name in EXTRA_FIELDS}

    def compute_rm_score(self, data: DataProto) -> DataProto:
        """``rm_scores`` for a batch of whole groups, each group scored in one ``compute_score`` call of a worker."""
        data.non_tensor_batch.update(self._extra_fields(len(data)))
        results = self.score_groups(data)
        scores = [0.0] * len(data)
        for rows, result in results:
            for row, score in zip(rows, result["reward_score"], strict=True):
                scores[row] = score
        self._finish(results, len(data))
        rm_scores = RewardManagerBase.assemble_rm_scores(data, scores)
        return DataProto(
            batch=TensorDict({"rm_scores": rm_scores}, batch_size=len(data)), meta_info={"reward_extra_keys": []}
        )

    def score_groups(self, data: DataProto) -> list[tuple[list[int], dict]]:
        """(rows, the worker's result) per group; all groups in flight at once across verl's reward workers."""
        workers = self.inner.reward_loop_workers
        plan = assign_groups(data.non_tensor_batch["uid"].tolist(), len(workers))
        wake = self._judge_sleeps()
        if wake:
            self.inner.reward_model_manager.wake_up()
        try:
            jobs = [
                (rows, worker.compute_score.remote(data.select_idxs(rows)))
                for worker, groups in zip(workers, plan)
                for rows in groups
            ]
            return [(rows, result) for (rows, _), result in zip(jobs, ray.get([job for _, job in jobs]))]
        finally:
            if wake:
                self.inner.reward_model_manager.sleep()

    def _judge_sleeps(self) -> bool:
        """Whether verl parks the judge pool between steps (``free_cache_engine``), so it must be woken to judge."""
        manager = getattr(self.inner, "reward_model_manager", None)
        return manager is not None and bool(manager.config.rollout.free_cache_engine)

    def _finish(self, results: list[tuple[list[int], dict]], n_rows: int) -> None:
        metrics = group_metrics([result for _, result in results], n_rows)
        calls, failed = metrics["tournament/judge_calls"], metrics["tournament/judge_failures"]
        unparseable = metrics["tournament/judge_unparseable"]
        # A call without a verdict scores nothing, whether it failed or its reply held no answer: a judge that never
        # writes <answer>1|2</answer> would otherwise score every response 0 and GRPO would train on noise.
        if calls and (failed + unparseable) / calls > self.settings.max_failed_frac:
            raise RuntimeError(
                f"{int(failed + unparseable)} of {int(calls)} tournament judge calls gave no verdict ({int(failed)} "
                f"failed after retries, {int(unparseable)} unparseable; > r1_reward.tournament.max_failed_frac="
                f"{self.settings.max_failed_frac}). Failed: check the judge is up (reward.reward_model.* or "
                "r1_reward.judge.base_url), raise r1_reward.tournament.timeout_s / r1_reward.judge.retries. "
                "Unparseable: the judge must be a trained R1-Reward model that ends with <answer>1|2</answer> "
                "(reward.reward_model.model_path), with room to write it (r1_reward.tournament.max_tokens)"
            )
        self._metrics = metrics
        if self.settings.verdict_log_dir:
            self._log_verdicts(results)

    def _log_verdicts(self, results: list[tuple[list[int], dict]]) -> None:
        keys, partition_id, step = self._bound
        os.makedirs(self.settings.verdict_log_dir, exist_ok=True)
        path = os.path.join(self.settings.verdict_log_dir, f"{partition_id}_{step}.jsonl")
        with open(path, "a") as file:
            for rows, result in results:
                info = result["reward_extra_info"]
                file.write(json.dumps({
                    "step": step, "mode": self.settings.mode, "keys": [keys[r] for r in rows],
                    "scores": result["reward_score"], "judge_score": info["judge_score"],
                    "rule_score": info["rule_score"], "verdicts": info["verdicts"], "images": info["images"],
                }) + "\n")  # fmt: skip


def _object_array(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
