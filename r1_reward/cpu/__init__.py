"""Running r1_reward on a CPU: tiny offline models, a CPU platform and an ``hf`` rollout for verl 0.9.1."""
