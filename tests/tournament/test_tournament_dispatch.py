"""A GRPO group is never split across reward workers, whatever the batch size and worker count, and the driver puts
each group's scores on the right rows (at the last response token, as verl does) and logs the step's metrics."""

import numpy as np
import pytest
import torch
from verl import DataProto

from r1_reward.tournament.config import TournamentSettings
from r1_reward.verl_glue import group_dispatch
from r1_reward.verl_glue.group_dispatch import GroupRewardLoop, assign_groups, group_metrics


def interleaved_uids(groups: int, n: int, seed: int) -> list[str]:
    """``groups`` prompts of ``n`` rollouts each, rows shuffled (verl does not promise contiguous groups)."""
    uids = [f"p{g}" for g in range(groups) for _ in range(n)]
    np.random.default_rng(seed).shuffle(uids)
    return uids


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize(("groups", "n"), [(1, 8), (3, 8), (5, 4), (7, 3), (2, 5)])
def test_a_group_is_never_split(groups, n, workers):
    uids = interleaved_uids(groups, n, seed=groups * 10 + workers)
    plan = assign_groups(uids, workers)
    owner = {}
    for worker, assigned in enumerate(plan):
        for rows in assigned:
            assert len({uids[r] for r in rows}) == 1 and len(rows) == n
            assert uids[rows[0]] not in owner, "a prompt's rollouts went to two workers"
            owner[uids[rows[0]]] = worker
    assert sorted(r for assigned in plan for rows in assigned for r in rows) == list(range(len(uids)))
    # Balanced: worker loads differ by at most one group.
    loads = [len(assigned) for assigned in plan]
    assert max(loads) - min(loads) <= 1


class FakeWorker:
    """Stands in for verl's RewardLoopWorker actor: ``compute_score.remote(group)`` scores by the response length,
    with one valid verdict and one of ``status`` per group."""

    def __init__(self, seen: list, status: str = "failed"):
        self.seen, self.status = seen, status
        self.compute_score = self

    def remote(self, data: DataProto) -> dict:
        self.seen.append((id(self), data.non_tensor_batch["uid"].tolist()))
        lengths = data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :].sum(dim=1).tolist()
        verdicts = [[0, 1, 1.0, "ok"], [1, 0, None, self.status]]
        info = {
            "judge_score": [float(x) for x in lengths],
            "rule_score": [0.0] * len(lengths),
            "verdicts": verdicts,
            "images": 1,
        }
        return {"reward_score": [float(x) for x in lengths], "reward_extra_info": info}


class FakeManager:
    def __init__(self, workers: int, status: str = "failed"):
        self.seen: list = []
        self.reward_loop_workers = [FakeWorker(self.seen, status) for _ in range(workers)]
        self.reward_model_manager = None


def batch(uids: list[str], lengths: list[int]) -> DataProto:
    prompts = torch.ones(len(uids), 2, dtype=torch.long)
    responses = torch.ones(len(uids), max(lengths), dtype=torch.long)
    response_mask = (torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]).long()
    mask = torch.cat([torch.ones_like(prompts), response_mask], dim=1)
    return DataProto.from_dict({"prompts": prompts, "responses": responses, "attention_mask": mask})


def test_compute_rm_score_places_each_groups_scores(monkeypatch, tmp_path):
    monkeypatch.setattr(group_dispatch.ray, "get", lambda refs: refs)
    uids = ["a", "b", "a", "c", "b", "c", "a"]
    lengths = [3, 1, 2, 4, 5, 1, 2]
    loop = GroupRewardLoop(FakeManager(workers=2), TournamentSettings(verdict_log_dir=str(tmp_path)))
    monkeypatch.setattr(loop, "_extra_fields", lambda n: {"uid": np.array(uids, dtype=object)})
    loop.bind([f"{u}_{i}_0" for i, u in enumerate(uids)], "train", step=3)
    out = loop.compute_rm_score(batch(uids, lengths))
    # Each group went whole to one worker, groups dealt a -> worker 0, b -> worker 1, c -> worker 0.
    workers = [id(worker) for worker in loop.inner.reward_loop_workers]
    sent = {tuple(sorted(set(u))): workers.index(worker) for worker, u in loop.inner.seen}
    assert sent == {("a",): 0, ("b",): 1, ("c",): 0} and len(loop.inner.seen) == 3
    # The score sits on the last valid response token of its own row (the fake worker scores = length).
    rm = out.batch["rm_scores"]
    assert rm.sum(dim=1).tolist() == [float(x) for x in lengths]
    assert [int(rm[i].nonzero()[0]) for i in range(len(uids))] == [x - 1 for x in lengths]
    metrics = loop.pop_metrics()
    assert metrics["tournament/judge_calls"] == 6 and metrics["tournament/judge_failures"] == 3
    assert metrics["tournament/groups"] == 3 and loop.pop_metrics() == {}
    logged = (tmp_path / "train_3.jsonl").read_text().splitlines()
    assert len(logged) == 3


@pytest.mark.parametrize(("status", "counts"), [("failed", "1 failed after retries, 0 unparseable"),
                                                ("unparseable", "0 failed after retries, 1 unparseable")])  # fmt: skip
def test_calls_without_a_verdict_stop_the_step_whether_failed_or_unparseable(monkeypatch, status, counts):
    # One of the group's two calls gives no verdict: half, over the 0.25 allowed.
    monkeypatch.setattr(group_dispatch.ray, "get", lambda refs: refs)
    loop = GroupRewardLoop(FakeManager(workers=1, status=status), TournamentSettings(max_failed_frac=0.25))
    monkeypatch.setattr(loop, "_extra_fields", lambda n: {"uid": np.array(["a", "a"], dtype=object)})
    loop.bind(["a_0_0", "a_1_0"], "train", step=1)
    with pytest.raises(RuntimeError, match="max_failed_frac") as error:
        loop.compute_rm_score(batch(["a", "a"], [1, 2]))
    assert f"1 of 2 tournament judge calls gave no verdict ({counts}" in str(error.value)


def test_calls_without_a_verdict_within_the_allowed_share_pass(monkeypatch):
    monkeypatch.setattr(group_dispatch.ray, "get", lambda refs: refs)
    loop = GroupRewardLoop(FakeManager(workers=1, status="unparseable"), TournamentSettings(max_failed_frac=0.5))
    monkeypatch.setattr(loop, "_extra_fields", lambda n: {"uid": np.array(["a", "a"], dtype=object)})
    loop.bind(["a_0_0", "a_1_0"], "train", step=1)
    loop.compute_rm_score(batch(["a", "a"], [1, 2]))
    assert loop.pop_metrics()["tournament/judge_unparseable"] == 1


def test_streaming_is_off_and_everything_else_is_verls():
    inner = FakeManager(workers=2)
    loop = GroupRewardLoop(inner, TournamentSettings())
    assert loop.reward_loop_worker_handles is None
    assert loop.reward_loop_workers is inner.reward_loop_workers


def test_group_metrics_by_hand():
    result = {
        "reward_score": [2.0, 0.0, 1.0],
        "reward_extra_info": {
            "judge_score": [2.0, 0.0, 1.0],
            "verdicts": [
                [0, 1, 1.0, "ok"],
                [1, 0, 1.0, "ok"],
                [0, 2, 1.0, "ok"],
                [2, 0, 0.0, "ok"],
                [1, 2, None, "unparseable"],
                [2, 1, 1.0, "ok"],
            ],
        },
    }
    metrics = group_metrics([result], 3)
    # {0,1}: slot 1 both times -> biased; {0,2}: orders agree; {1,2}: one unparseable -> not counted.
    assert metrics["tournament/position_bias"] == 0.5
    assert metrics["tournament/win_rate_spread"] == 1.0  # (2 - 0) / (3 - 1)
    assert metrics["tournament/judge_unparseable"] == 1 and metrics["tournament/mean_score"] == 1.0


def test_verls_own_contiguous_chunks_would_split_a_group():
    # Why group_dispatch exists: verl's RewardLoopManager.compute_rm_score pads the batch to a multiple of the
    # worker count and cuts contiguous chunks; 3 prompts x 8 rollouts over 2 workers puts prompt 1 on both.
    from verl.protocol import pad_dataproto_to_divisor

    uids = [f"p{g}" for g in range(3) for _ in range(8)]
    data = batch(uids, [1] * len(uids))
    data.non_tensor_batch["uid"] = np.array(uids, dtype=object)
    padded, _ = pad_dataproto_to_divisor(data, 2)
    chunks = [set(chunk.non_tensor_batch["uid"].tolist()) for chunk in padded.chunk(2)]
    assert chunks[0] & chunks[1] == {"p1"}
    plan = assign_groups(uids, 2)
    assert not ({uids[r] for rows in plan[0] for r in rows} & {uids[r] for rows in plan[1] for r in rows})
