"""Teach the tiny text Qwen2 to be the consistency judge, so the CPU demo's verl reward-model pool gives real verdicts.

The judge is asked exactly what the ``pool`` backend asks (``r1_reward.judge.prompt.judge_prompt`` in Qwen's chat
template, greedy, one word) and trained to reply what the ``rule`` judge (``r1_reward.judge.rule``) decides: ``yes``
when the reasoning's last preference statement names the final answer, ``no`` otherwise (also when there is none).
Its examples are toy-task reasonings (the cold-start format of ``r1_reward.data.toy.cold_start_target`` and two
other chains) with final answers and the damage a sampling policy does (cut short, words dropped or repeated, other
conclusions), each labelled by the rule judge. Agreement with the rule judge is measured on held-out reasonings
(another seed) and on any real policy reasonings passed in, by greedy generation and the pool's own verdict parser
(``r1_reward.judge.prompt.parse_verdict``: a reply that is not ``yes``/``no`` counts as a disagreement).

``python -m r1_reward.cpu.judge_sft --model DIR/text --out DIR/judge`` trains and prints the agreement.
"""

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer

from r1_reward.data import toy
from r1_reward.judge.base import JudgeRequest
from r1_reward.judge.prompt import judge_prompt, parse_verdict
from r1_reward.judge.rule import stated_conclusion

# The pool judge's defaults (r1_reward.judge.chat.ChatJudgeSettings): reasoning tail and reply length.
MAX_REASONING_CHARS = 4000
MAX_REPLY_TOKENS = 2
# Conclusions a sampling policy may end on; the rule judge reads the first three and finds none in the others.
_CONCLUSIONS = ("Response {k} is better.", "Response {k} is worse.", "I prefer Response {k}.",
                "Response {k} matches.", "Response {k} says", "")  # fmt: skip


@dataclass(frozen=True)
class JudgeExample:
    """One consistency check and the rule judge's verdict on it."""

    think: str
    answer: str
    consistent: bool


def rule_verdict(think: str, answer: str) -> bool:
    """The rule judge's verdict (``RuleJudge.judge`` without the event loop)."""
    return stated_conclusion(think) == answer


def _damaged(words: list[str], rng: random.Random) -> list[str]:
    """Drop, repeat or swap a few words, as temperature-1 sampling does."""
    words = list(words)
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        if len(words) < 2:
            break
        position = rng.randrange(len(words))
        action = rng.choice(("drop", "repeat", "swap"))
        if action == "drop":
            del words[position]
        elif action == "repeat":
            words.insert(position, words[position])
        else:
            other = rng.randrange(len(words))
            words[position], words[other] = words[other], words[position]
    return words


def _reasoning(pair: toy.ToyPair, rng: random.Random) -> str:
    """A correct toy reasoning: the cold-start target's, or a shorter or longer chain ending on the same statement."""
    target = toy.cold_start_target(pair)
    seen, k = pair.description.split()[1], pair.label
    word1, word2 = toy.key_word(pair.answer1), toy.key_word(pair.answer2)
    return rng.choice((
        target[len("<think>") : target.index("</think>")],
        f"The image shows {seen}. Response {k} says {seen}. Response {k} is better.",
        f"The image shows {seen}. Response 1 says {word1}. Response 2 says {word2}. Response {k} is better.",
    ))  # fmt: skip


def synthetic_examples(n: int, seed: int) -> list[JudgeExample]:
    """``n`` toy reasonings (cold-start format, then re-concluded, damaged or cut), with answers, rule-labelled."""
    rng = random.Random(seed)
    pairs = toy.generate(2 * ((n + 1) // 2), seed, ("colour",))
    examples = []
    for pair in pairs[:n]:
        think = _reasoning(pair, rng)
        if rng.random() < 0.3:  # replace the conclusion (its last sentence) by another one, any digit
            body = think.rsplit(". ", 1)[0] + "."
            think = f"{body} {rng.choice(_CONCLUSIONS).format(k=rng.choice('12'))}".strip()
        think = " ".join(_damaged(think.split(), rng))
        if rng.random() < 0.1:  # cut short anywhere
            think = think[: rng.randrange(len(think) + 1)]
        # A fair coin, never the stated digit more often: with a bias, "ends in 'is better' → yes" is a shortcut that
        # scored 89% and never compared the digits (a probe); few replaced conclusions keep "yes" common instead.
        answer = rng.choice("12")
        examples.append(JudgeExample(think, answer, rule_verdict(think, answer)))
    return examples


def _prompt_ids(tokenizer, example: JudgeExample) -> list[int]:
    """Token ids of the chat the pool's hf server builds for this check (user turn, generation prompt)."""
    message = judge_prompt(JudgeRequest(example.think, example.answer), MAX_REASONING_CHARS)
    text = tokenizer.apply_chat_template([{"role": "user", "content": message}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _encoded(tokenizer, examples: Sequence[JudgeExample]) -> list[tuple[list[int], list[int]]]:
    """(prompt + verdict + end-of-turn ids, labels with the loss on the verdict and end-of-turn only) per example."""
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    replies = {v: tokenizer(v, add_special_tokens=False)["input_ids"] + [end] for v in ("yes", "no")}
    encoded = []
    for example in tqdm(examples, desc="judge data", unit="example"):
        prompt, reply = _prompt_ids(tokenizer, example), replies["yes" if example.consistent else "no"]
        encoded.append((prompt + reply, [-100] * len(prompt) + reply))
    return encoded


def _batch(tokenizer, encoded: Sequence[tuple[list[int], list[int]]]) -> dict[str, torch.Tensor]:
    """Right-padded rows of ``_encoded``."""
    rows, labels = [row for row, _ in encoded], [label for _, label in encoded]
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id
    return {
        "input_ids": torch.tensor([row + [pad] * (width - len(row)) for row in rows]),
        "attention_mask": torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows]),
        "labels": torch.tensor([label + [-100] * (width - len(label)) for label in labels]),
    }


@torch.no_grad()
def verdicts(model, tokenizer, examples: Sequence[JudgeExample], batch_size: int = 64) -> list[bool | None]:
    """The judge's greedy verdicts (``parse_verdict`` of a ``MAX_REPLY_TOKENS`` reply; None = no verdict)."""
    model.eval()
    tokenizer.padding_side = "left"
    found: list[bool | None] = []
    for start in range(0, len(examples), batch_size):
        prompts = [_prompt_ids(tokenizer, example) for example in examples[start : start + batch_size]]
        width = max(map(len, prompts))
        ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=MAX_REPLY_TOKENS, do_sample=False)
        replies = tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)
        found.extend(parse_verdict(reply) for reply in replies)
    return found


def agreement(model, tokenizer, examples: Sequence[JudgeExample]) -> float:
    """Fraction of checks where the judge's verdict equals the rule judge's (no verdict = disagreement)."""
    if not examples:
        return float("nan")
    given = verdicts(model, tokenizer, examples)
    return sum(v is not None and v == e.consistent for v, e in zip(given, examples, strict=True)) / len(examples)


def train_judge(model_dir: str | Path, out: str | Path, steps: int = 300, batch_size: int = 32, lr: float = 3e-3,
                seed: int = 0, n_train: int = 2048) -> Path:  # fmt: skip
    """Fine-tune the text model at ``model_dir`` on rule-labelled synthetic checks; save it (and its tokenizer)."""
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    examples = _encoded(tokenizer, synthetic_examples(n_train, seed))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / steps)
    rng = random.Random(seed)
    model.train()
    bar = tqdm(range(steps), desc="judge sft", unit="step")
    for _ in bar:
        loss = model(**_batch(tokenizer, rng.sample(examples, batch_size))).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    out = Path(out)
    model.eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the tiny text model as the consistency judge.")
    parser.add_argument("--model", required=True, help="tiny text model folder (python -m r1_reward.cpu.tiny_model)")
    parser.add_argument("--out", required=True, help="folder for the trained judge")
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps")
    parser.add_argument("--lr", type=float, default=3e-3, help="learning rate (linear decay to 0)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = train_judge(args.model, args.out, steps=args.steps, lr=args.lr, seed=args.seed)
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)
    held_out = synthetic_examples(512, args.seed + 1_000_003)
    print(f"judge: {path}; agreement with the rule judge on 512 held-out reasonings: "
          f"{agreement(model, tokenizer, held_out):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
