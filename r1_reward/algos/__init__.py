"""StableReinforce (paper §3.1): one module per idea, each with its one verl registry entry."""
