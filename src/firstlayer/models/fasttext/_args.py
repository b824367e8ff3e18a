"""The classifier's hyper-parameters: :class:`SupervisedArgs`, fastText's names and defaults.

This dataclass is the one place each default is written: ``train_supervised``'s signature and
the ``firstlayer supervised`` command's help read theirs from it. It imports nothing heavy, so
that the command line can show its help without loading the compiled kernels.

>>> SupervisedArgs(dim=10).dim
10
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from ... import _check as check

__all__ = ["LOSSES", "SupervisedArgs", "default_threads"]

# the loss of each name, as the compiled training loop knows it
LOSS_SOFTMAX, LOSS_NS, LOSS_OVA, LOSS_HS = 0, 1, 2, 3
LOSSES = {"softmax": LOSS_SOFTMAX, "ns": LOSS_NS, "ova": LOSS_OVA, "hs": LOSS_HS}

# fastText's Python aliases for some arguments (``read_args`` in its FastText.py)
ALIASES = {
    "min_count": "minCount",
    "word_ngrams": "wordNgrams",
    "lr_update_rate": "lrUpdateRate",
    "label_prefix": "label",
    "pretrained_vectors": "pretrainedVectors",
}


def default_threads() -> int:
    """fastText's Python default for ``thread``: all cores but one."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass
class SupervisedArgs:
    """The hyper-parameters of :func:`train_supervised`, with fastText's names and defaults.

    ``thread`` defaults to the number of CPUs minus one, as in fastText's Python module.
    ``ws`` and ``t`` only matter to fastText's unsupervised models; they are kept so that
    fastText's calls run unchanged.
    """

    lr: float = 0.1
    dim: int = 100
    ws: int = 5
    epoch: int = 5
    minCount: int = 1
    minCountLabel: int = 0
    minn: int = 0
    maxn: int = 0
    neg: int = 5
    wordNgrams: int = 1
    loss: str = "softmax"
    bucket: int = 2000000
    thread: int = field(default_factory=default_threads)
    lrUpdateRate: int = 100
    t: float = 1e-4
    label: str = "__label__"
    verbose: int = 2
    pretrainedVectors: str = ""
    seed: int = 0

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of the field ``name`` (``dataclasses.MISSING`` for ``thread``: it
        depends on the machine)."""
        return next(f.default for f in fields(cls) if f.name == name)

    def check(self) -> None:
        """Raise ``ValueError``/``TypeError`` naming the first argument that is out of range;
        integers given as NumPy integers become Python ints."""
        for name in ("dim", "epoch", "wordNgrams", "thread", "lrUpdateRate"):
            setattr(self, name, check.positive_int(name, getattr(self, name)))
        for name in ("minCount", "minCountLabel", "minn", "maxn", "bucket", "neg", "ws"):
            setattr(self, name, check.non_negative_int(name, getattr(self, name)))
        self.verbose = check.integer("verbose", self.verbose)
        self.seed = check.integer("seed", self.seed)
        self.lr = check.number("lr", self.lr, low=0, low_open=True)
        check.one_of("loss", self.loss, tuple(LOSSES))
        if self.loss == "ns" and self.neg < 1:
            raise ValueError("loss='ns' needs neg >= 1 negative labels per example")
        if self.maxn > 0 and self.minn > self.maxn:
            raise ValueError(f"minn ({self.minn}) must be <= maxn ({self.maxn})")
        if self.bucket == 0 and (self.wordNgrams > 1 or self.maxn > 0):
            raise ValueError(
                "bucket=0 leaves no rows for word n-grams (wordNgrams > 1) or character n-grams "
                "(maxn > 0): give bucket > 0, e.g. the default 2000000"
            )
        if not isinstance(self.label, str) or not self.label:
            raise ValueError(f"label must be a non-empty prefix such as '__label__', got "
                             f"{self.label!r}")


def from_call(values: dict[str, Any], aliases: dict[str, Any]) -> SupervisedArgs:
    """The arguments of a ``train_supervised`` call (``None`` for ``thread``: the default),
    fastText's aliases (``min_count=``...) folded in, checked."""
    given = {k: v for k, v in values.items() if not (k == "thread" and v is None)}
    for name, value in aliases.items():
        if name not in ALIASES:
            raise TypeError(f"train_supervised() got an unexpected keyword argument {name!r}")
        given[ALIASES[name]] = value
    args = SupervisedArgs(**given)
    if args.wordNgrams <= 1 and args.maxn == 0:
        args.bucket = 0  # what fastText's train_supervised does: no n-gram, no hash row
    args.check()
    return args

