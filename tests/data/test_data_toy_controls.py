"""The toy task needs the image AND both responses: no text-only or image-only shortcut reveals the label, and the
demo's controls (pictures or responses from another pair, labels kept) put even a perfect reader back at chance."""

import io
from collections import Counter, defaultdict

import pytest
from PIL import Image

from r1_reward.data import toy
from r1_reward.data.toy_controls import control_frame, derangement


def _picture_colour(png: bytes) -> str:
    """The toy colour name nearest to the picture's most frequent non-white pixel (read from pixels, not labels)."""
    counts = Image.open(io.BytesIO(png)).convert("RGB").getcolors(112 * 112)
    rgb = max((c for c in counts if c[1] != (255, 255, 255)), key=lambda c: c[0])[1]
    return min(toy.COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(toy.COLOURS[name], rgb)))


def _perfect_reader(png: bytes, answer1: str, answer2: str) -> str | None:
    """Answers as the task intends: the response whose key word is the picture's colour (None if neither is)."""
    seen = _picture_colour(png)
    matches = [k for k, text in (("1", answer1), ("2", answer2)) if toy.key_word(text) == seen]
    return matches[0] if len(matches) == 1 else None


def _accuracy(frame) -> float:
    """The perfect reader's accuracy on a toy RL frame; no single match counts as half right (a fair coin)."""
    score = 0.0
    for info, images in zip(frame["extra_info"], frame["images"]):
        guess = _perfect_reader(images[0]["bytes"], info["answer1"], info["answer2"])
        score += 0.5 if guess is None else float(guess == info["label"])
    return score / len(frame)


@pytest.fixture(scope="module")
def frame():
    return toy.rl_frame(toy.generate(200, seed=11, kinds=("colour",)), "test")


def test_image_and_both_responses_decide_every_label(frame):
    assert _accuracy(frame) == 1.0


def test_no_text_only_shortcut():
    """The best text-only guess (the majority label of each exact prompt text, fit on 600 pairs) is at chance."""
    train, test = toy.generate(600, seed=1, kinds=("colour",)), toy.generate(400, seed=2, kinds=("colour",))
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for pair in train:
        votes[(pair.answer1, pair.answer2)][pair.label] += 1
    right = sum(votes[(p.answer1, p.answer2)].most_common(1)[0][0] == p.label for p in test)
    assert 0.4 < right / len(test) < 0.6
    # and the text alone is balanced: each ordered response pair is labelled 1 about half the time
    assert all(0.25 < c["1"] / c.total() < 0.75 for c in votes.values() if c.total() >= 30)


def test_no_image_only_shortcut():
    """Whatever the picture's colour, the right response is first about half the time."""
    by_colour: dict[str, Counter] = defaultdict(Counter)
    for pair in toy.generate(400, seed=3, kinds=("colour",)):
        by_colour[_picture_colour(pair.image)][pair.label] += 1
    assert set(by_colour) == set(toy.COLOURS)
    assert all(0.35 < c["1"] / c.total() < 0.65 for c in by_colour.values())


@pytest.mark.parametrize("control", ["shuffled_images", "foreign_responses"])
def test_controls_put_a_perfect_reader_back_at_chance(frame, control):
    changed = control_frame(frame, control, seed=0)
    assert list(changed["reward_model"]) == list(frame["reward_model"])  # labels kept
    assert 0.4 < _accuracy(changed) < 0.6


def test_foreign_responses_rewrite_the_prompt_the_policy_reads(frame):
    changed = control_frame(frame, "foreign_responses", seed=0)
    for row, info in zip(changed["prompt"], changed["extra_info"]):
        assert f"[Response 1]: {info['answer1']}; [Response 2]: {info['answer2']}" in row[0]["content"]


def test_in_pair_swap_flips_a_perfect_reader(frame):
    assert _accuracy(control_frame(frame, "in_pair_swap")) == 0.0


def test_derangement_moves_every_row_and_needs_two():
    order = derangement(50, seed=4)
    assert sorted(order) == list(range(50)) and all(i != j for i, j in enumerate(order))
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1, seed=0)
