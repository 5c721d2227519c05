"""The GRPO tournament reward of Appendix C.9: a trained R1-Reward judges pairs of a group's rollouts (Eq. 3)."""
