"""gensim's own test suites for KeyedVectors and Word2Vec, run on firstlayer's classes.

Every test of ``gensim/test/test_keyedvectors.py`` and ``test_word2vec.py`` (as installed with
gensim) is one item here, run with gensim's class names swapped for firstlayer's (see
``tests/gensim_suite.py``); the few that cannot apply are skipped with their reason.
``pytest tests/test_gensim_suite.py -k keyedvectors`` runs one module.
"""

from __future__ import annotations

import pytest

import gensim_suite

# gensim's suites need testfixtures (test_word2vec's log_capture): in the test extra.
pytest.importorskip("testfixtures")
pytest.importorskip("gensim")


def _params() -> list:
    params = []
    for short_name in gensim_suite.MODULES:
        for test_id in gensim_suite.collect(short_name):
            reason = gensim_suite.SKIPS.get(test_id)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(test_id, id=test_id, marks=marks))
    return params


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("test_id", _params())
def test_gensim(test_id: str) -> None:
    gensim_suite.run(test_id)


def test_skip_list_names_real_tests() -> None:
    """A skip entry must name a test that exists (a renamed test would otherwise hide)."""
    known = {t for m in gensim_suite.MODULES for t in gensim_suite.collect(m)}
    assert sorted(set(gensim_suite.SKIPS) - known) == []
    assert all(len(reason) > 20 for reason in gensim_suite.SKIPS.values())


def test_swap_reaches_firstlayer() -> None:
    """Inside a run, the names gensim's tests use are firstlayer's classes, and gensim's own
    modules are left untouched afterwards."""
    import gensim.models

    import firstlayer.models
    import firstlayer.vectors

    kv_mod = gensim_suite.import_suite("test_keyedvectors")
    w2v_mod = gensim_suite.import_suite("test_word2vec")
    with gensim_suite.swapped(kv_mod, "test_keyedvectors"):
        assert kv_mod.KeyedVectors is firstlayer.vectors.KeyedVectors
        assert kv_mod.gensim.models.KeyedVectors is firstlayer.vectors.KeyedVectors
        assert kv_mod.gensim.models.keyedvectors.KeyedVectors is firstlayer.vectors.KeyedVectors
        assert kv_mod.gensim.test.utils.get_tmpfile is not None  # plumbing stays gensim's
    with gensim_suite.swapped(w2v_mod, "test_word2vec"):
        assert w2v_mod.word2vec.Word2Vec is firstlayer.models.Word2Vec
        assert w2v_mod.keyedvectors.KeyedVectors is firstlayer.vectors.KeyedVectors
    assert kv_mod.KeyedVectors is gensim.models.KeyedVectors
    assert w2v_mod.word2vec is gensim.models.word2vec
    assert gensim.models.word2vec.Word2Vec.__module__ == "gensim.models.word2vec"
