"""``predict``'s compiled path (``_predict_kernels``): one text, a list of texts and ``test``
give the same answers, and they are fastText's (labels identical, ties in fastText's order,
probabilities within 1e-4), on every loss, every ``k`` and threshold, quantized models (with
and without ``qout``) included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firstlayer.models import load_model, train_supervised

try:
    import fasttext as real_fasttext
except ImportError:
    real_fasttext = None

needs_fasttext = pytest.mark.skipif(real_fasttext is None, reason="fasttext-numpy2 missing")
FIXTURES = Path(__file__).parent / "fixtures" / "fasttext"
MODELS = ["softmax.bin", "ns_char.bin", "hs_bigram.bin", "ova_both.bin", "quantized.ftz"]
_LINES = (FIXTURES / "sup.txt").read_text("utf-8").splitlines()
TEXTS = [line.split(" ", 1)[1] for line in _LINES[:25]] + _LINES[25:35] + [
    "", "   ", "zzz", "__label__c1 t1w1", "t1w1 </s> t2w2 t2w3", "é山 t0w1 t0w1", "\t\x0b\r\f",
    "t0w1\tt0w2\rn3\x0bn4\fn5\x00n6", "__label__nope t0w1 t1w1", "t0w1 " * 300, "x" * 3000,
    "t2w5 zzz t1w1 t1w1 t1w1 n3 n3", "ab\x80\xff".encode("latin-1").decode("utf-8", "replace"),
]


def _same(single, batch) -> None:
    """One text's answer equals its row of the list's answer."""
    assert list(single[0]) == batch[0]
    assert single[1].dtype == np.float64 and batch[1].dtype == np.float32
    np.testing.assert_array_equal(single[1].astype(np.float32), batch[1])


@pytest.mark.parametrize("name", MODELS)
def test_one_text_equals_the_list_and_fasttext(name) -> None:
    ours = load_model(str(FIXTURES / name))
    theirs = real_fasttext.load_model(str(FIXTURES / name)) if real_fasttext else None
    n = len(ours.labels)
    for k in (1, 2, -1):
        for threshold in (0.0, 0.2, 0.6):
            labels, probs = ours.predict(TEXTS, k=k, threshold=threshold)
            assert len(labels) == len(probs) == len(TEXTS)
            for i, text in enumerate(TEXTS):
                one = ours.predict(text, k=k, threshold=threshold)
                _same(one, (labels[i], probs[i]))
                assert len(one[0]) <= (n if k == -1 else k)
                assert np.all(np.diff(one[1]) <= 0) and np.all(one[1] >= threshold)
                if theirs is not None:
                    want = theirs.predict(text, k=k, threshold=threshold)
                    assert one[0] == want[0], (name, k, threshold, text)
                    np.testing.assert_allclose(one[1], np.asarray(want[1]) - 1e-5, atol=1e-4)


def test_newlines_read_as_spaces_and_a_literal_eos_ends_the_line() -> None:
    ours = load_model(str(FIXTURES / "ns_char.bin"))
    a, b = ours.predict("t0w1 t0w2\nn3", k=2), ours.predict("t0w1 t0w2 n3", k=2)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    # fastText's getLine stops at a "</s>" token: what follows it is not read
    a, b = ours.predict("t0w1 </s> t1w1 t1w2", k=2), ours.predict("t0w1 </s>", k=2)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    assert ours.predict(["t0w1 </s> t1w1", "t1w1"], k=1)[0][1] == list(ours.predict("t1w1")[0])


@needs_fasttext
@pytest.mark.parametrize("name", ["softmax.bin", "ns_char.bin", "hs_bigram.bin",
                                  "ova_both.bin"])
def test_ties_in_fasttexts_order(tmp_path, name) -> None:
    """Equal output rows (hs: a zero output matrix, every node 1/2) make every label equally
    likely: which come out, and in which order, is fastText's heap's (and its tree search's)
    choice; the list path and ``test`` make the same."""
    theirs = real_fasttext.load_model(str(FIXTURES / name))
    out = theirs.get_output_matrix()
    out[:] = 0.0 if name.startswith("hs") else out[0]
    theirs.set_matrices(theirs.get_input_matrix(), out)
    theirs.save_model(str(tmp_path / "tie.bin"))
    ours = load_model(str(tmp_path / "tie.bin"))
    for k in (1, 2, 3, -1):
        batch = ours.predict(TEXTS[:8], k=k)
        for i, text in enumerate(TEXTS[:8]):
            assert ours.predict(text, k=k)[0] == theirs.predict(text, k=k)[0], (k, text)
            assert batch[0][i] == list(theirs.predict(text, k=k)[0])
        assert ours.test(str(FIXTURES / "sup.txt"), k=k) == pytest.approx(
            theirs.test(str(FIXTURES / "sup.txt"), k=k))


def test_the_answers_follow_the_model(tmp_path) -> None:
    """The compiled path's arrays are rebuilt when a matrix or the dictionary is replaced
    (quantize, a new output matrix); a matrix changed in place is seen at once."""
    ours = load_model(str(FIXTURES / "softmax.bin"))
    before = ours.predict(TEXTS[0], k=-1)
    w = ours.model.output.weight._data
    w[:] = w[0]  # in place: every label equally likely
    tied = ours.predict(TEXTS[0], k=-1)[1]
    assert np.allclose(tied, tied[0]) and not np.allclose(before[1], tied)
    ours.model.output.weight._data = np.zeros_like(w)
    assert np.allclose(ours.predict(TEXTS[0], k=-1)[1], 1 / len(ours.labels))
    model = load_model(str(FIXTURES / "ova_both.bin"))
    dense = model.predict(TEXTS[:20], k=2)
    model.quantize(dsub=2, cutoff=300)
    after = model.predict(TEXTS[:20], k=2)
    assert not all(np.array_equal(a, b) for a, b in zip(after[1], dense[1]))
    fresh = load_model(str(FIXTURES / "ova_both.bin"))
    fresh.quantize(dsub=2, cutoff=300)
    fresh.save_model(str(tmp_path / "q.ftz"))
    again = load_model(str(tmp_path / "q.ftz"))
    assert again.predict(TEXTS[:20], k=2)[0] == model.predict(TEXTS[:20], k=2)[0]


@pytest.fixture(scope="module")
def many_labels(tmp_path_factory):
    """A model of 300 labels, enough for ``quantize(qout=True)``."""
    folder = tmp_path_factory.mktemp("qout")
    rng = np.random.default_rng(0)
    lines = [f"__label__l{i % 300} w{i % 300} w{(i * 7) % 300} x{rng.integers(50)}"
             for i in range(1200)]
    (folder / "train.txt").write_text("\n".join(lines) + "\n", "utf-8")
    model = train_supervised(str(folder / "train.txt"), dim=8, epoch=3, thread=1, verbose=0,
                             loss="ova", wordNgrams=2, bucket=5000)
    return folder, model, [line.split(" ", 1)[1] for line in lines[:60]]


def test_quantized_output_matrix_answers_as_fasttext(many_labels) -> None:
    folder, model, texts = many_labels
    model.quantize(qout=True, qnorm=True, dsub=2)
    assert model._qoutput is not None
    for k in (1, 5):
        labels, probs = model.predict(texts, k=k, threshold=0.01)
        for i, text in enumerate(texts):
            _same(model.predict(text, k=k, threshold=0.01), (labels[i], probs[i]))
    if real_fasttext is None:
        return
    model.save_model(str(folder / "qout.ftz"))
    theirs = real_fasttext.load_model(str(folder / "qout.ftz"))
    for text in texts:
        want = theirs.predict(text, k=5)
        got = model.predict(text, k=5)
        assert got[0] == want[0], text
        np.testing.assert_allclose(got[1], np.asarray(want[1]) - 1e-5, atol=1e-4)


def test_arguments_checked_as_before() -> None:
    ours = load_model(str(FIXTURES / "softmax.bin"))
    n = len(ours.labels)
    for bad, error in ((0, ValueError), (n + 1, ValueError), (-2, ValueError),
                       (True, TypeError), (1.0, TypeError)):
        with pytest.raises(error):
            ours.predict("t0w1", k=bad)
        with pytest.raises(error):
            ours.predict(["t0w1"], k=bad)
    with pytest.raises(TypeError, match="item 1 is int"):
        ours.predict(["t0w1", 3])
    with pytest.raises(ValueError, match="on_unicode_error"):
        ours.predict("t0w1", on_unicode_error="loose")
    assert ours.predict([]) == ([], [])
    assert ours.predict("t0w1", k=np.int64(2))[0] == ours.predict("t0w1", k=2)[0]
    assert ours.predict("t0w1", threshold=0)[0] == ours.predict("t0w1")[0]
    with pytest.raises(ValueError, match="unsupervised"):
        load_model(str(FIXTURES / "skipgram.bin")).predict("t0w1")
