"""A gradient step on a tiny model through verl's own actor loss path (verl.workers.utils.losses.ppo_loss)."""

import sys
from pathlib import Path

import torch
from verl.utils import tensordict_utils as tu
from verl.workers.utils.losses import ppo_loss

sys.path.insert(0, str(Path(__file__).parent))
from helpers import actor_config  # noqa: E402

VOCAB, PROMPT_LEN, RESPONSE_LEN = 8, 3, 4


class Bigram(torch.nn.Module):
    """Next-token log-probabilities from the current token only: the smallest trainable LM."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.logits = torch.nn.Embedding(VOCAB, VOCAB)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Log-prob of token t+1 at position t, flattened over the batch (verl's no-padding layout)."""
        log_probs = torch.log_softmax(self.logits(tokens[:, :-1]), dim=-1)
        next_token = log_probs.gather(-1, tokens[:, 1:, None]).squeeze(-1)
        return torch.cat([next_token, torch.zeros(tokens.shape[0], 1)], dim=1).reshape(-1)


def batch(tokens: torch.Tensor, old_log_probs: torch.Tensor, advantages: torch.Tensor):
    bsz = tokens.shape[0]
    tensors = {
        "prompts": tokens[:, :PROMPT_LEN],
        "responses": tokens[:, PROMPT_LEN:],
        "attention_mask": torch.ones(bsz, PROMPT_LEN + RESPONSE_LEN, dtype=torch.int64),
        "response_mask": torch.ones(bsz, RESPONSE_LEN, dtype=torch.int64),
        "old_log_probs": old_log_probs,
        "advantages": advantages,
    }
    return tu.get_tensordict(tensors, {"dp_size": 1, "batch_num_tokens": None, "global_batch_size": None})


def response_log_probs(model: Bigram, tokens: torch.Tensor) -> torch.Tensor:
    flat = model(tokens).reshape(tokens.shape[0], -1)
    return flat[:, PROMPT_LEN - 1 : PROMPT_LEN - 1 + RESPONSE_LEN]


def test_one_step_moves_log_probs_with_the_advantage_sign():
    model = Bigram()
    # The two sequences use disjoint tokens, so no embedding row is shared and each moves only with its own sign.
    tokens = torch.tensor([[0, 1, 2, 3, 0, 2, 1], [4, 5, 6, 7, 4, 6, 5]])
    advantages = torch.tensor([[1.0] * RESPONSE_LEN, [-1.0] * RESPONSE_LEN])
    before = response_log_probs(model, tokens).detach()
    config = actor_config()
    loss, metrics = ppo_loss(config, {"log_probs": model(tokens)}, batch(tokens, before, advantages))

    assert torch.isfinite(loss)
    assert "actor/pre_clipfrac" in metrics and "actor/pg_loss" in metrics
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    optimizer.step()
    after = response_log_probs(model, tokens).detach()
    assert (after[0] - before[0]).sum() > 0
    assert (after[1] - before[1]).sum() < 0
