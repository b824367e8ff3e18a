"""fastText's model file: firstlayer reads what fastText writes and answers as fastText does,
and writes what fastText reads.

Checked against fastText itself (``fasttext-numpy2``): models it trains here (every loss, word
and character n-grams, skipgram and cbow) and the committed fixtures
(tests/fixtures/fasttext/, made by tools/make_fasttext_fixtures.py, with fastText's answers in
expected.json, so those checks run without fastText); round trips both ways, byte for byte;
fastText's ties; the bad files; and ``firstlayer.vectors.load`` against gensim.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

import firstlayer.vectors as fv
from firstlayer.models import load_model, train_supervised
from firstlayer.models.fasttext import ModelFileError
from firstlayer.models.fasttext._format import save_safetensors

try:
    import fasttext as real_fasttext
except ImportError:  # the fixtures' checks still run
    real_fasttext = None

needs_fasttext = pytest.mark.skipif(real_fasttext is None, reason="fasttext-numpy2 missing")
FIXTURES = Path(__file__).parent / "fixtures" / "fasttext"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
TEXTS = ["t0w1 t0w2 n3", "t2w5 zzz t1w1", "unknown words only", "t1w3 t1w4 t1w5 n1", ""]
WORDS = ["t0w1", "n3", "zzz", "t1w3x", "</s>", "é山"]


def _train(fn, path, **kw):
    for _ in range(30):  # fastText may read uninitialised memory ("Encountered NaN"): retry
        try:
            return fn(str(path), verbose=0, thread=12, dim=8, epoch=2, **kw)
        except RuntimeError:
            continue
    pytest.fail("fastText failed to train 30 times in a row")


def _check_answers(ours, expected: dict, supervised: bool) -> None:
    assert ours.words == expected["words"] and ours.labels == expected["labels"]
    for word, vec in expected["word_vectors"].items():
        np.testing.assert_allclose(ours.get_word_vector(word), vec, atol=1e-6, err_msg=word)
    for text, vec in expected["sentence_vectors"].items():
        np.testing.assert_allclose(ours.get_sentence_vector(text), vec, atol=1e-6, err_msg=text)
    if supervised:
        for text, (labels, probs) in expected["predict"].items():
            got_labels, got_probs = ours.predict(text, k=-1)
            assert list(got_labels) == labels, text
            np.testing.assert_allclose(got_probs, probs, atol=1e-4)
        n, p, r = ours.test(str(FIXTURES / "sup.txt"), k=2)
        assert n == expected["test"][0]
        assert p == pytest.approx(expected["test"][1]) and r == pytest.approx(expected["test"][2])


@pytest.mark.parametrize("name", ["softmax", "ns_char", "hs_bigram", "ova_both", "skipgram",
                                  "cbow"])
def test_fixtures_answer_as_fasttext(name) -> None:
    ours = load_model(str(FIXTURES / f"{name}.bin"))
    supervised = name not in ("skipgram", "cbow")
    assert ours.is_supervised == supervised
    _check_answers(ours, EXPECTED[f"{name}.bin"], supervised)


def test_fixtures_written_back_byte_for_byte(tmp_path) -> None:
    for name in ("softmax", "ns_char", "hs_bigram", "ova_both", "skipgram", "cbow"):
        load_model(str(FIXTURES / f"{name}.bin")).save_model(str(tmp_path / "m.bin"))
        assert (tmp_path / "m.bin").read_bytes() == (FIXTURES / f"{name}.bin").read_bytes()


def test_quantized_fixture(tmp_path) -> None:
    """A .ftz (cutoff: a pruned dictionary; qnorm) answers as fastText, and goes back to the
    same bytes."""
    ours = load_model(str(FIXTURES / "quantized.ftz"))
    assert ours.is_quantized()
    _check_answers(ours, EXPECTED["quantized.ftz"], True)
    ours.save_model(str(tmp_path / "q.ftz"))
    assert (tmp_path / "q.ftz").read_bytes() == (FIXTURES / "quantized.ftz").read_bytes()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ft")
    (folder / "sup.txt").write_text((FIXTURES / "sup.txt").read_text("utf-8"), "utf-8")
    (folder / "plain.txt").write_text((FIXTURES / "plain.txt").read_text("utf-8"), "utf-8")
    return folder


@needs_fasttext
@pytest.mark.parametrize("kw", [
    dict(loss="softmax", wordNgrams=3, bucket=3001), dict(loss="ns", neg=3),
    dict(loss="hs", minn=1, maxn=3, bucket=2003), dict(loss="ova", minn=3, maxn=6, bucket=4001),
])
def test_models_fasttext_trains_here(corpus, tmp_path, kw) -> None:
    theirs = _train(real_fasttext.train_supervised, corpus / "sup.txt", **kw)
    theirs.save_model(str(tmp_path / "m.bin"))
    ours = load_model(str(tmp_path / "m.bin"))
    texts = TEXTS + ["t0w1\tt0w3  n9 naïve", "t1w1 t2w2 t0w3"]
    for text in texts:
        labels, probs = theirs.predict(text, k=-1)
        got = ours.predict(text, k=-1)
        assert got[0] == labels
        np.testing.assert_allclose(got[1], probs - 1e-5, atol=1e-4)
        np.testing.assert_allclose(ours.get_sentence_vector(text),
                                   theirs.get_sentence_vector(text), atol=1e-6)
    for word in WORDS + ["neverseen"]:
        np.testing.assert_allclose(ours.get_word_vector(word), theirs.get_word_vector(word),
                                   atol=1e-6)
    assert ours.test(str(corpus / "sup.txt"), k=2) == pytest.approx(
        theirs.test(str(corpus / "sup.txt"), k=2))
    assert ours.get_labels(include_freq=True)[1].tolist() == theirs.get_labels(
        include_freq=True)[1].tolist()
    # back to fastText: the same bytes
    ours.save_model(str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == (tmp_path / "m.bin").read_bytes()


@needs_fasttext
@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_unsupervised_models(corpus, tmp_path, model) -> None:
    theirs = _train(real_fasttext.train_unsupervised, corpus / "plain.txt", model=model,
                    minCount=1, bucket=3001)
    theirs.save_model(str(tmp_path / "u.bin"))
    ours = load_model(str(tmp_path / "u.bin"))
    assert ours.words == theirs.words and ours.args.model == model
    for word in WORDS + ["t0w1zz"]:
        np.testing.assert_allclose(ours.get_word_vector(word), theirs.get_word_vector(word),
                                   atol=1e-6)
    for text in TEXTS + ["  t0w1 \t zzzz  "]:
        np.testing.assert_allclose(ours.get_sentence_vector(text),
                                   theirs.get_sentence_vector(text), atol=1e-6)
    with pytest.raises(ValueError, match="unsupervised"):
        ours.predict("t0w1")


@needs_fasttext
def test_firstlayer_model_goes_to_fasttext(corpus, tmp_path) -> None:
    ours = train_supervised(str(corpus / "sup.txt"), dim=8, epoch=3, wordNgrams=2, minn=2,
                            maxn=3, bucket=5003, loss="ova", thread=1, verbose=0)
    ours.save_model(str(tmp_path / "ours.bin"))
    theirs = real_fasttext.load_model(str(tmp_path / "ours.bin"))
    assert theirs.words == ours.words and theirs.labels == ours.labels
    for text in TEXTS:
        labels, probs = theirs.predict(text, k=-1)
        assert ours.predict(text, k=-1)[0] == labels
        np.testing.assert_allclose(ours.predict(text, k=-1)[1], probs - 1e-5, atol=1e-4)
    assert theirs.test(str(corpus / "sup.txt")) == pytest.approx(
        ours.test(str(corpus / "sup.txt")))


@needs_fasttext
@pytest.mark.parametrize("loss", ["ova", "softmax"])
def test_ties_come_out_in_fasttexts_order(corpus, tmp_path, loss) -> None:
    """Equal output rows give equal probabilities: fastText's heap decides which labels and in
    which order; firstlayer replays it."""
    theirs = _train(real_fasttext.train_supervised, corpus / "sup.txt", loss=loss)
    out = theirs.get_output_matrix()
    out[:] = out[0]
    theirs.set_matrices(theirs.get_input_matrix(), out)
    theirs.save_model(str(tmp_path / "tie.bin"))
    ours = load_model(str(tmp_path / "tie.bin"))
    for k in (1, 2, 3):
        for text in TEXTS[:2]:
            assert ours.predict(text, k=k)[0] == theirs.predict(text, k=k)[0]


# ---- bad files ---------------------------------------------------------------------------------
def test_truncated_files_name_section_and_offset(tmp_path) -> None:
    data = (FIXTURES / "hs_bigram.bin").read_bytes()
    entries = EXPECTED["hs_bigram.bin"]["words"] + EXPECTED["hs_bigram.bin"]["labels"]
    # header 8 + args 56 + dictionary header 28, then each entry: bytes, NUL, count, type
    dict_end = 92 + sum(len(e.encode()) + 10 for e in entries)
    sections = {6: ("header", 0), 40: ("args", 8), 70: ("dictionary", 64),
                200: ("dictionary (entry", None), dict_end + 30: ("input matrix", None),
                len(data) - 5: ("output matrix", None)}
    for cut, (section, offset) in sections.items():
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(ModelFileError) as info:
            load_model(str(tmp_path / "cut.bin"))
        message = str(info.value)
        assert "truncated" in message and f"in the {section}" in message, message
        assert "cut.bin" in message and "byte offset" in message
        if offset is not None:
            assert f"byte offset {offset}," in message


def test_unknown_version_and_foreign_files(tmp_path) -> None:
    data = bytearray((FIXTURES / "softmax.bin").read_bytes())
    data[4:8] = struct.pack("<i", 13)
    (tmp_path / "v13.bin").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="version 13"):
        load_model(str(tmp_path / "v13.bin"))
    (tmp_path / "w.vec").write_text("2 3\nhello 0.1 0.2 0.3\n")
    with pytest.raises(ModelFileError, match="firstlayer.vectors.load"):
        load_model(str(tmp_path / "w.vec"))
    data = bytearray((FIXTURES / "softmax.bin").read_bytes())
    data[8:12] = struct.pack("<i", -4)  # dim
    (tmp_path / "bad.bin").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="args section, at byte offset 8"):
        load_model(str(tmp_path / "bad.bin"))


def test_save_is_atomic_and_old_format_still_loads(tmp_path) -> None:
    model = load_model(str(FIXTURES / "softmax.bin"))
    save_safetensors(model, str(tmp_path / "old.safetensors"))
    old = load_model(str(tmp_path / "old.safetensors"))
    assert old.words == model.words
    np.testing.assert_array_equal(old.get_output_matrix(), model.get_output_matrix())
    (tmp_path / "keep.bin").write_bytes(b"previous")
    model.args.loss = "nope"  # cannot be written: the old file stays as it was
    with pytest.raises(KeyError):
        model.save_model(str(tmp_path / "keep.bin"))
    assert (tmp_path / "keep.bin").read_bytes() == b"previous"


# ---- as word vectors ---------------------------------------------------------------------------
def test_vectors_load_fasttext_bin() -> None:
    path = FIXTURES / "skipgram.bin"
    kv = fv.load(path)
    expected = EXPECTED["skipgram.bin"]
    assert isinstance(kv, fv.FastTextKeyedVectors) and kv.load_report.format == "fasttext-bin"
    assert fv.detect_format(path) == "fasttext-bin"
    assert kv.index_to_key == expected["words"]
    for word, vec in expected["word_vectors"].items():
        np.testing.assert_allclose(kv[word], vec, atol=1e-6)
    assert kv.has_index_for("t0w1") and not kv.has_index_for("t0w1zz") and "t0w1zz" in kv
    top = kv.most_similar("t0w1zz", topn=3)
    assert len(top) == 3 and all(w != "t0w1zz" for w, _ in top)
    emb = kv.to_embedding(["t0w1", "zzz", "t0w1zz"], oov="subwords")
    np.testing.assert_allclose(emb.weight.detach().numpy()[1], expected["word_vectors"]["zzz"],
                               atol=1e-6)
    small = fv.load(path, vocab=["t0w1", "nothere"])
    assert small.index_to_key == ["t0w1"] and small.load_report.missing == ["nothere"]


def test_vectors_load_matches_gensim() -> None:
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    path = str(FIXTURES / "cbow.bin")
    ours, theirs = fv.load(path), gensim_ft.load_facebook_vectors(path)
    assert ours.index_to_key == theirs.index_to_key
    # gensim gives </s> (row 0) n-grams too; fastText does not, and firstlayer follows fastText
    np.testing.assert_allclose(ours.vectors[1:], theirs.vectors[1:], atol=1e-6)
    for word in ("t0w1", "unseenword", "t1w3x"):
        np.testing.assert_allclose(ours[word], theirs[word], atol=1e-6)
    assert [w for w, _ in ours.most_similar("t0w1", topn=5)] == [
        w for w, _ in theirs.most_similar("t0w1", topn=5)]


def test_vectors_truncated_fasttext_bin(tmp_path) -> None:
    (tmp_path / "cut.bin").write_bytes((FIXTURES / "cbow.bin").read_bytes()[:1000])
    with pytest.raises(fv.TruncatedVectorFileError, match="fastText"):
        fv.load(tmp_path / "cut.bin")
