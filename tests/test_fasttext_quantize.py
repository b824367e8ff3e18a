"""``FastText.quantize`` and the ``.ftz`` matrices (``models/fasttext/_quantize.py``).

Checked against fastText itself (``fasttext-numpy2``): the product quantizer's centroids and
codes bit for bit (the same matrix given to both through ``set_matrices``), the pruned
dictionary and the predictions after a cutoff, precision@1 with and without ``retrain``; the
``.ftz`` layout byte for byte (read, write again), truncated files, and the bad calls.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from firstlayer.models import load_model, train_supervised
from firstlayer.models.fasttext import ModelFileError
from firstlayer.models.fasttext._quantize import (
    QuantMatrix,
    prune_dictionary,
    read_quant_matrix,
    select_embeddings,
    write_quant_matrix,
)

fasttext = pytest.importorskip("fasttext")

from test_supervised import write_corpus  # noqa: E402  (after the skip)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quantize")
    train, test = str(folder / "train.txt"), str(folder / "test.txt")
    write_corpus(train, 1500, seed=11)
    write_corpus(test, 400, seed=12)
    # trained here (fastText itself stops with "Encountered NaN" at times on small data), saved
    # in fastText's format: both libraries start from the same file
    model = train_supervised(train, dim=12, wordNgrams=2, bucket=2000, epoch=5, lr=0.5,
                             thread=1, verbose=0, seed=1)
    path = str(folder / "ref.bin")
    model.save_model(path)
    return folder, train, test, path


def _ftz_input(path: str) -> QuantMatrix:
    from firstlayer.models.fasttext._bin import read_bin

    with open(path, "rb") as f:
        qm = read_bin(f, path).input
    assert isinstance(qm, QuantMatrix)
    return qm


# ---- the product quantizer: fastText's, bit for bit --------------------------------------------
@pytest.mark.parametrize("rows,dim,dsub,qnorm", [(700, 6, 2, False), (500, 7, 3, True)])
def test_quantizer_is_fasttexts(data, rows, dim, dsub, qnorm) -> None:
    folder, *_ , path = data
    rng = np.random.default_rng(rows)
    w = rng.standard_normal((rows, dim)).astype(np.float32)
    ref = fasttext.load_model(path)
    ref.set_matrices(w, rng.standard_normal((4, dim)).astype(np.float32))
    ref.f.quantize("", False, 0, False, 1, 0.1, 1, 0, dsub, qnorm)
    out = str(folder / "pq.ftz")
    ref.save_model(out)
    theirs = _ftz_input(out)
    ours = QuantMatrix.quantize(w, dsub, qnorm, threads=2)
    assert ours.shape == theirs.shape == (rows, dim)
    np.testing.assert_array_equal(ours.pq.centroids, theirs.pq.centroids)
    np.testing.assert_array_equal(ours.codes, theirs.codes)
    if qnorm:
        np.testing.assert_array_equal(ours.norm_codes, theirs.norm_codes)
        np.testing.assert_array_equal(ours.npq.centroids, theirs.npq.centroids)
    # decoded rows: close to the matrix, and what bag_mean averages
    assert np.abs(ours.to_dense() - w).mean() < 0.5 * np.abs(w).mean()
    bags = ours.bag_mean(np.array([0, 1, 2, 5]), np.array([0, 3, 3, 4]))
    np.testing.assert_allclose(bags[0], ours.rows([0, 1, 2]).mean(0), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(bags[1], np.zeros(dim, np.float32))
    np.testing.assert_allclose(bags[2], ours.rows([5])[0], rtol=1e-6)


def test_too_few_rows() -> None:
    with pytest.raises(ValueError, match="at least 256 rows"):
        QuantMatrix.quantize(np.ones((255, 4), np.float32))


# ---- the .ftz layout ---------------------------------------------------------------------------
@pytest.mark.parametrize("qnorm", [False, True])
def test_layout_round_trip_and_truncation(qnorm) -> None:
    rng = np.random.default_rng(0)
    qm = QuantMatrix.quantize(rng.standard_normal((300, 5)).astype(np.float32), 2, qnorm)
    buf = io.BytesIO()
    write_quant_matrix(buf, qm)
    raw = buf.getvalue()
    # fastText's sizes: header 21, codes, quantizer 16 + dim * 256 * 4 (+ norms)
    expected = 21 + 300 * 3 + 16 + 5 * 256 * 4 + (300 + 16 + 256 * 4 if qnorm else 0)
    assert len(raw) == expected
    back = read_quant_matrix(io.BytesIO(raw))
    out = io.BytesIO()
    write_quant_matrix(out, back)
    assert out.getvalue() == raw
    np.testing.assert_array_equal(back.to_dense(), qm.to_dense())
    for cut in (0, 10, 21, 500, len(raw) - 1):
        with pytest.raises(ModelFileError, match=r"truncated.*byte offset \d+"):
            read_quant_matrix(io.BytesIO(raw[:cut]), "input matrix")
    bad = bytearray(raw)
    bad[17:21] = (7).to_bytes(4, "little")  # codesize
    with pytest.raises(ModelFileError, match="codes"):
        read_quant_matrix(io.BytesIO(bytes(bad)))


# ---- cutoff and the pruned dictionary ------------------------------------------------------------
def test_cutoff_prunes_as_fasttext_and_predicts_alike(data) -> None:
    _, _, test, path = data
    ref, ours = fasttext.load_model(path), load_model(path)
    ref.quantize(cutoff=600)
    ours.quantize(cutoff=600)
    assert ours.is_quantized() and ref.is_quantized()
    assert ours.get_words() == ref.get_words()
    assert ours.get_labels() == ref.get_labels()
    assert ours._qinput.shape == (600, 12)
    texts = [line.split(" ", 1)[1].strip() for line in open(test, encoding="utf-8")][:200]
    (l1, p1), (l2, p2) = ref.predict(texts, k=2), ours.predict(texts, k=2)
    assert l1 == l2
    np.testing.assert_allclose(np.array(p2), np.array(p1) - 1e-5, atol=1e-4)
    w = ours.get_word_vector(ours.words[3])
    np.testing.assert_allclose(w, ref.get_word_vector(ours.words[3]), atol=1e-6)
    assert ours.test(test) == pytest.approx(ref.test(test), abs=1e-9)


def test_select_and_prune() -> None:
    from firstlayer.models.fasttext._dictionary import Dictionary

    d = Dictionary([b"a", b"</s>", b"b", b"__label__x"], np.array([5, 4, 3, 2]), 3, 14)
    w = np.array([[3.0], [0.1], [1.0], [0.5], [9.0], [2.0]], np.float32)  # 3 words, 3 buckets
    idx = select_embeddings(w, 4, eos=1)
    assert idx.tolist() == [1, 4, 0, 5]
    pruned, rows = prune_dictionary(d, idx)
    assert pruned.entries == [b"a", b"</s>", b"__label__x"] and pruned.nwords == 2
    assert rows.tolist() == [0, 1, 4, 5]  # words in their order, then the n-grams by norm
    assert pruned.pruneidx == {1: 0, 2: 1}
    assert pruned.pruned_rows(np.array([0, 1, 2, 3, 4])).tolist() == [0, 1, -1, 2, 3]


# ---- precision@1 against fastText --------------------------------------------------------------
@pytest.mark.parametrize("retrain", [False, True])
def test_precision_at_least_fasttexts(data, retrain) -> None:
    _, train, test, path = data
    ref, ours = fasttext.load_model(path), load_model(path)
    kw = dict(input=train, cutoff=400, retrain=retrain, qnorm=True, epoch=2, thread=1, verbose=0)
    ref.quantize(**kw)
    ours.quantize(**kw)
    assert ours.test(test)[1] >= ref.test(test)[1] - 0.01
    if retrain:
        assert ours.args.epoch == 2


def test_quantized_file_round_trips_with_fasttext(data) -> None:
    folder, train, test, path = data
    ref, ours = fasttext.load_model(path), load_model(path)
    for m in (ref, ours):
        m.quantize(cutoff=600, qnorm=True)
    mine, theirs = str(folder / "ours.ftz"), str(folder / "theirs.ftz")
    ours.save_model(mine)
    ref.save_model(theirs)
    assert abs(os.path.getsize(mine) - os.path.getsize(theirs)) <= 0.1 * os.path.getsize(theirs)
    back = fasttext.load_model(mine)  # fastText reads ours
    assert back.is_quantized()
    assert back.test(test) == pytest.approx(ours.test(test), abs=1e-9)
    again = load_model(theirs)  # and we read theirs
    assert again.is_quantized()
    assert again.test(test) == pytest.approx(ref.test(test), abs=1e-9)


# ---- bad calls: one clear error, the model unchanged ------------------------------------------
def test_bad_calls_change_nothing(data) -> None:
    _, train, test, path = data
    model = load_model(path)
    before = model.test(test)
    rows = model.get_input_matrix().shape[0]
    cases = [
        (dict(cutoff=rows + 1), "larger than the input matrix"),
        (dict(cutoff=100), "at least 256"),
        (dict(qout=True), "output matrix has 4 rows"),
        (dict(retrain=True, cutoff=400), "needs input"),
        (dict(cutoff=-1), "cutoff"),
        (dict(dsub=0), "dsub"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            model.quantize(**kwargs)
        assert not model.is_quantized()
        assert model.test(test) == before
    model.quantize(cutoff=rows)  # the whole matrix: no pruning, as fastText
    assert model._dict.pruneidx is None and model.is_quantized()
    with pytest.raises(ValueError, match="already quantized"):
        model.quantize()
    with pytest.raises(ValueError, match="quantized"):
        model.get_input_matrix()


def test_unsupervised_refused(data) -> None:
    folder, train, _, _ = data
    for _ in range(5):  # fastText's "Encountered NaN" at times (see above): try again
        try:
            ref = fasttext.train_unsupervised(train, dim=5, epoch=1, minn=2, maxn=3, bucket=300,
                                              thread=10, verbose=0)
            break
        except RuntimeError:
            continue
    path = str(folder / "unsup.bin")
    ref.save_model(path)
    model = load_model(path)
    with pytest.raises(ValueError, match="supervised models only"):
        model.quantize()
    assert not model.is_quantized()


def test_empty_sections_read_as_empty_arrays(tmp_path) -> None:
    # a .ftz whose cutoff kept no n-gram bucket has an empty prune index (prune_size == 0):
    # reading zero values must give an empty array, not fail on a zero-length buffer
    from firstlayer.models.fasttext._bin import _Reader

    path = tmp_path / "empty.bin"
    path.write_bytes(b"\x01\x00\x00\x00")
    with open(path, "rb") as f:
        r = _Reader(f, str(path))
        for shape in [(0,), (0, 4), (3, 0)]:
            out = r.array(np.int32, shape)
            assert out.shape == shape and out.dtype == np.int32
        assert r.offset == 0
        assert r.array(np.int32, (1,)).tolist() == [1]
