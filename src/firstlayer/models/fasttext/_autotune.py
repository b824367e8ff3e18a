"""fastText's autotune: ``train_supervised(..., autotuneValidationFile=...)`` searches the
hyper-parameters that score best on a validation file, within a time budget.

As fastText's ``Autotune`` (``autotune.cc``): the first trial uses the arguments given; each
next one starts from the best so far and moves ``epoch``, ``lr``, ``dim``, ``wordNgrams``,
``minn`` (``maxn = minn + 3``, or 0), ``bucket`` and ``dsub`` by Gaussian steps (on a log scale
for the multiplicative ones), the steps shrinking as the time runs out; ``loss`` becomes
softmax. Arguments given a value other than their default are left as they are (fastText: the
arguments set by hand). Each trial trains on ``input``, quantizes when ``autotuneModelSize``
asks for a size (``"2M"``: 2,000,000 bytes; the cutoff that fits, with ``qnorm``, ``retrain``
and ``qout`` for 256 labels or more), and is scored on the validation file with
``autotunePredictions`` predictions per line by ``autotuneMetric``:

* ``"f1"``: the F1-score over all labels; ``"f1:__label__x"``: of one label;
* ``"precisionAtRecall:30"``: the best precision at a recall of at least 30%,
  ``"precisionAtRecall:30:__label__x"`` for one label;
  ``"recallAtPrecision:30"`` (and ``...:__label__x``) the other way round.

When the time is up the trial running stops, and the best arguments train the model returned.

Differences: the random steps come from NumPy's generator seeded with ``seed`` (fastText:
``minstd_rand``), so the sequence of trials is reproducible, not fastText's; how many trials fit
in the time depends on the machine. A trial whose input matrix would take more than 4 GiB is
skipped (fastText tries it, and gives up if memory runs out).
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

__all__ = ["parse_metric", "parse_model_size", "train_autotuned"]

_NAMES = ("autotuneValidationFile", "autotuneMetric", "autotunePredictions", "autotuneDuration",
          "autotuneModelSize")
_TUNED = ("epoch", "lr", "dim", "wordNgrams", "minn", "maxn", "bucket", "loss")
_MINN_CHOICES = (0, 2, 3)
_CUTOFF_LIMIT = 256
_MAX_MATRIX_BYTES = 4 << 30
_METRIC_FORMS = ("'f1', 'f1:__label__x', 'precisionAtRecall:30', "
                 "'precisionAtRecall:30:__label__x', 'recallAtPrecision:30' or "
                 "'recallAtPrecision:30:__label__x'")


def parse_metric(metric: str) -> tuple[str, float, str]:
    """``(kind, value, label)`` of an ``autotuneMetric``: kind ``"f1"``,
    ``"precisionAtRecall"`` or ``"recallAtPrecision"``; value a fraction (``"...:30"`` ->
    0.3); label ``""`` for all labels.

    >>> parse_metric("precisionAtRecall:30:__label__x")
    ('precisionAtRecall', 0.3, '__label__x')
    """
    if not isinstance(metric, str):
        raise TypeError(f"autotuneMetric must be a str such as 'f1', got {metric!r}")
    if metric == "f1":
        return "f1", 0.0, ""
    if metric.startswith("f1:"):
        if not metric[3:]:
            raise ValueError(f"autotuneMetric {metric!r} names no label: use 'f1:__label__x'")
        return "f1", 0.0, metric[3:]
    for kind in ("precisionAtRecall", "recallAtPrecision"):
        if metric.startswith(kind + ":"):
            number, colon, label = metric[len(kind) + 1 :].partition(":")
            try:
                value = float(number)
            except ValueError:
                raise ValueError(f"autotuneMetric {metric!r}: {number!r} is not a percentage "
                                 f"(e.g. '{kind}:30' for 30%)") from None
            if not 0 <= value <= 100:
                raise ValueError(f"autotuneMetric {metric!r}: the percentage must be in "
                                 f"0..100, got {number}")
            if colon and not label:
                raise ValueError(f"autotuneMetric {metric!r} names no label after the last "
                                 f"':' (e.g. '{kind}:30:__label__x')")
            return kind, value / 100.0, label
    raise ValueError(f"unknown autotuneMetric {metric!r}: use {_METRIC_FORMS}")


def parse_model_size(size: str) -> int | None:
    """Bytes of an ``autotuneModelSize`` (``"2M"`` -> 2000000; ``k``/``m``/``g`` and capitals
    are powers of 1000); None for ``""`` (no quantization)."""
    if not isinstance(size, str):
        raise TypeError(f"autotuneModelSize must be a str such as '2M', got {size!r}")
    if size == "":
        return None
    units = {"k": 10**3, "m": 10**6, "g": 10**9}
    digits, multiplier = size, 1
    if size[-1].lower() in units:
        digits, multiplier = size[:-1], units[size[-1].lower()]
    if not digits.isdigit():
        raise ValueError(f"Unable to parse model size {size!r}: give a number of bytes, "
                         "optionally followed by k, M or G (e.g. '2M')")
    return int(digits) * multiplier


def _gauss(rng: np.random.Generator, val: float, low: float, high: float, start: float,
           end: float, t: float, linear: bool, as_int: bool) -> Any:
    """fastText's ``updateArgGauss``: a step of N(0, sigma), sigma from ``start`` to ``end``
    as ``t`` goes from 0.25 to 0.75; added (``linear``) or as a power of 2; clipped."""
    sigma = start - ((start - end) / 0.5) * min(0.5, max(t - 0.25, 0.0))
    coeff = rng.normal(0.0, sigma)
    out = coeff + val if linear else 2.0**coeff * val
    out = math.trunc(out) if as_int else out  # fastText's static_cast<int>
    return min(max(out, low), high)


class _Strategy:
    """fastText's ``AutotuneStrategy``: the next arguments to try, around the best."""

    def __init__(self, args: dict[str, Any], manual: set[str], seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.manual, self.original_bucket = manual, args["bucket"]
        self.best: dict[str, Any] = {}
        self.minn_index, self.dsub_exp, self.nonzero_bucket = 0, 1, 2_000_000
        self.trials = 0
        self.update(args)

    def update(self, args: dict[str, Any]) -> None:
        self.best = dict(args)
        minn = args["minn"]
        self.minn_index = _MINN_CHOICES.index(minn) if minn in _MINN_CHOICES else 0
        self.dsub_exp = int(math.log2(args["dsub"]))
        if args["bucket"] != 0:
            self.nonzero_bucket = args["bucket"]

    def ask(self, t: float) -> dict[str, Any]:
        self.trials += 1
        a = dict(self.best)
        if self.trials == 1:
            return a
        g, m = self.rng, self.manual
        if "epoch" not in m:
            a["epoch"] = _gauss(g, a["epoch"], 1, 100, 2.8, 2.5, t, False, True)
        if "lr" not in m:
            a["lr"] = _gauss(g, a["lr"], 0.01, 5.0, 1.9, 1.0, t, False, False)
        if "dim" not in m:
            a["dim"] = _gauss(g, a["dim"], 1, 1000, 1.4, 0.3, t, False, True)
        if "wordNgrams" not in m:
            a["wordNgrams"] = _gauss(g, a["wordNgrams"], 1, 5, 4.3, 2.4, t, True, True)
        a["dsub"] = 1 << _gauss(g, self.dsub_exp, 1, 4, 2.0, 1.0, t, True, True)
        if "minn" not in m:
            index = _gauss(g, self.minn_index, 0, len(_MINN_CHOICES) - 1, 4.0, 1.4, t, True,
                           True)
            a["minn"] = _MINN_CHOICES[index]
        if "maxn" not in m:
            a["maxn"] = 0 if a["minn"] == 0 else a["minn"] + 3
        if "bucket" not in m:
            a["bucket"] = _gauss(g, self.nonzero_bucket, 10_000, 10_000_000, 2.0, 1.5, t, False,
                                 True)
        else:
            a["bucket"] = self.original_bucket
        if a["wordNgrams"] <= 1 and a["maxn"] == 0:
            a["bucket"] = 0
        if "loss" not in m:
            a["loss"] = "softmax"
        return a


# ---- the metrics (fastText's Meter) -------------------------------------------------------------
def _scores(model: Any, path: str, k: int, label: str) -> tuple[list[tuple[float, float]], int]:
    """``(score, gold)`` of each prediction on the validation file (score ``min(p + 1e-5, 1)``
    as fastText's ``Meter::log``; one label: only its predictions, and ``(-1, 1)`` for each of
    its lines it missed), and the number of gold labels counted."""
    from ._dictionary import encode
    from ._reading import file_blocks, tokenize

    lines = encode(tokenize(file_blocks(path)), model._dict, model.args)
    lines = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
    ids, probs = model._top_k(lines, k, 0.0)
    want = model.get_label_id(label) if label else -1
    pairs, golds = [], 0
    for i in range(ids.shape[0]):
        gold = set(lines.labels[lines.label_ptr[i] : lines.label_ptr[i + 1]].tolist())
        got = [(int(j), float(p)) for j, p in zip(ids[i], probs[i]) if j >= 0]
        for j, p in got:
            if want < 0 or j == want:
                score = min(float(np.float32(p + 1e-5)), 1.0)
                pairs.append((score, 1.0 if j in gold else 0.0))
        if want < 0:
            golds += len(gold)
        elif want in gold:
            golds += 1
            if want not in {j for j, _ in got}:
                pairs.append((-1.0, 1.0))
    return pairs, golds


def _curve(pairs: list[tuple[float, float]], golds: int) -> list[tuple[float, float]]:
    """fastText's ``precisionRecallCurve``: (precision, recall) from the highest score down,
    tied scores squeezed, up to full recall, then (1, 0)."""
    counts: list[tuple[int, int]] = []
    tp = fp = 0
    last = -2.0
    for score, gold in sorted(pairs, reverse=True):
        if score < 0:
            break  # only reachable recall
        tp, fp = (tp + 1, fp) if gold == 1.0 else (tp, fp + 1)
        if score == last and counts:
            counts[-1] = (tp, fp)
        else:
            counts.append((tp, fp))
        last = score
    if not counts:
        return []
    end = next((i + 1 for i, (t, _) in enumerate(counts) if t >= golds), len(counts))
    curve = [(t / (t + f) if t + f else 0.0, t / golds if golds else 0.0)
             for t, f in counts[:end]]
    return curve + [(1.0, 0.0)]


def metric_score(model: Any, path: str, metric: str, k: int) -> float:
    """The ``autotuneMetric`` of ``model`` on the labelled file ``path`` (NaN where fastText's
    is: an F1 of nothing predicted and nothing right)."""
    kind, value, label = parse_metric(metric)
    if label and model.get_label_id(label) < 0:
        raise ValueError(f"Unknown autotune metric label {label!r}: the model's labels are "
                         f"e.g. {model.labels[:3]}")
    if kind == "f1":
        if label:
            return float(model.test_label(path, k=k)[label]["f1score"])
        _, precision, recall = model.test(path, k=k)
        total = precision + recall
        return 2 * precision * recall / total if total and total == total else math.nan
    curve = _curve(*_scores(model, path, k, label))
    if kind == "precisionAtRecall":
        return max([p for p, r in curve if r >= value], default=0.0)
    return max([r for p, r in curve if p >= value], default=0.0)


# ---- the search ---------------------------------------------------------------------------------
def _cutoff(model: Any, qout: bool, dsub: int, size: int) -> int:
    """fastText's ``getCutoffForFileSize``: the input rows a ``.ftz`` of ``size`` bytes holds."""
    m, n = model._dict.nlabels, model.args.dim
    out = 21 + m * ((n + 1) // 2) + 16 + 4 * n * 256 + m if qout else 16 + 4 * m * n
    target = size - 107 - 4 * 256 * n - out
    return max(int(target / (-(-n // dsub) + 1 + 10)), _CUTOFF_LIMIT)


def train_autotuned(input: Any, values: dict[str, Any], aliases: dict[str, Any]) -> Any:  # noqa: A002
    """``train_supervised`` with fastText's ``autotune*`` arguments (see the module)."""
    from . import _train
    from ._args import from_call
    from ._reading import check_readable

    tune = {name: aliases.pop(name) for name in list(aliases) if name.startswith("autotune")}
    for name in tune:
        if name not in _NAMES:
            raise TypeError(f"train_supervised() got an unexpected keyword argument {name!r} "
                            f"(fastText's autotune arguments: {', '.join(_NAMES)})")
    valid = tune.get("autotuneValidationFile", "")
    metric = tune.get("autotuneMetric", "f1")
    parse_metric(metric)
    size = parse_model_size(tune.get("autotuneModelSize", ""))
    k, duration = tune.get("autotunePredictions", 1), tune.get("autotuneDuration", 300)
    if isinstance(k, bool) or not isinstance(k, int) or not (k >= 1 or k == -1):
        raise ValueError(f"autotunePredictions must be an int >= 1 (or -1: all), got {k!r}")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not duration > 0:
        raise ValueError(f"autotuneDuration must be a number of seconds > 0, got {duration!r}")
    base = from_call(values, dict(aliases))  # checks the other arguments
    if not valid:  # fastText: no validation file, no autotune
        return _train.train_supervised(input, **values, **aliases)
    valid = check_readable(valid, "autotuneValidationFile")
    defaults = _train._DEFAULT  # as given (from_call drops the bucket of a plain model)
    manual = {name for name in _TUNED if values[name] != getattr(defaults, name)}
    verbose = base.verbose
    if verbose > 0:
        for name in sorted(manual):
            print(f"Warning : {name} is manually set to a specific value. It will not be "
                  "automatically optimized.", file=sys.stderr)
    start = {name: values[name] for name in _TUNED}
    strategy = _Strategy(dict(start, dsub=2), manual, base.seed)
    t0 = time.perf_counter()
    best_args: dict[str, Any] | None = None
    best = -1.0
    trials = 0

    def build(trial: dict[str, Any]) -> Any:
        params = dict(values, **{n: trial[n] for n in _TUNED}, verbose=0)
        model = _train.train_supervised(input, **params, **aliases)
        if size is not None:
            qout = model._dict.nlabels >= _CUTOFF_LIMIT
            cutoff = _cutoff(model, qout, trial["dsub"], size)
            if cutoff == _CUTOFF_LIMIT:
                return None  # the size can't be met
            cutoff = min(cutoff, model._dict.nwords + model.args.bucket)
            model.quantize(input=input, qout=qout, cutoff=cutoff, retrain=True,
                           dsub=trial["dsub"], qnorm=True)
        return model

    _train.autotune_clock.deadline = t0 + duration
    try:
        while time.perf_counter() - t0 < duration:
            trial = strategy.ask(min(1.0, (time.perf_counter() - t0) / duration))
            trials += 1
            if trial["bucket"] * trial["dim"] * 4 > _MAX_MATRIX_BYTES:
                continue  # the hash rows alone would not fit (fastText: bad_alloc)
            try:
                model = build(trial)
            except TimeoutError:
                break
            except (MemoryError, FloatingPointError):
                continue
            if model is None:
                continue
            score = metric_score(model, valid, metric, k)
            if best_args is None or score > best:
                best_args, best = trial, score
                strategy.update(trial)
            if verbose > 1:
                print(f"\rTrials: {trials:4d} Best score: {best:9.6f}", end="", file=sys.stderr)
    finally:
        _train.autotune_clock.deadline = None
    if best_args is None:
        raise RuntimeError("Didn't have enough time to train once: please increase "
                           f"autotuneDuration (it was {duration} s)" if size is None else
                           "Couldn't fulfil model size constraint: please increase "
                           f"autotuneModelSize (it was {tune['autotuneModelSize']!r})")
    if verbose > 0:
        print(f"\nTraining again with best arguments ({trials} trials): "
              + ", ".join(f"{n}={best_args[n]}" for n in (*_TUNED, "dsub")), file=sys.stderr)
    model = build(best_args)
    model.args.verbose = verbose
    return model
