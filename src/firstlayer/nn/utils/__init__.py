"""``firstlayer.nn.utils``: gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``) and
``rnn.pad_sequence``."""

from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
