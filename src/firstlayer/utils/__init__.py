"""``firstlayer.utils``: helpers around the model, as ``torch.utils`` (``data``: datasets and
the ``DataLoader``; ``hooks``: ``RemovableHandle``, what ``register_*_hook`` returns)."""

from . import data, hooks

__all__ = ["data", "hooks"]
