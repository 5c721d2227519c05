"""Metrics against hand-computed values: accuracy, both VL groupings, Acc+ with 1..8 pairs per id, position bias."""

import pytest

from r1_reward.evaluate.metrics import compute_metrics

GOLD = {"chosen_first": "1", "chosen_second": "2"}
WRONG = {"1": "2", "2": "1"}


def rec(key, slot, right, category="c", item_id=None, paper=None, answers=None):
    """A prediction record whose single sample is right or wrong (or the given answers)."""
    gold = GOLD[slot]
    answers = answers if answers is not None else [gold if right else WRONG[gold]]
    out = {"key": key, "id": item_id or key, "slot": slot, "gold": gold, "category": category,
           "samples": [{"answer": a} for a in answers]}  # fmt: skip
    return out | ({"category_paper": paper} if paper else {})


def header(benchmark, order="chosen_first"):
    return {"benchmark": benchmark, "judge": "t", "order": order, "samples": 1, "seed": 0}


def test_vl_official_and_paper_groupings():
    # (id, official group, authors' group, right?)
    rows = [
        ("hallucination_pair-1", "hallucination", "hallucination", True),
        ("RLAIF-V-2", "hallucination", "general", False),
        ("RLHF-V-3", "hallucination", "general", False),
        ("mathverse_4", "reasoning", "reasoning", True),
        ("mmmu_5", "reasoning", "reasoning", True),
        ("wildvision-6", "general", "general", False),
    ]
    records = [rec(i, "chosen_first", ok, cat, paper=paper) for i, cat, paper, ok in rows]
    m = compute_metrics(header("vl_rewardbench"), records)
    assert m["overall_acc"] == pytest.approx(3 / 6)
    assert m["per_category"] == pytest.approx({"general": 0.0, "hallucination": 1 / 3, "reasoning": 1.0})
    assert m["macro_acc"] == pytest.approx((0 + 1 / 3 + 1) / 3)
    assert m["per_category_paper"] == pytest.approx({"general": 0.0, "hallucination": 1.0, "reasoning": 1.0})
    assert m["macro_acc_paper"] == pytest.approx(2 / 3)
    assert m["position_bias"] is None  # not measurable with one slot per item


# Ids a1..a8 hold 1..8 pairs; which pairs (by index) are wrong in each pass; a1-a4 are mcq, a5-a8 long.
WRONG_FIRST = {"a2": {1}, "a5": {4}, "a7": {0}}  # all-right ids: a1 a3 a4 a6 a8 -> Acc+ 5/8
WRONG_SECOND = {"a8": {7}}  # all-right ids: 7 of 8


def _acc_plus_records(slots):
    records = []
    for n in range(1, 9):
        for pair in range(n):
            for slot in slots:
                wrong = (WRONG_FIRST if slot == "chosen_first" else WRONG_SECOND).get(f"a{n}", set())
                category = "mcq" if n <= 4 else "long"
                records.append(rec(f"a{n}#{pair}", slot, pair not in wrong, category, item_id=f"a{n}"))
    return records


def test_acc_plus_one_to_eight_pairs_per_id():
    m = compute_metrics(header("mm_rlhf"), _acc_plus_records(["chosen_first"]))
    assert m["n_items"] == 36
    assert m["overall_acc"] == pytest.approx(33 / 36)
    assert m["acc_plus"] == pytest.approx(5 / 8)
    assert m["per_category_acc_plus"] == pytest.approx({"long": 2 / 4, "mcq": 3 / 4})
    assert m["per_category"] == pytest.approx({"long": 24 / 26, "mcq": 9 / 10})


def test_acc_plus_under_both_orders_averages_the_two_passes():
    m = compute_metrics(header("mm_rlhf", "both"), _acc_plus_records(["chosen_first", "chosen_second"]))
    assert m["overall_acc"] == pytest.approx((33 + 35) / 72)
    assert m["acc_plus"] == pytest.approx((5 / 8 + 7 / 8) / 2)
    assert m["per_category_acc_plus"] == pytest.approx({"long": (2 / 4 + 3 / 4) / 2, "mcq": (3 / 4 + 4 / 4) / 2})


def test_position_bias_and_unparseable():
    # verdicts (slot 1 first, slot 2 second): A reads content, B and C follow a slot, D reads content wrongly,
    # E has one unparseable verdict and is left out of the bias.
    verdicts = {"A": ("1", "2"), "B": ("1", "1"), "C": ("2", "2"), "D": ("2", "1"), "E": ("1", None)}
    records = []
    for key, (first, second) in verdicts.items():
        records.append(rec(key, "chosen_first", None, answers=[first]))
        records.append(rec(key, "chosen_second", None, answers=[second]))
    m = compute_metrics(header("multimodal_rewardbench", "both"), records)
    assert (m["position_bias"], m["position_bias_items"]) == (pytest.approx(2 / 4), 4)
    assert m["overall_acc"] == pytest.approx(5 / 10)  # right: A, A, B1, C2, E1
    assert m["slot1_rate"] == pytest.approx(5 / 10)
    assert (m["unparseable_samples"], m["unparseable_verdicts"], m["unparseable_rate"]) == (1, 1, pytest.approx(0.1))


def test_multimodal_rewardbench_categories_pass_through():
    records = [rec("m", "chosen_first", True, "reasoning/math"), rec("c", "chosen_first", False, "reasoning/coding")]
    m = compute_metrics(header("multimodal_rewardbench"), records)
    assert m["per_category"] == {"reasoning/coding": 0.0, "reasoning/math": 1.0}
    assert "acc_plus" not in m and "macro_acc" not in m


def test_reasoning_agreement_and_rightness_from_each_samples_text():
    # (text, gold): the reasoning's last preference statement against the answer and against the gold verdict.
    samples = [
        ("<think>Response 2 says red. Response 2 is better.</think><answer>2</answer>", "2"),  # agrees, right
        ("<think>Response 2 is better.</think><answer>1</answer>", "2"),  # disagrees, reasoning right
        ("<think>Response 1 is worse.</think><answer>1</answer>", "1"),  # "1 is worse" concludes 2: disagrees, wrong
        ("<think>The image shows red.</think><answer>1</answer>", "1"),  # no conclusion: neither
        ("<think>Response 1 is better.</think><answer>3</answer>", "1"),  # unparseable: left out
    ]
    records = []
    for i, (text, gold) in enumerate(samples):
        slot = "chosen_first" if gold == "1" else "chosen_second"
        answer = text[text.index("<answer>") + 8]
        record = rec(f"k{i}", slot, None, answers=[answer if answer in "12" else None])
        record["samples"][0]["text"] = text
        records.append(record)
    m = compute_metrics(header("toy", "both"), records)
    assert m["reasoning_samples"] == 4
    assert m["reasoning_agrees_rate"] == pytest.approx(1 / 4)
    assert m["reasoning_right_rate"] == pytest.approx(2 / 4)


def test_reasoning_rates_are_none_without_text():
    m = compute_metrics(header("toy"), [rec("a", "chosen_first", True)])
    assert (m["reasoning_samples"], m["reasoning_agrees_rate"], m["reasoning_right_rate"]) == (0, None, None)
