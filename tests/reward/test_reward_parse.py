"""Table-driven tests of the shared output parser (r1_reward.parse), malformed outputs included."""

import pytest

from r1_reward.parse import ParsedOutput, parse_output

OK = "<think>Response 1 is better.</think><answer>1</answer>"

# (case id, output, format_ok, answer, think)
CASES = [
    ("exact", OK, True, "1", "Response 1 is better."),
    ("answer 2", "<think>r</think><answer>2</answer>", True, "2", "r"),
    ("whitespace around and between", "  \n<think>r</think>\n\n<answer> 2 \n</answer>\n", True, "2", "r"),
    ("empty think still well formed", "<think></think><answer>1</answer>", True, "1", ""),
    ("missing think tags", "<answer>1</answer>", False, "1", None),
    ("missing answer tags", "<think>Response 1 is better</think>1", False, None, "Response 1 is better"),
    ("unclosed answer", "<think>r</think><answer>1", False, None, "r"),
    ("answer before think", "<answer>1</answer><think>r</think>", False, "1", "r"),
    ("two answers", "<think>r</think><answer>1</answer><answer>2</answer>", False, None, "r"),
    ("two answers inside one pair", "<think>r</think><answer>1 2</answer>", True, None, "r"),
    ("answer 3", "<think>r</think><answer>3</answer>", True, None, "r"),
    ("answer 12", "<think>r</think><answer>12</answer>", True, None, "r"),
    ("answer word", "<think>r</think><answer>Response 1</answer>", True, None, "r"),
    ("text after </answer>", OK + " I am sure.", False, "1", "Response 1 is better."),
    ("text before <think>", "Sure! " + OK, False, "1", "Response 1 is better."),
    ("text between the pairs", "<think>r</think>So:<answer>1</answer>", False, "1", "r"),
    ("two think blocks", "<think>a</think><think>b</think><answer>1</answer>", False, "1", None),
    (
        "answer tag inside think",
        "<think><answer>2</answer></think><answer>1</answer>",
        False,
        None,
        "<answer>2</answer>",
    ),
    ("close tags swapped", "</think>r<think><answer>1</answer>", False, "1", None),
    ("empty output", "", False, None, None),
    ("upper-case tags are not tags", "<THINK>r</THINK><ANSWER>1</ANSWER>", False, None, None),
]


@pytest.mark.parametrize(("output", "format_ok", "answer", "think"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_table(output: str, format_ok: bool, answer: str | None, think: str | None) -> None:
    assert parse_output(output) == ParsedOutput(format_ok=format_ok, answer=answer, think=think)


def test_very_long_output_parses_in_linear_time() -> None:
    """A 2 MB reasoning (a degenerate rollout) must parse, and an unclosed one must not hang a regex."""
    reasoning = "blah " * 400_000 + "so Response 2 is better"
    assert parse_output(f"<think>{reasoning}</think><answer>2</answer>").answer == "2"
    assert parse_output("<think>" + "<think" * 300_000) == ParsedOutput(False, None, None)


def test_non_utf8_bytes_decoded_by_tokenizer(byte_tokenizer) -> None:
    """Byte tokens that are not valid UTF-8 decode to U+FFFD; the parser must handle them, never crash."""
    prefix = byte_tokenizer.encode("<think>Response 1 is better", add_special_tokens=False)
    stray = byte_tokenizer.convert_tokens_to_ids("ÿ")  # the byte 0xFF: never valid in UTF-8
    suffix = byte_tokenizer.encode("</think><answer>1</answer>", add_special_tokens=False)
    text = byte_tokenizer.decode(prefix + [stray] + suffix)
    assert "\ufffd" in text
    assert parse_output(text) == ParsedOutput(True, "1", "Response 1 is better\ufffd")
    # A stray byte inside the answer makes it not a digit: no answer.
    answer_ids = byte_tokenizer.encode("<think>r</think><answer>1", add_special_tokens=False)
    garbled = byte_tokenizer.decode(answer_ids + [stray] + byte_tokenizer.encode("</answer>", add_special_tokens=False))
    assert parse_output(garbled) == ParsedOutput(True, None, "r")
