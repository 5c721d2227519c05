"""The demo's trained consistency judge: its labels are the rule judge's, it is trained on exactly the prompt the
pool's hf server builds, the loss sits on the verdict only, and a reply that is not yes/no never counts as agreement."""

import pytest
import torch

from r1_reward.cpu import judge_sft
from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.prompt import judge_prompt


@pytest.mark.parametrize(
    ("think", "answer", "consistent"),
    [
        ("The image shows red. Response 1 says blue, no. Response 2 says red, yes. Response 2 is better.", "2", True),
        ("The image shows red. Response 1 says blue, no. Response 2 says red, yes. Response 2 is better.", "1", False),
        ("Response 1 says red, yes. Response 2 is worse.", "1", True),  # blame of 2 favours 1
        ("Response 2 says red, yes. Response 2 matches.", "2", False),  # no preference statement: not consistent
        ("The image shows red. Response 1 says", "1", False),  # cut short
    ],
)
def test_rule_verdict_reads_the_last_preference_statement(think, answer, consistent):
    assert judge_sft.rule_verdict(think, answer) is consistent


def test_synthetic_checks_are_seeded_rule_labelled_and_hold_both_verdicts():
    examples = judge_sft.synthetic_examples(400, seed=3)
    assert examples == judge_sft.synthetic_examples(400, seed=3)
    assert examples != judge_sft.synthetic_examples(400, seed=4)
    assert all(e.consistent == judge_sft.rule_verdict(e.think, e.answer) for e in examples)
    yes = sum(e.consistent for e in examples) / len(examples)
    assert 0.2 < yes < 0.6
    # the final answer is a fair coin whatever the conclusion: "ends in a preference → yes" is no shortcut
    stated = [e for e in examples if judge_sft.stated_conclusion(e.think)]
    assert 0.4 < sum(e.consistent for e in stated) / len(stated) < 0.6


def test_trained_on_the_prompt_the_pool_server_builds_with_loss_on_the_verdict_only(tiny_paths):
    from transformers import AutoTokenizer

    from r1_reward.cpu.hf_engine import HFEngine

    engine = HFEngine(str(tiny_paths["text"]))
    tokenizer = AutoTokenizer.from_pretrained(tiny_paths["text"])
    example = judge_sft.JudgeExample("Response 1 says red, yes. Response 1 is better.", "1", True)
    message = judge_prompt(JudgeRequest(example.think, example.answer), judge_sft.MAX_REASONING_CHARS)
    served = engine.chat_request([{"role": "user", "content": message}], 2, 0.0, 1.0).prompt_ids
    [(row, labels)] = judge_sft._encoded(tokenizer, [example])
    assert row[: len(served)] == served
    reply = [t for t in labels if t != -100]
    assert tokenizer.decode(reply) == "yes<|im_end|>" and labels[: len(served)] == [-100] * len(served)
    batch = judge_sft._batch(
        tokenizer, judge_sft._encoded(tokenizer, [example, judge_sft.JudgeExample(example.think, "2", False)])
    )
    assert batch["input_ids"].shape == batch["labels"].shape == batch["attention_mask"].shape


class _Replies:
    """Stands in for a model whose greedy replies are fixed strings (to test the counting, not a model)."""

    def __init__(self, tokenizer, replies):
        self.tokenizer, self.replies = tokenizer, replies

    def eval(self):
        return self

    def generate(self, input_ids, attention_mask, max_new_tokens, do_sample):
        tails = [self.tokenizer(r, add_special_tokens=False)["input_ids"] for r in self.replies[: len(input_ids)]]
        self.replies = self.replies[len(input_ids) :]
        width = max(map(len, tails))
        pad = self.tokenizer.pad_token_id
        return torch.cat([input_ids, torch.tensor([t + [pad] * (width - len(t)) for t in tails])], dim=1)


def test_agreement_counts_a_non_verdict_as_disagreement(tiny_paths):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_paths["text"])
    examples = [judge_sft.JudgeExample("Response 1 is better.", "1", True),
                judge_sft.JudgeExample("Response 1 is better.", "2", False),
                judge_sft.JudgeExample("Response 2 is better.", "2", True),
                judge_sft.JudgeExample("Response 2 is better.", "1", False)]  # fmt: skip
    # right, right, not a verdict, wrong
    assert judge_sft.agreement(_Replies(tokenizer, ["yes", "No.", "maybe", "yes"]), tokenizer, examples) == 0.5
