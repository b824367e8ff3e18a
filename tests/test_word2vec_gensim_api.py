"""Word2Vec's gensim API beyond training: trim_rule, scan/prepare_vocab, build_vocab_from_freq,
online updates, score, predict_output_word, reset_from, save(sep_limit)/load(mmap), vectors_lockf
and gensim's logged warnings; compared with gensim 4.4's answers where they are deterministic
(the same vocabulary, counts, thresholds; score and predictions from the same weights)."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstlayer.models import (
    RULE_DEFAULT,
    RULE_DISCARD,
    RULE_KEEP,
    PathLineSentences,
    Word2Vec,
)
from firstlayer.models._w2v_files import NotAModelError

gensim_models = pytest.importorskip("gensim.models")
gensim_utils = pytest.importorskip("gensim.utils")
GensimWord2Vec = gensim_models.Word2Vec

FAST = dict(progress=False, workers=1)


def zipf_corpus(seed: int, sentences: int = 60, vocab: int = 40) -> list[list[str]]:
    """Words ``w0..`` with Zipf-like counts (many ties, so gensim's tie order matters)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    return [[f"w{i}" for i in rng.choice(vocab, size=int(rng.integers(1, 12)), p=p)]
            for _ in range(sentences)]


def attrs(model, name: str) -> np.ndarray:
    return np.array([model.wv.get_vecattr(i, name) for i in range(len(model.wv))])


def odd_rule(word: str, count: int, min_count: int) -> int:
    """Keep w1 whatever, drop words ending in 3, min_count for the rest."""
    if word == "w1":
        return RULE_KEEP
    return RULE_DISCARD if word.endswith("3") else RULE_DEFAULT


def assert_same_vocab(m: Word2Vec, g) -> None:
    assert m.wv.index_to_key == g.wv.index_to_key
    np.testing.assert_array_equal(m.counts, attrs(g, "count"))
    np.testing.assert_array_equal(m.sample_ints, attrs(g, "sample_int"))
    np.testing.assert_array_equal(m.wv.expandos["count"], attrs(g, "count"))
    if g.negative:
        np.testing.assert_array_equal(m.cum_table, g.cum_table)


def test_rule_values_are_gensims():
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (
        gensim_utils.RULE_DEFAULT, gensim_utils.RULE_DISCARD, gensim_utils.RULE_KEEP)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), min_count=st.integers(1, 6),
       max_vocab_size=st.none() | st.integers(5, 20), hs=st.booleans())
def test_trim_rule_keeps_what_gensim_keeps(seed, min_count, max_vocab_size, hs):
    corpus = zipf_corpus(seed)
    kw = dict(min_count=min_count, max_vocab_size=max_vocab_size, vector_size=4, seed=seed,
              hs=int(hs), negative=0 if hs else 5)
    g = GensimWord2Vec(**kw)
    g.build_vocab(corpus, trim_rule=odd_rule)
    m = Word2Vec(**kw, **FAST)
    m.build_vocab(corpus, trim_rule=odd_rule)
    assert_same_vocab(m, g)
    np.testing.assert_array_equal(m.wv.vectors, g.wv.vectors)
    if hs:  # gensim's code/point vecattrs
        for i in range(len(g.wv)):
            np.testing.assert_array_equal(m.wv.get_vecattr(i, "code"), g.wv.get_vecattr(i, "code"))
            np.testing.assert_array_equal(m.wv.get_vecattr(i, "point"),
                                          g.wv.get_vecattr(i, "point"))


def test_trim_rule_in_the_constructor_trains_that_vocabulary():
    corpus = zipf_corpus(1)
    m = Word2Vec(corpus, min_count=2, trim_rule=odd_rule, vector_size=4, epochs=1, **FAST)
    g = GensimWord2Vec(corpus, min_count=2, trim_rule=odd_rule, vector_size=4, epochs=1)
    assert m.wv.index_to_key == g.wv.index_to_key
    assert "w1" in m.wv and "w3" not in m.wv and "w13" not in m.wv


@pytest.mark.parametrize("kw", [
    dict(min_count=4, max_final_vocab=4, sample=0),
    dict(min_count=2, max_final_vocab=4, sample=0),
    dict(min_count=1, sample=1e-3),
    dict(min_count=2, sample=0.05),
    dict(min_count=1, sample=3.0),
])
def test_scan_and_prepare_vocab_report_as_gensim(kw):
    corpus = zipf_corpus(7, sentences=80)
    g = GensimWord2Vec(vector_size=4, **kw)
    m = Word2Vec(vector_size=4, **kw, **FAST)
    assert m.scan_vocab(corpus) == g.scan_vocab(corpus)
    assert m.raw_vocab == dict(g.raw_vocab)
    dry = m.prepare_vocab(dry_run=True, keep_raw_vocab=True)
    assert dry == g.prepare_vocab(dry_run=True, keep_raw_vocab=True)
    assert len(m.wv) == 0  # a dry run changes nothing
    assert m.prepare_vocab() == g.prepare_vocab()
    assert m.effective_min_count == g.effective_min_count
    assert m.raw_vocab == {}
    m.prepare_weights()
    assert m.wv.index_to_key == g.wv.index_to_key


def test_build_vocab_from_freq_as_gensim_then_update():
    freq = {"minors": 2, "graph": 3, "system": 4, "trees": 3, "eps": 2, "computer": 2,
            "survey": 2, "user": 3, "human": 2, "time": 2, "interface": 2, "response": 2}
    more = {"computer": 1, "artificial": 4, "human": 1, "graph": 1, "intelligence": 4,
            "system": 1, "trees": 1}
    for hs, negative in ((1, 0), (0, 5)):
        kw = dict(vector_size=5, min_count=0, seed=42, hs=hs, negative=negative)
        g, m = GensimWord2Vec(**kw), Word2Vec(**kw, **FAST)
        g.build_vocab_from_freq(freq, corpus_count=7)
        m.build_vocab_from_freq(freq, corpus_count=7)
        assert_same_vocab(m, g)
        assert m.corpus_count == 7
        np.testing.assert_array_equal(m.wv.vectors, g.wv.vectors)
        old = m.wv.vectors.copy()
        g.build_vocab_from_freq(more, update=True)
        m.build_vocab_from_freq(more, update=True)
        assert_same_vocab(m, g)
        assert m.wv.get_vecattr("graph", "count") == 4
        np.testing.assert_array_equal(m.wv.vectors, g.wv.vectors)  # old rows kept, new as gensim
        np.testing.assert_array_equal(m.wv.vectors[: len(old)], old)


def test_online_update_with_rule_as_gensim_and_training_goes_on():
    first, second = zipf_corpus(1), zipf_corpus(2, vocab=60)
    kw = dict(min_count=2, seed=3, vector_size=6, hs=1, negative=3, epochs=1)
    g, m = GensimWord2Vec(first, **kw), Word2Vec(first, **kw, **FAST)
    g.build_vocab(second, update=True, trim_rule=odd_rule)
    m.build_vocab(second, update=True, trim_rule=odd_rule)
    assert_same_vocab(m, g)
    for i in range(len(g.wv)):  # the tree is rebuilt from the new counts, as gensim does
        np.testing.assert_array_equal(m.wv.get_vecattr(i, "code"), g.wv.get_vecattr(i, "code"))
    new = len(m.wv) - m.syn1.shape[0]
    assert new == 0 and m.syn1neg.shape == m.wv.vectors.shape
    before = m.wv.vectors.copy()
    m.train(second, total_examples=m.corpus_count, epochs=1)
    assert not np.array_equal(before, m.wv.vectors)


def _copy_weights(m: Word2Vec, g) -> None:
    g.wv.vectors[:] = m.wv.vectors
    if m.hs:
        g.syn1[:] = m.syn1
    if m.negative:
        g.syn1neg[:] = m.syn1neg


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_score_equals_gensims_from_the_same_weights(sg, cbow_mean):
    corpus = zipf_corpus(3, sentences=120)
    kw = dict(vector_size=8, min_count=2, hs=1, negative=0, sg=sg, cbow_mean=cbow_mean,
              window=3, seed=5, epochs=3)
    m = Word2Vec(corpus, **kw, **FAST)
    g = GensimWord2Vec(**kw)
    g.build_vocab(corpus)
    _copy_weights(m, g)
    test = corpus[:30] + [["w0", "unknown", "w1"], [], ["nothing", "known"]]
    ours, theirs = m.score(test), g.score(test, total_sentences=len(test))
    assert ours.dtype == np.float32 and ours.shape == (len(test),)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-5)
    assert (ours < 0).sum() >= 25 and ours[-2] == 0 and ours[-1] == 0
    assert len(m.score(test, total_sentences=4)) == 4


def test_score_needs_hierarchical_softmax():
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        Word2Vec(zipf_corpus(1), min_count=1, vector_size=4, epochs=1, **FAST).score([["w0"]])
    with pytest.raises(RuntimeError, match="build vocabulary"):
        Word2Vec(hs=1, negative=0, **FAST).score([["w0"]])


@pytest.mark.parametrize("cbow_mean", [0, 1])
def test_predict_output_word_equals_gensims(cbow_mean):
    corpus = zipf_corpus(4, sentences=120)
    kw = dict(vector_size=8, min_count=2, negative=5, cbow_mean=cbow_mean, seed=2, epochs=3)
    m = Word2Vec(corpus, **kw, **FAST)
    g = GensimWord2Vec(**kw)
    g.build_vocab(corpus)
    _copy_weights(m, g)
    for context in (["w0", "w2"], ["w5", "nope", 3], ["w1"]):
        ours, theirs = m.predict_output_word(context, topn=6), g.predict_output_word(context, 6)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)
    assert m.predict_output_word(["nope"]) is None
    with pytest.raises(RuntimeError, match="negative sampling"):
        Word2Vec(corpus, hs=1, negative=0, min_count=2, vector_size=4, epochs=1,
                 **FAST).predict_output_word(["w0"])


def test_reset_from_takes_the_vocabulary_with_fresh_weights():
    a = Word2Vec(zipf_corpus(1), min_count=1, vector_size=4, epochs=1, seed=9, **FAST)
    b = Word2Vec(zipf_corpus(2, vocab=15), min_count=1, vector_size=4, epochs=1, seed=9, **FAST)
    b.reset_from(a)
    assert b.wv.key_to_index == a.wv.key_to_index
    np.testing.assert_array_equal(b.counts, a.counts)
    np.testing.assert_array_equal(b.cum_table, a.cum_table)
    fresh = Word2Vec(min_count=1, vector_size=4, seed=9, **FAST)
    fresh.build_vocab(zipf_corpus(1))
    np.testing.assert_array_equal(b.wv.vectors, fresh.wv.vectors)  # untrained, as built
    assert not b.syn1neg.any()
    b.train(zipf_corpus(1), total_examples=a.corpus_count, epochs=1)


def test_save_apart_and_mmap(tmp_path):
    model = Word2Vec(zipf_corpus(1), min_count=1, vector_size=4, hs=1, epochs=1, **FAST)
    path = tmp_path / "m.model"
    model.save(path, sep_limit=0)
    assert os.path.exists(f"{path}.wv.vectors.npy") and os.path.exists(f"{path}.syn1neg.npy")
    for mmap in (None, "r"):
        loaded = Word2Vec.load(path, mmap=mmap)
        np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
        np.testing.assert_array_equal(loaded.syn1, model.syn1)
        assert loaded.wv.index_to_key == model.wv.index_to_key
    mapped = Word2Vec.load(path, mmap="r")
    assert isinstance(mapped.wv.vectors, np.memmap)
    with pytest.raises(ValueError, match="read-only"):
        mapped.train(zipf_corpus(1), total_examples=60, epochs=1)
    other = tmp_path / "n.model"
    model.save(other, separately=["syn1"])
    assert os.listdir(tmp_path).count("n.model.syn1.npy") == 1
    assert not os.path.exists(f"{other}.wv.vectors.npy")
    np.testing.assert_array_equal(Word2Vec.load(other).syn1, model.syn1)
    with pytest.raises(ValueError, match="separately names"):
        model.save(other, separately=["weights"])


def test_load_is_called_on_the_class_and_rejects_vectors(tmp_path):
    model = Word2Vec(zipf_corpus(1), min_count=1, vector_size=4, epochs=1, **FAST)
    with pytest.raises(AttributeError, match=r"Word2Vec.load\(path\)"):
        model.load("x")
    vectors = tmp_path / "v.txt"
    model.wv.save(vectors)
    with pytest.raises(NotAModelError, match="not a firstlayer Word2Vec model"):
        Word2Vec.load(vectors)


@pytest.mark.parametrize("sg", [0, 1])
def test_vectors_lockf_freezes_and_scales_rows(sg):
    corpus = zipf_corpus(5)
    model = Word2Vec(min_count=1, vector_size=4, sg=sg, hs=1, negative=2, epochs=2, **FAST)
    model.build_vocab(corpus)
    start = model.wv.vectors.copy()
    model.wv.vectors_lockf = np.ones(len(model.wv), np.float32)
    model.wv.vectors_lockf[[0, 3]] = 0.0
    model.train(corpus, total_examples=model.corpus_count, epochs=2)
    np.testing.assert_array_equal(model.wv.vectors[[0, 3]], start[[0, 3]])
    assert not np.array_equal(model.wv.vectors[1], start[1])


def test_gensims_logged_warnings(caplog):
    caplog.set_level(logging.WARNING)
    corpus = zipf_corpus(1)
    model = Word2Vec(corpus, min_count=1, hs=1, negative=5, vector_size=4, epochs=1, **FAST)
    assert "Both hierarchical softmax and negative sampling are activated." in caplog.text
    model.train(corpus[:10], total_examples=20, total_words=5, epochs=1)
    assert "supplied example count (10) did not equal expected count (20)" in caplog.text
    assert "supplied raw word count" in caplog.text
    model.alpha = 0.5
    model.train(corpus, total_examples=len(corpus), epochs=1)
    assert "Effective 'alpha' higher than previous training cycles" in caplog.text
    Word2Vec(trim_rule=odd_rule, **FAST)
    assert "trim_rule provided, if any, will be ignored" in caplog.text


def test_a_string_sentence_is_its_characters_with_gensims_warning(caplog):
    model = Word2Vec(min_count=1, vector_size=4, **FAST)
    model.build_vocab(["human", "machine"])
    assert "Each 'sentences' item should be a list of words" in caplog.text
    g = GensimWord2Vec(min_count=1, vector_size=4)
    g.build_vocab(["human", "machine"])
    assert model.wv.index_to_key == g.wv.index_to_key


def test_min_count_leaving_nothing_fails_in_train_as_gensim(caplog):
    model = Word2Vec(min_count=10, **FAST)
    model.build_vocab([["a", "b"]])  # gensim: no error here
    assert len(model.wv) == 0 and "min_count=10 leaves no words" in caplog.text
    with pytest.raises(RuntimeError, match="build vocabulary.*min_count=1 or lower"):
        model.train([["a", "b"]], total_examples=1, epochs=1)


def test_path_line_sentences(tmp_path):
    (tmp_path / "b.txt").write_text("c d\ne\n")
    (tmp_path / "a.txt").write_text("a b\n")
    assert list(PathLineSentences(tmp_path)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(PathLineSentences(tmp_path / "b.txt", limit=1)) == [["c", "d"]]
    with pytest.raises(ValueError, match="neither a file nor a path"):
        PathLineSentences(tmp_path / "missing")


def test_reference_backend_refuses_locks():
    model = Word2Vec(min_count=1, vector_size=4, backend="reference", **FAST)
    model.build_vocab(zipf_corpus(1, sentences=5))
    model.wv.vectors_lockf = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match="vectors_lockf"):
        model.train(zipf_corpus(1, sentences=5), total_examples=5, epochs=1)
