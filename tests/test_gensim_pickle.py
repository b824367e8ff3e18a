"""gensim's saved files (``model.save()``/``kv.save()``, gensim 0.12 to 4.x) load as data and
never run: ``firstlayer.vectors.load`` and ``Word2Vec.load`` against gensim's own load of the
same files (gensim's test data and files gensim 4.4 writes here), and the restricted unpickler
(``firstlayer._safe_pickle``) against pickles that would run code if unpickled normally."""

from __future__ import annotations

import builtins
import importlib
import os
import pickle
import shutil
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import firstlayer.vectors as fv
from firstlayer import _safe_pickle
from firstlayer._safe_pickle import UnsafePickleError
from firstlayer.models import Word2Vec
from firstlayer.vectors import VectorFileError, detect_format

gensim = pytest.importorskip("gensim")
from gensim.models import Doc2Vec, FastText  # noqa: E402
from gensim.models import Word2Vec as GensimWord2Vec  # noqa: E402
from gensim.models.doc2vec import TaggedDocument  # noqa: E402
from gensim.test.utils import common_texts  # noqa: E402
from gensim.utils import SaveLoad  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
DATA = Path(gensim.__file__).parent / "test" / "test_data"
_OLD_W2V = [f"old_w2v_models/w2v_{v}.mdl" for v in (
    "0.13.4", "1.0.0", "1.0.1", "2.0.0", "2.1.0", "2.2.0", "2.3.0", "3.0.0", "3.1.0", "3.2.0",
    "3.3.0", "3.4.0")]
# Word2Vec models gensim 4.4 loads itself: compared with it
W2V_FILES = ["word2vec_old", "word2vec_old_sep", "word2vec_3.3", "model-from-gensim-3.8.0.w2v",
             *_OLD_W2V]
KV_FILES = [*W2V_FILES, "old_keyedvectors_320.dat"]
# gensim 0.12-0.13.3 models (no KeyedVectors yet) that gensim 4.4 no longer loads
PRE_KV = ["w2v-lee-v0.12.0", "word2vec_pre_kv_py2", "word2vec_pre_kv_py3", "word2vec_pre_kv_py3_4",
          "word2vec_pre_kv_sep_py2", "word2vec_pre_kv_sep_py3", "word2vec_pre_kv_sep_py3_4",
          *[f"old_w2v_models/w2v_{v}.mdl" for v in (
              "0.12.0", "0.12.1", "0.12.2", "0.12.3", "0.12.4", "0.13.0", "0.13.1", "0.13.2",
              "0.13.3")]]
SETTINGS = ("sg", "hs", "negative", "window", "vector_size", "alpha", "min_alpha", "min_count",
            "sample", "epochs", "cbow_mean", "ns_exponent", "seed", "corpus_count",
            "corpus_total_words", "train_count")


def _gensim_load(path: Path | str):  # noqa: ANN202
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SaveLoad.load(str(path))


def _same_neighbours(ours: list, theirs: list) -> None:
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)


# ---- gensim's test data --------------------------------------------------------------------------
@pytest.mark.parametrize("name", KV_FILES)
def test_vectors_load_as_gensim_does(name: str) -> None:
    kv = fv.load(DATA / name)
    theirs = _gensim_load(DATA / name)
    theirs = getattr(theirs, "wv", theirs)
    assert kv.load_report.format == "gensim"
    assert kv.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(kv.vectors, theirs.vectors)
    assert kv.vectors.dtype == theirs.vectors.dtype
    for attr in ("count", "sample_int"):
        np.testing.assert_array_equal(kv.expandos[attr], theirs.expandos[attr])
    first = theirs.index_to_key[0]
    _same_neighbours(kv.most_similar(first, topn=5), theirs.most_similar(first, topn=5))


@pytest.mark.parametrize("name", W2V_FILES)
def test_word2vec_loads_as_gensim_does(name: str) -> None:
    model = Word2Vec.load(DATA / name)
    theirs = _gensim_load(DATA / name)
    assert {a: getattr(model, a) for a in SETTINGS} == {a: getattr(theirs, a) for a in SETTINGS}
    assert model.wv.index_to_key == theirs.wv.index_to_key
    np.testing.assert_array_equal(model.wv.vectors, theirs.wv.vectors)
    np.testing.assert_array_equal(model.counts, theirs.wv.expandos["count"])
    np.testing.assert_array_equal(model.sample_ints, theirs.wv.expandos["sample_int"])
    if theirs.negative:
        np.testing.assert_array_equal(model.syn1neg, theirs.syn1neg)
        np.testing.assert_array_equal(model.cum_table, theirs.cum_table)  # rebuilt, as gensim
    if theirs.hs:
        np.testing.assert_array_equal(model.syn1, theirs.syn1)
        _assert_same_tree(model, theirs)
    first = theirs.wv.index_to_key[0]
    _same_neighbours(model.wv.most_similar(first, topn=5), theirs.wv.most_similar(first, topn=5))


def _assert_same_tree(model: Word2Vec, theirs) -> None:  # noqa: ANN001
    for i in range(len(model.wv)):
        n = model._codelens[i]
        np.testing.assert_array_equal(model._codes[i, :n], theirs.wv.expandos["code"][i])
        np.testing.assert_array_equal(model._points[i, :n], theirs.wv.expandos["point"][i])


@pytest.mark.parametrize("name", PRE_KV)
def test_models_older_than_gensim_1_load(name: str) -> None:
    kv = fv.load(DATA / name)
    model = Word2Vec.load(DATA / name)
    assert model.wv.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(model.wv.vectors, kv.vectors)
    np.testing.assert_array_equal(model.counts, kv.expandos["count"])
    assert model.counts.min() >= model.min_count > 0
    assert len(set(kv.index_to_key)) == len(kv) > 0
    if (DATA / f"{name}.syn0.npy").exists():  # the vectors saved beside the pickle
        np.testing.assert_array_equal(kv.vectors, np.load(DATA / f"{name}.syn0.npy"))
    if model.hs:  # the file's Huffman paths: every inner node row of syn1 used, none past it
        assert model._points.max() == len(kv) - 2
    assert np.isfinite(model.wv.most_similar(kv.index_to_key[0], topn=2)[0][1])


def test_python2_and_python3_pickles_of_one_model_agree() -> None:
    py2, py3, sep2 = (fv.load(DATA / f"word2vec_pre_kv_{v}") for v in ("py2", "py3", "sep_py2"))
    assert py2.index_to_key == py3.index_to_key == sep2.index_to_key
    np.testing.assert_array_equal(py2.vectors, sep2.vectors)


def test_fasttext_and_doc2vec_test_files_give_their_word_vectors() -> None:
    for name, dim in (("fasttext_old", 100), ("fasttext_old_sep", 100), ("lee_fasttext", 10),
                      ("ft_kv_3.6.0.model.gz", 3), ("doc2vec_old", 100),
                      ("old_d2v_models/d2v_0.12.0.mdl", 4), ("old_d2v_models/d2v_3.4.0.mdl", 4)):
        kv = fv.load(DATA / name)
        assert kv.vector_size == dim and len(kv) > 0
    with pytest.raises(VectorFileError, match=r"gensim\.models\.doc2vec\.Doc2Vec, not a Word2Vec"):
        Word2Vec.load(DATA / "doc2vec_old")


def test_other_gensim_models_are_refused_naming_the_class() -> None:
    with pytest.raises(UnsafePickleError, match=r"gensim\.models\.phrases\.Phrases"):
        fv.load(DATA / "phrases-3.6.0.model")
    with pytest.raises(UnsafePickleError, match=r"gensim\.models\.ldamodel\.LdaModel"):
        Word2Vec.load(DATA / "lda_3_0_1_model")


# ---- files gensim 4.4 writes ---------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GensimWord2Vec]:
    out = tmp_path_factory.mktemp("gensim44")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GensimWord2Vec(common_texts, vector_size=8, min_count=1, hs=1, negative=5,
                               workers=1, seed=3)
        model.save(str(out / "w2v.model"))
        model.save(str(out / "sep.model"), sep_limit=0)  # every array in its own .npy
        model.save(str(out / "w2v.model.gz"))
        model.save(str(out / "sep.model.gz"), sep_limit=0)  # .npz beside a gzipped pickle
        model.wv.save(str(out / "vectors.kv"))
        model.wv.save(str(out / "vsep.kv"), sep_limit=0)
        for protocol in range(6):
            model.wv.save(str(out / f"p{protocol}.kv"), pickle_protocol=protocol)
            model.save(str(out / f"p{protocol}.model"), pickle_protocol=protocol)
    return out, model


@pytest.mark.parametrize("name", ["w2v.model", "sep.model", "w2v.model.gz", "sep.model.gz",
                                  *[f"p{p}.model" for p in range(6)]])
def test_gensim4_models_every_layout_and_protocol(saved, name: str) -> None:  # noqa: ANN001
    out, theirs = saved
    model = Word2Vec.load(out / name)
    assert {a: getattr(model, a) for a in SETTINGS} == {a: getattr(theirs, a) for a in SETTINGS}
    np.testing.assert_array_equal(model.wv.vectors, theirs.wv.vectors)
    np.testing.assert_array_equal(model.syn1neg, theirs.syn1neg)
    np.testing.assert_array_equal(model.syn1, theirs.syn1)
    np.testing.assert_array_equal(model.cum_table, theirs.cum_table)
    _assert_same_tree(model, theirs)
    assert (model.corpus_count, model.corpus_total_words) == (9, 29)


@pytest.mark.parametrize("name", ["vectors.kv", "vsep.kv", *[f"p{p}.kv" for p in range(6)],
                                  "w2v.model.gz"])
def test_gensim4_vectors_every_layout_and_protocol(saved, name: str) -> None:  # noqa: ANN001
    out, theirs = saved
    kv = fv.load(out / name)
    assert detect_format(out / name) == "gensim"
    assert kv.index_to_key == theirs.wv.index_to_key
    np.testing.assert_array_equal(kv.vectors, theirs.wv.vectors)
    np.testing.assert_array_equal(kv.expandos["count"], theirs.wv.expandos["count"])
    _same_neighbours(kv.most_similar("graph"), theirs.wv.most_similar("graph"))


def test_mmap_and_selection(saved) -> None:  # noqa: ANN001
    out, theirs = saved
    kv = fv.load(out / "vsep.kv", mmap="r")
    assert isinstance(kv.vectors, np.memmap) and not kv.vectors.flags.writeable
    np.testing.assert_array_equal(kv.vectors, theirs.wv.vectors)
    model = Word2Vec.load(out / "sep.model", mmap="r")  # read mapped, trained in memory
    assert model.wv.vectors.flags.writeable
    with pytest.raises(ValueError, match="compressed"):
        fv.load(out / "sep.model.gz", mmap="r")
    some = fv.load(out / "vectors.kv", vocab=["graph", "nope", "trees"])
    assert some.index_to_key == ["graph", "trees"] and some.load_report.missing == ["nope"]
    np.testing.assert_array_equal(some.vectors, theirs.wv[["graph", "trees"]])
    np.testing.assert_array_equal(some.expandos["count"], [3, 3])
    top = fv.load(out / "vectors.kv", limit=3, dtype="float64")
    assert top.index_to_key == theirs.wv.index_to_key[:3] and top.vectors.dtype == np.float64
    keys, vectors, report = fv.formats.load_vectors(out / "w2v.model")
    assert keys == theirs.wv.index_to_key and report.format == "gensim"


def test_loaded_model_trains_on(saved) -> None:  # noqa: ANN001
    out, theirs = saved
    model = Word2Vec.load(out / "w2v.model")
    model.progress = False
    before = (model.wv.vectors.copy(), model.syn1neg.copy(), model.syn1.copy())
    model.train(common_texts, total_examples=len(common_texts), epochs=3)
    for old, new in zip(before, (model.wv.vectors, model.syn1neg, model.syn1)):
        assert np.isfinite(new).all() and not np.array_equal(old, new)
    model.build_vocab([["graph", "brand", "new"]] * 2, update=True)
    model.train([["graph", "brand", "new"]] * 2, total_examples=2, epochs=1)
    assert model.wv.index_to_key[-2:] == ["brand", "new"] and model.counts[-1] == 2
    assert len(model.wv.most_similar("brand", topn=3)) == 3


def test_gensim4_fasttext_and_doc2vec(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ft = FastText(common_texts, vector_size=8, min_count=1, bucket=100, workers=1)
        ft.save(str(tmp_path / "ft.model"), sep_limit=0)
        docs = [TaggedDocument(t, [i]) for i, t in enumerate(common_texts)]
        d2v = Doc2Vec(docs, vector_size=8, min_count=1, workers=1)
        d2v.save(str(tmp_path / "d2v.model"))
    kv = fv.load(tmp_path / "ft.model")  # gensim 4 saves no word vectors: computed as gensim
    assert type(kv).__name__ == "FastTextKeyedVectors" and kv.index_to_key == ft.wv.index_to_key
    np.testing.assert_array_equal(kv.vectors, ft.wv.vectors)
    np.testing.assert_allclose(kv["graphs"], ft.wv["graphs"], atol=1e-6)  # through n-grams
    words = fv.load(tmp_path / "d2v.model")
    np.testing.assert_array_equal(words.vectors, d2v.wv.vectors)
    with pytest.raises(VectorFileError, match="FastText, not a Word2Vec"):
        Word2Vec.load(tmp_path / "ft.model")


# ---- bad files -------------------------------------------------------------------------------
def test_truncated_pickle(saved, tmp_path: Path) -> None:  # noqa: ANN001
    data = (saved[0] / "w2v.model").read_bytes()
    for cut in (len(data) // 2, len(data) - 1):
        (tmp_path / "cut.model").write_bytes(data[:cut])
        with pytest.raises(VectorFileError, match="damaged or cut-off pickle"):
            Word2Vec.load(tmp_path / "cut.model")
        with pytest.raises(VectorFileError, match="damaged or cut-off pickle"):
            fv.load(tmp_path / "cut.model")


def test_missing_side_array_is_named(saved, tmp_path: Path) -> None:  # noqa: ANN001
    shutil.copy(saved[0] / "sep.model", tmp_path / "sep.model")
    with pytest.raises(FileNotFoundError, match=r"sep\.model\.wv\.vectors\.npy', which is"):
        fv.load(tmp_path / "sep.model")
    for side in ("wv.vectors", "wv.vectors_lockf", "syn1"):
        shutil.copy(saved[0] / f"sep.model.{side}.npy", tmp_path / f"sep.model.{side}.npy")
    with pytest.raises(FileNotFoundError, match=r"'syn1neg' array in .*sep\.model\.syn1neg\.npy"):
        Word2Vec.load(tmp_path / "sep.model")


def test_side_array_holding_objects_is_refused_unrun(saved, tmp_path: Path) -> None:  # noqa: ANN001
    sentinel = tmp_path / "ran"
    for f in ("vsep.kv", "vsep.kv.vectors_lockf.npy"):
        shutil.copy(saved[0] / f, tmp_path / f)
    evil = np.array([_Payload(builtins.open, (str(sentinel), "w"))], dtype=object)
    np.save(tmp_path / "vsep.kv.vectors.npy", evil, allow_pickle=True)
    with pytest.raises(VectorFileError, match="holds Python objects"):
        fv.load(tmp_path / "vsep.kv")
    assert not sentinel.exists()


def test_format_mismatch_and_plain_pickles(saved, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "v.txt").write_text("a 1 2\n")
    with pytest.raises(VectorFileError, match="not gensim"):
        fv.load(tmp_path / "v.txt", format="gensim")
    with pytest.raises(VectorFileError, match="not word2vec"):
        fv.load(saved[0] / "vectors.kv", format="word2vec")
    (tmp_path / "d.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(VectorFileError, match="pickle that is not a gensim"):
        fv.load(tmp_path / "d.pkl")


# ---- pickles that would run code ----------------------------------------------------------
class _Payload:
    """Unpickled normally, calls ``func(*args)``."""

    def __init__(self, func: object, args: tuple) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return (self.func, self.args)


def _payloads(sentinel: Path) -> list[tuple[_Payload, str]]:
    return [
        (_Payload(os.system, (f"touch {sentinel}",)), rf"{os.system.__module__}\.system"),
        (_Payload(builtins.open, (str(sentinel), "w")), r"(io|builtins)\.open"),
        (_Payload(importlib.import_module, ("antigravity",)), r"importlib\.import_module"),
        (_Payload(builtins.exec, (f"open({str(sentinel)!r}, 'w')",)), r"builtins\.exec"),
        (_Payload(builtins.eval, (f"open({str(sentinel)!r}, 'w')",)), r"builtins\.eval"),
    ]


def test_the_payload_is_real(tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(builtins.open, (str(sentinel), "w")))).close()
    assert sentinel.exists()  # what the tests below make sure never happens


@pytest.mark.parametrize("protocol", range(6))
def test_code_running_pickles_are_refused_every_protocol(tmp_path: Path, protocol: int) -> None:
    sentinel = tmp_path / "ran"
    for payload, qualname in _payloads(sentinel):
        data = pickle.dumps({"vectors": np.ones(2), "evil": [payload]}, protocol=protocol)
        with pytest.raises(UnsafePickleError, match=qualname):
            _safe_pickle.loads(data)
    assert not sentinel.exists()
    plain = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": {1, 2}, "c": (b"x", None)}
    back = _safe_pickle.loads(pickle.dumps(plain, protocol=protocol))
    np.testing.assert_array_equal(back["a"], plain["a"])
    assert back["a"].dtype == np.float32 and (back["b"], back["c"]) == (plain["b"], plain["c"])


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_payload_inside_a_gensim_object_is_refused(tmp_path: Path, protocol: int) -> None:
    sentinel = tmp_path / "ran"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GensimWord2Vec(common_texts, vector_size=4, min_count=1, workers=1)
        model.wv.evil = {"nested": [_Payload(os.system, (f"touch {sentinel}",))]}
        model.save(str(tmp_path / "evil.model"), pickle_protocol=protocol)
    with pytest.raises(UnsafePickleError, match=rf"{os.system.__module__}\.system.*refused"):
        Word2Vec.load(tmp_path / "evil.model")
    with pytest.raises(UnsafePickleError, match=r"system"):
        fv.load(tmp_path / "evil.model")
    assert not sentinel.exists()


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _text(s: str) -> bytes:
    return b"X" + struct.pack("<I", len(s.encode())) + s.encode()


@pytest.mark.parametrize(("module", "name", "shown"), [
    ("builtins", "eval", "builtins.eval"), ("builtins", "getattr", "builtins.getattr"),
    ("__builtin__", "eval", "builtins.eval"), ("builtins", "__import__", "builtins.__import__"),
    ("subprocess", "Popen", "subprocess.Popen"), ("numpy", "load", "numpy.load"),
    ("gensim.utils", "unpickle", "gensim.utils.unpickle"), ("pickle", "loads", "pickle.loads"),
    ("numpy.testing._private.utils", "runstring", "numpy.testing._private.utils.runstring"),
])
def test_find_class_refuses_anything_else(module: str, name: str, shown: str) -> None:
    data = b"\x80\x02" + _global(module, name) + _text("1") + b"\x85R."  # name("1")
    with pytest.raises(UnsafePickleError, match=shown.replace(".", r"\.")):
        _safe_pickle.loads(data)


KV = _global("gensim.models.keyedvectors", "KeyedVectors")


@pytest.mark.parametrize(("data", "match"), [
    # state naming a function outside the allowlist as its __setstate__
    (b"\x80\x02" + KV + b")\x81}" + _text("__setstate__") + _global("os", "system") + b"sb.",
     r"os\.system"),
    # state given to a reference to a function
    (b"\x80\x02" + _global("builtins", "hash") + b"}b.", "gives state to builtins.hash"),
    # calling a reference (defaultdict's int) with arguments
    (b"\x80\x02" + _global("builtins", "int") + _text("7") + b"\x85R.", "calls builtins.int"),
    # an array claiming to be a subclass other than ndarray
    (b"\x80\x02" + _global("numpy.core.multiarray", "_reconstruct") + KV + b"K\x00\x85C\x01b"
     + b"\x87R.", "array type"),
    # a dtype of records or of an unknown kind
    (b"\x80\x02" + _global("numpy", "dtype") + _text("V8") + b"\x89\x88\x87R.", "dtype 'V8'"),
    # persistent ids
    (b"\x80\x02" + _text("x") + b"Q.", "persistent"),
])
def test_stand_ins_refuse_abuse(data: bytes, match: str) -> None:
    with pytest.raises(UnsafePickleError, match=match):
        _safe_pickle.loads(data)


def test_state_is_only_recorded() -> None:
    # BUILD with slot state (would set __class__ directly) and a second BUILD after a state
    # naming __setstate__: both only recorded, as data; the stand-in stays what it was
    data = (b"\x80\x02" + KV + b")\x81N}" + _text("__class__") + _global("builtins", "hash")
            + b"s\x86b}" + _text("__setstate__") + _global("builtins", "hash") + b"sb}b.")
    obj = _safe_pickle.loads(data)
    assert isinstance(obj, _safe_pickle.Instance) and obj.state == {}
    assert obj.qualname == "gensim.models.keyedvectors.KeyedVectors"
    with pytest.raises(UnsafePickleError, match="sets attribute"):
        obj.__class__ = dict  # the stand-ins refuse attribute writes


def test_object_arrays_only_of_plain_items(tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    codes = np.array([np.array([1, 0], np.uint8), np.array([1], np.uint8)], dtype=object)
    back = _safe_pickle.loads(pickle.dumps(codes, protocol=2))
    assert back.dtype == object and [c.tolist() for c in back] == [[1, 0], [1]]
    evil = np.array([_Payload(builtins.open, (str(sentinel), "w")), 1], dtype=object)
    with pytest.raises(UnsafePickleError, match=r"(io|builtins)\.open"):
        _safe_pickle.loads(pickle.dumps(evil, protocol=4))
    with pytest.raises(UnsafePickleError, match="holding dict"):
        _safe_pickle.loads(pickle.dumps(np.array([{"a": 1}, 2], dtype=object), protocol=2))
    assert not sentinel.exists()
