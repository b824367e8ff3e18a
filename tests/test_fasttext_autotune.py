"""fastText's autotune (``train_supervised(..., autotuneValidationFile=...)``, ``_autotune``):
the model it picks scores at least as well on the validation file as the arguments given
(its first trial), it is reproducible, quantizes to a size, and bad values are clear errors."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from firstlayer.cli import main
from firstlayer.models import load_model, train_supervised
from firstlayer.models.fasttext._autotune import (
    _curve,
    _Strategy,
    metric_score,
    parse_metric,
    parse_model_size,
)

QUIET = dict(verbose=0, thread=1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Train and validation files: 6 topics, noisy words, so that the arguments matter."""
    folder = tmp_path_factory.mktemp("autotune")
    rng = np.random.default_rng(3)

    def line() -> str:
        topic = int(rng.integers(6))
        words = [f"t{topic}w{int(rng.integers(12))}" if rng.random() < 0.3
                 else f"n{int(rng.integers(200))}" for _ in range(int(rng.integers(4, 14)))]
        return f"__label__c{topic} " + " ".join(words)

    for name, n in (("train.txt", 900), ("valid.txt", 300)):
        (folder / name).write_text("\n".join(line() for _ in range(n)) + "\n", "utf-8")
    return str(folder / "train.txt"), str(folder / "valid.txt")


def test_the_chosen_model_is_at_least_the_default(files) -> None:
    train, valid = files
    default = train_supervised(train, bucket=20_000, **QUIET)
    tuned = train_supervised(train, bucket=20_000, autotuneValidationFile=valid,
                             autotuneDuration=3, **QUIET)
    assert metric_score(tuned, valid, "f1", 1) >= metric_score(default, valid, "f1", 1)
    assert tuned.args.bucket in (0, 20_000)  # given by hand: not tuned
    assert tuned.args.loss == "softmax"
    p_tuned, p_default = tuned.test(valid)[1], default.test(valid)[1]
    assert p_tuned >= p_default  # with k=1, F1 = precision = recall


def test_other_metrics_and_a_model_size(files, tmp_path) -> None:
    train, valid = files
    model = train_supervised(train, bucket=20_000, autotuneValidationFile=valid,
                             autotuneDuration=2, autotuneMetric="recallAtPrecision:50:__label__c1",
                             autotuneModelSize="60k", autotunePredictions=2, **QUIET)
    assert model.is_quantized()
    model.save_model(str(tmp_path / "m.ftz"))
    assert os.path.getsize(tmp_path / "m.ftz") <= 60_000
    for metric in ("f1:__label__c2", "precisionAtRecall:30", "recallAtPrecision:90"):
        score = metric_score(model, valid, metric, 2)
        assert 0.0 <= score <= 1.0 or math.isnan(score)


def test_fasttexts_precision_recall_curve() -> None:
    """Scores from the highest down, tied scores squeezed, up to full recall, then (1, 0)."""
    pairs = [(0.9, 1.0), (0.8, 0.0), (0.8, 1.0), (0.5, 1.0), (0.2, 0.0), (-1.0, 1.0)]
    assert _curve(pairs, 4) == [(1.0, 0.25), (2 / 3, 0.5), (0.75, 0.75), (0.6, 0.75),
                                (1.0, 0.0)]
    assert _curve([(0.9, 1.0), (0.5, 1.0), (0.4, 0.0)], 2) == [(1.0, 0.5), (1.0, 1.0),
                                                                 (1.0, 0.0)]
    assert _curve([], 3) == []


def test_the_search_is_seeded() -> None:
    start = dict(epoch=5, lr=0.1, dim=100, wordNgrams=1, minn=0, maxn=0, bucket=2_000_000,
                 loss="softmax", dsub=2)
    a, b = _Strategy(dict(start), set(), 7), _Strategy(dict(start), set(), 7)
    seq_a = [a.ask(i / 10) for i in range(10)]
    assert seq_a == [b.ask(i / 10) for i in range(10)] and seq_a[0] == start
    for trial in seq_a[1:]:
        assert 1 <= trial["epoch"] <= 100 and 0.01 <= trial["lr"] <= 5.0
        assert 1 <= trial["wordNgrams"] <= 5 and trial["minn"] in (0, 2, 3)
        assert trial["maxn"] == (0 if trial["minn"] == 0 else trial["minn"] + 3)
        assert trial["dsub"] in (2, 4, 8, 16)
        if trial["wordNgrams"] <= 1 and trial["maxn"] == 0:
            assert trial["bucket"] == 0
    manual = _Strategy(dict(start), {"epoch", "dim"}, 1)
    assert all(t["epoch"] == 5 and t["dim"] == 100 for t in (manual.ask(0.5) for _ in range(5)))


def test_metric_and_size_parsing() -> None:
    assert parse_metric("f1") == ("f1", 0.0, "")
    assert parse_metric("f1:__label__a") == ("f1", 0.0, "__label__a")
    assert parse_metric("precisionAtRecall:30") == ("precisionAtRecall", 0.3, "")
    assert parse_metric("recallAtPrecision:12.5:__label__b") == (
        "recallAtPrecision", 0.125, "__label__b")
    for bad, match in (("f2", "unknown autotuneMetric"), ("f1:", "names no label"),
                       ("precisionAtRecall:x", "not a percentage"),
                       ("precisionAtRecall:130", "0..100"),
                       ("recallAtPrecision:30:", "names no label")):
        with pytest.raises(ValueError, match=match):
            parse_metric(bad)
    assert [parse_model_size(s) for s in ("", "2M", "300k", "1G", "123")] == [
        None, 2_000_000, 300_000, 10**9, 123]
    for bad in ("2MB", "M", "-3k", "1.5M"):
        with pytest.raises(ValueError, match="Unable to parse model size"):
            parse_model_size(bad)


def test_bad_arguments_are_errors_before_training(files) -> None:
    train, valid = files
    for kw, error, match in (
        (dict(autotuneMetric="accuracy"), ValueError, "unknown autotuneMetric"),
        (dict(autotuneModelSize="big"), ValueError, "model size"),
        (dict(autotunePredictions=0), ValueError, "autotunePredictions"),
        (dict(autotuneDuration=-1), ValueError, "autotuneDuration"),
        (dict(autotuneTime=3), TypeError, "autotuneTime"),
        (dict(autotuneValidationFile=valid + ".missing"), FileNotFoundError, "autotune"),
    ):
        with pytest.raises(error, match=match):
            train_supervised(train, autotuneValidationFile=kw.pop(
                "autotuneValidationFile", valid), autotuneDuration=kw.pop(
                "autotuneDuration", 1), **kw, **QUIET)
    with pytest.raises(ValueError, match="Unknown autotune metric label"):
        train_supervised(train, bucket=20_000, autotuneValidationFile=valid,
                         autotuneDuration=1, autotuneMetric="f1:__label__nope", **QUIET)


def test_command_line(files, tmp_path, capsys) -> None:
    train, valid = files
    prefix = str(tmp_path / "tuned")
    assert main(["supervised", "-input", train, "-output", prefix, "-bucket", "20000",
                 "-thread", "1", "-verbose", "0", "-autotune-validation", valid,
                 "-autotune-duration", "2", "-autotune-modelsize", "80k",
                 "-autotune-metric", "f1", "-autotune-predictions", "1"]) == 0
    assert "tuned.ftz" in capsys.readouterr().out
    assert load_model(prefix + ".ftz").is_quantized()
