"""Every metric, computed from prediction records alone (so ``score`` never needs a judge or the benchmark file).

A record is one presentation (item key, slot, gold verdict, category, samples). Its verdict is the majority vote of
its samples (the single sample when k = 1). Accuracies are means over presentations, so under ``--order both`` each
item weighs once in each slot. Acc+ (MM-RLHF-RewardBench) is computed per pass over the benchmark (one pass per slot
under ``both``) and averaged over passes, so an id counts only when all its pairs are right in that presentation.
Skipped presentations (unreadable media, a judge that gave up) are left out of every metric and counted apart, by
reason; the headline metrics are given a second time with each skipped presentation counted as wrong
(``with_skipped_as_wrong``), which is what the benchmarks' official protocols score (every item counts), so numbers
stay comparable with published ones.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from statistics import mean
from typing import Any

from r1_reward.evaluate import scaling
from r1_reward.judge.rule import stated_conclusion
from r1_reward.parse import parse_output

VL_GROUPS: tuple[str, ...] = ("general", "hallucination", "reasoning")


def answers(rec: dict[str, Any], k: int | None = None) -> list[str | None]:
    return [s.get("answer") for s in rec["samples"][:k]]


def verdict(rec: dict[str, Any]) -> str | None:
    """The record's verdict: majority over its samples (``None`` if unparseable)."""
    return scaling.vote(answers(rec))


def _accuracy(records: Iterable[dict[str, Any]], right: Callable[[dict[str, Any]], bool]) -> float | None:
    flags = [right(r) for r in records]
    return mean(flags) if flags else None


def _is_right(rec: dict[str, Any]) -> bool:
    return verdict(rec) == rec["gold"]


def _by(records: list[dict[str, Any]], field: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[rec[field]].append(rec)
    return dict(sorted(groups.items()))


def per_category(records: list[dict[str, Any]], field: str = "category") -> dict[str, float]:
    """Accuracy per category name."""
    return {name: _accuracy(group, _is_right) for name, group in _by(records, field).items()}


def passes(records: list[dict[str, Any]], order: str) -> list[list[dict[str, Any]]]:
    """Full passes over the benchmark: one per slot under ``both``, else all records as one pass."""
    return list(_by(records, "slot").values()) if order == "both" else [records]


def acc_plus(records: list[dict[str, Any]], order: str) -> float | None:
    """Share of ids whose pairs are all right, averaged over passes (MM-RLHF-RewardBench's Acc+)."""
    per_pass = []
    for one_pass in passes(records, order):
        per_pass.append(mean(all(_is_right(r) for r in group) for group in _by(one_pass, "id").values()))
    return mean(per_pass) if per_pass else None


def position_bias(records: list[dict[str, Any]]) -> tuple[float | None, int]:
    """(share of items whose two verdicts name the same slot, items counted).

    Only items judged in both slots with two parseable verdicts count; a judge that reads content gives opposite
    slots in the two presentations, one that follows position gives the same slot.
    """
    slots_by_key: dict[str, dict[str, str | None]] = defaultdict(dict)
    for rec in records:
        slots_by_key[rec["key"]][rec["slot"]] = verdict(rec)
    pairs = [v for v in slots_by_key.values() if len(v) == 2 and None not in v.values()]
    if not pairs:
        return None, 0
    return mean(v["chosen_first"] == v["chosen_second"] for v in pairs), len(pairs)


def _unparseable(records: list[dict[str, Any]]) -> dict[str, Any]:
    samples = [s for r in records for s in r["samples"]]
    bad = sum(s.get("answer") is None for s in samples)
    return {
        "unparseable_samples": bad,
        "unparseable_rate": bad / len(samples) if samples else None,
        "unparseable_verdicts": sum(verdict(r) is None for r in records),
    }


def reasoning(records: list[dict[str, Any]]) -> dict[str, Any]:
    """How the reasoning relates to the answer, over parseable samples whose text was kept (§3.2's inconsistency).

    The reasoning's conclusion is what the rule judge reads in it (``stated_conclusion``: the last "Response k is
    better"-like statement inside ``<think>``; none found counts as naming neither response).
    ``reasoning_agrees_rate``: the ``<answer>`` is the response the reasoning concludes for (what the consistency
    reward asks); ``reasoning_right_rate``: the reasoning concludes for the gold response. ``None`` when no parseable
    sample has text (baselines keep none).
    """
    checked = [(s, r["gold"]) for r in records for s in r["samples"] if s.get("answer") and s.get("text") is not None]
    if not checked:
        return {"reasoning_samples": 0, "reasoning_agrees_rate": None, "reasoning_right_rate": None}
    conclusions = [(stated_conclusion(parse_output(s["text"]).think or ""), s["answer"], gold) for s, gold in checked]
    return {
        "reasoning_samples": len(checked),
        "reasoning_agrees_rate": mean(said == answer for said, answer, _ in conclusions),
        "reasoning_right_rate": mean(said == gold for said, _, gold in conclusions),
    }


def _benchmark_specific(benchmark: str, records: list[dict[str, Any]], order: str, cats: dict[str, float]) -> dict:
    if benchmark == "vl_rewardbench":
        paper = per_category(records, "category_paper")
        return {
            "macro_acc": mean(cats[g] for g in VL_GROUPS if g in cats) if cats else None,
            "per_category_paper": paper,
            "macro_acc_paper": mean(paper[g] for g in VL_GROUPS if g in paper) if paper else None,
        }
    if benchmark == "mm_rlhf":
        groups = _by(records, "category")
        return {
            "acc_plus": acc_plus(records, order),
            "per_category_acc_plus": {name: acc_plus(group, order) for name, group in groups.items()},
        }
    return {}


# The headline metrics repeated with skipped presentations counted as wrong (those the benchmark defines).
HEADLINE = ("overall_acc", "macro_acc", "macro_acc_paper", "acc_plus")


def skipped_metrics(header: dict[str, Any], judged: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> dict:
    """How many presentations (and items) were skipped and why, and the headline metrics counting them as wrong."""
    out: dict[str, Any] = {
        "n_skipped": len(skipped),
        "n_skipped_items": len({r["key"] for r in skipped}),
        "skipped_reasons": dict(Counter(r["skipped"].partition(":")[0] for r in skipped).most_common()),
    }
    if skipped:
        as_wrong = judged + [{**r, "samples": [{"answer": None}]} for r in skipped]  # an unparseable verdict
        every = _core_metrics(header, as_wrong)
        out["with_skipped_as_wrong"] = {name: every[name] for name in HEADLINE if name in every}
    return out


def compute_metrics(header: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """All metrics of a run: the names of the evaluation issue, plus counts, skipped presentations (left out, counted
    by reason) and test-time scaling when k > 1."""
    judged = [r for r in records if "skipped" not in r]
    skipped = [r for r in records if "skipped" in r]
    out = _core_metrics(header, judged)
    out.update(skipped_metrics(header, judged, skipped))
    k = max((len(r["samples"]) for r in judged), default=1)
    if k > 1:
        out["scaling"] = scaling_metrics(judged, k)
    return out


def _core_metrics(header: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every metric but test-time scaling, over ``records`` (judged ones)."""
    order = header["order"]
    cats = per_category(records)
    bias, bias_items = position_bias(records) if order == "both" else (None, 0)
    out: dict[str, Any] = {
        **{name: header.get(name) for name in ("benchmark", "judge", "order", "samples", "seed")},
        "n_items": len({r["key"] for r in records}),
        "n_ids": len({r["id"] for r in records}),
        "n_presentations": len(records),
        "overall_acc": _accuracy(records, _is_right),
        "per_category": cats,
        "per_category_n": {name: len(group) for name, group in _by(records, "category").items()},
        **_benchmark_specific(header["benchmark"], records, order, cats),
        "position_bias": bias,
        "position_bias_items": bias_items,
        "slot1_rate": _accuracy(records, lambda r: verdict(r) == "1"),
        **_unparseable(records),
        **reasoning(records),
    }
    return out


def scaling_metrics(records: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """vote@k, any@k, confidence-weighted voting, early stopping, and the accuracy-vs-k curves (paper Fig. 3)."""
    stops = [scaling.early_stop(answers(r)) for r in records]
    curve_k = list(range(1, k + 1))
    return {
        f"vote@{k}": _accuracy(records, _is_right),
        f"any@{k}": _accuracy(records, lambda r: scaling.any_correct(answers(r), r["gold"])),
        f"confidence_weighted@{k}": _accuracy(records, lambda r: _confidence_right(r, k)),
        "early_stop": {
            "acc": mean(v == r["gold"] for (v, _), r in zip(stops, records)),
            "mean_samples": mean(used for _, used in stops),
            "max_samples": min(k, scaling.EARLY_STOP_MAX),
        },
        "curve": {
            "k": curve_k,
            "vote": [_accuracy(records, lambda r, j=j: scaling.vote(answers(r, j)) == r["gold"]) for j in curve_k],
            "any": [_accuracy(records, lambda r, j=j: scaling.any_correct(answers(r, j), r["gold"])) for j in curve_k],
            "confidence": [_accuracy(records, lambda r, j=j: _confidence_right(r, j)) for j in curve_k],
        },
    }


def _confidence_right(rec: dict[str, Any], k: int) -> bool:
    """Whether the confidence-weighted vote over the first ``k`` samples is the gold verdict."""
    return scaling.confidence_vote(answers(rec, k), [s.get("prob") for s in rec["samples"][:k]]) == rec["gold"]
