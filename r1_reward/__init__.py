"""r1_reward: generative multimodal reward models trained with StableReinforce on verl."""

__version__ = "0.1.0"
