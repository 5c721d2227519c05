"""R1-Reward reward: output parsing, the §3.2 formula, and the verl reward-loop manager."""
