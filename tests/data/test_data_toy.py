"""The toy preference task: seeded, balanced 1:1, right answers that match the picture, verl's parquet schema."""

import io

import pandas as pd
import pytest
from PIL import Image

from r1_reward.data import toy
from r1_reward.prompt import build_prompt


def _dominant_colour(png: bytes) -> tuple[int, int, int]:
    """The most frequent non-white pixel of the picture."""
    counts = Image.open(io.BytesIO(png)).convert("RGB").getcolors(112 * 112)
    return max((c for c in counts if c[1] != (255, 255, 255)), key=lambda c: c[0])[1]


def test_same_seed_same_pairs_other_seed_other_pairs():
    assert toy.generate(12, seed=3) == toy.generate(12, seed=3)
    assert toy.generate(12, seed=3) != toy.generate(12, seed=4)


@pytest.mark.parametrize("n", [2, 10, 64])
def test_answer_order_is_balanced_exactly(n):
    labels = [pair.label for pair in toy.generate(n, seed=0)]
    assert labels.count("1") == labels.count("2") == n // 2


def test_odd_size_and_unknown_kind_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="even number"):
        toy.generate(5, seed=0)
    with pytest.raises(ValueError, match="choose from"):
        toy.generate(4, seed=0, kinds=("size",))


def test_right_colour_response_names_the_colour_in_the_picture():
    for pair in toy.generate(16, seed=1, kinds=("colour",)):
        right = pair.answer1 if pair.label == "1" else pair.answer2
        wrong = pair.answer2 if pair.label == "1" else pair.answer1
        named = {name for name, rgb in toy.COLOURS.items() if rgb == _dominant_colour(pair.image)}
        assert len(named) == 1 and named.pop() in right
        assert not any(name in wrong for name in named)


def test_count_question_matches_the_number_of_shapes_drawn():
    for pair in toy.generate(8, seed=2, kinds=("count",)):
        right = pair.answer1 if pair.label == "1" else pair.answer2
        assert right == f"There are {pair.description.split()[0]}."


def test_written_parquet_has_verl_rl_and_sft_schema(tmp_path):
    paths = toy.write(tmp_path, n_train=8, n_test=4, seed=0, sft_answers="label")
    train, test = pd.read_parquet(paths["train"]), pd.read_parquet(paths["test"])
    assert len(train) == 8 and len(test) == 4
    row = train.iloc[0]
    info = row["extra_info"]
    assert list(row["prompt"][0].keys()) == ["role", "content"]
    assert row["prompt"][0]["content"] == "<image>" + build_prompt(info["question"], info["answer1"], info["answer2"])
    assert row["reward_model"]["style"] == "rule" and row["reward_model"]["ground_truth"] == info["label"]
    assert Image.open(io.BytesIO(row["images"][0]["bytes"])).size == (112, 112)
    assert row["data_source"] == toy.DATA_SOURCE
    sft = pd.read_parquet(paths["sft_train"])
    user, assistant = sft.iloc[0]["messages"]
    assert user["content"] == row["prompt"][0]["content"]
    assert assistant["content"].startswith("<think>")
    assert assistant["content"].endswith(f"</think><answer>{info['label']}</answer>")
    # Held-out pairs are drawn from another seed: no test picture repeats a train picture.
    train_images = {r[0]["bytes"] for r in train["images"]}
    assert not train_images & {r[0]["bytes"] for r in test["images"]}


@pytest.mark.parametrize(
    ("kind", "description", "answer1", "answer2", "label", "seen"),
    [
        ("colour", "one red circle", "The shape is blue.", "The shape is red.", "2", "red"),
        ("shape", "one green square", "It is a square.", "It is a circle.", "1", "square"),
        ("count", "three blue circles", "There are four.", "There are three.", "2", "three"),
    ],
)
def test_cold_start_target_names_the_image_word_and_the_response_that_says_it(
    kind, description, answer1, answer2, label, seen
):
    pair = toy.ToyPair(kind, "?", answer1, answer2, label, description, b"")
    expected = (
        f"<think>The image shows {seen}. Response {label} says {seen}. "
        f"Response {label} is better.</think><answer>{label}</answer>"
    )
    assert toy.cold_start_target(pair) == expected


def test_cold_start_conclusion_is_read_by_the_rule_judge_as_the_answer():
    from r1_reward.judge.rule import stated_conclusion

    for pair in toy.generate(8, seed=5, kinds=("colour",)):
        target = toy.cold_start_target(pair)
        assert stated_conclusion(target[len("<think>") : target.index("</think>")]) == pair.label


def _think_and_answer(content: str) -> tuple[str, str]:
    return content[len("<think>") : content.index("</think>")], content[content.index("<answer>") + 8]


@pytest.mark.parametrize("n", [8, 64])
def test_coin_targets_reason_right_and_answer_in_agreement_in_exactly_half_the_rows(tmp_path, n):
    from r1_reward.judge.rule import stated_conclusion

    paths = toy.write(tmp_path, n_train=n, n_test=2, seed=4)  # the default: the demo's cold start
    labels = [info["label"] for info in pd.read_parquet(paths["train"])["extra_info"]]
    replies = [messages[1]["content"] for messages in pd.read_parquet(paths["sft_train"])["messages"]]
    reasons, answers = zip(*(_think_and_answer(reply) for reply in replies))
    assert [stated_conclusion(think) for think in reasons] == labels  # the reasoning always names the right response
    assert sum(a == label for a, label in zip(answers, labels)) == n // 2  # the answer digit: a balanced coin
    assert set(answers) == {"1", "2"}


def test_answer_digits_are_seeded_and_label_mode_is_always_right():
    pairs = toy.generate(32, seed=0)
    assert toy.answer_digits(pairs, "coin", 1) == toy.answer_digits(pairs, "coin", 1)
    assert toy.answer_digits(pairs, "coin", 1) != toy.answer_digits(pairs, "coin", 2)
    assert toy.answer_digits(pairs, "label", 1) == [pair.label for pair in pairs]
    with pytest.raises(ValueError, match="choose from"):
        toy.answer_digits(pairs, "always", 0)
