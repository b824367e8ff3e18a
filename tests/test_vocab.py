"""``firstlayer.text.vocab``: torchtext's ``Vocab``, ``vocab()`` and ``build_vocab_from_iterator``.

torchtext no longer installs (discontinued, pinned to an old torch), so its behaviour is encoded
two ways: the expected values of torchtext's own tests (test/torchtext_unittest/test_vocab.py),
and, for hypothesis, ``torchtext_build`` below, a line-by-line transcription of torchtext's
``vocab_factory.py``. Plus the errors, JSON save/load (atomic, validated) and the seed's
``{"我": 0, "你": 1}``."""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.text.vocab as vocab_module
from firstlayer.text import Vocab, build_vocab_from_iterator, char_tokenize
from firstlayer.text.vocab import vocab

PROPERTY = settings(max_examples=150, deadline=None)
UNICODE = "ᑌᑎIᑕOᗪᕮ_Tᕮ᙭T"  # the non-ASCII token of torchtext's tests


def torchtext_build(
    iterator: Iterable[list[str]],
    min_freq: int = 1,
    specials: list[str] | None = None,
    special_first: bool = True,
    max_tokens: int | None = None,
) -> list[str]:
    """torchtext's build_vocab_from_iterator + vocab(), transcribed; returns the itos list."""
    counter: Counter[str] = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = specials or []
    sorted_by_freq_tuples = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
    if max_tokens is None:
        ordered_dict = OrderedDict(sorted_by_freq_tuples)
    else:
        assert len(specials) < max_tokens
        ordered_dict = OrderedDict(sorted_by_freq_tuples[: max_tokens - len(specials)])
    for token in specials:
        ordered_dict.pop(token, None)
    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq]
    if special_first:
        tokens[0:0] = specials
    else:
        tokens.extend(specials)
    return tokens


def by_freq(token_to_freq: dict[str, int]) -> OrderedDict[str, int]:
    """What torchtext's tests pass to vocab(): counts sorted by frequency, stable on ties."""
    return OrderedDict(sorted(token_to_freq.items(), key=lambda x: x[1], reverse=True))


# ---- torchtext's own test cases --------------------------------------------------------------
def test_torchtext_vocab_factory_cases() -> None:
    v = vocab(by_freq({"<unk>": 2, "a": 2, "b": 2}), min_freq=2)
    assert ("<unk>" in v, "a" in v, "b" in v, "c" in v) == (True, True, True, False)
    assert (v["<unk>"], v["a"], v["b"]) == (0, 1, 2)
    assert len(vocab(by_freq({"a": 2, "b": 2, "c": 2}))) == 3

    counts = {"hello": 4, "world": 3, UNICODE: 5, "freq_too_low": 2}
    v = vocab(by_freq(counts), min_freq=3)
    assert v.get_itos() == [UNICODE, "hello", "world"]
    assert v.get_stoi() == {UNICODE: 0, "hello": 1, "world": 2}

    specials = ["<unk>", "<bos>", "<eos>", "pad"]
    v1 = vocab(by_freq(counts), min_freq=3, specials=specials)
    assert v1.get_itos() == specials + [UNICODE, "hello", "world"]
    v2 = vocab(by_freq(counts), min_freq=3, specials=specials, special_first=False)
    assert v2.get_itos() == [UNICODE, "hello", "world"] + specials


def test_torchtext_lookup_cases() -> None:
    v = vocab(by_freq({"a": 2, "b": 2, "c": 2}))
    assert v(["b", "a", "c"]) == [1, 0, 2]
    assert v.lookup_indices(["b", "a", "c"]) == [1, 0, 2]
    assert v.lookup_token(1) == "b"
    assert v.lookup_tokens([1, 0, 2]) == ["b", "a", "c"]
    with pytest.raises(RuntimeError):
        v.lookup_token(100)


def test_torchtext_default_index_case() -> None:
    v = vocab(by_freq({"<unk>": 2, "a": 2, "b": 2}), min_freq=2)
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError):
        v["not in vocab"]
    v.set_default_index(0)
    assert v["not in vocab"] == 0
    assert v.get_default_index() == 0
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["not in vocab"]
    v.set_default_index(-1)  # torchtext's docstring uses -1 as an "unknown" marker
    assert v(["a", "zzz"]) == [1, -1]


def test_torchtext_insert_and_append_cases() -> None:
    c = OrderedDict({"<unk>": 2, "a": 2})
    v = vocab(c)
    v.insert_token("b", 2)
    assert v.get_itos() == ["<unk>", "a", "b"]
    assert v.get_stoi() == {"<unk>": 0, "a": 1, "b": 2}
    v = vocab(c)
    v.insert_token("b", 0)  # the tokens from index 0 on move up by one
    assert v.get_itos() == ["b", "<unk>", "a"]
    assert v.get_stoi() == {"b": 0, "<unk>": 1, "a": 2}

    v = vocab(OrderedDict({"a": 2}))
    v.append_token("b")
    assert v.get_itos() == ["a", "b"] and v.get_stoi() == {"a": 0, "b": 1}
    with pytest.raises(RuntimeError):
        v.append_token("b")


def test_torchtext_build_vocab_cases() -> None:
    iterator = [
        ["hello", "hello", "hello", "freq_low", "hello", "world", "world", "world"]
        + [UNICODE] * 3 + ["freq_low"] + [UNICODE] * 2
    ]
    specials = ["<unk>", "<bos>", "<eos>", "pad"]
    expected = [UNICODE, "hello", "world", "freq_low"]
    assert build_vocab_from_iterator(iterator).get_itos() == expected
    assert build_vocab_from_iterator(iterator, specials=specials).get_itos() == specials + expected
    v = build_vocab_from_iterator(iterator, specials=specials, special_first=False)
    assert v.get_itos() == expected + specials

    # descending frequency, then lexicographic
    assert build_vocab_from_iterator([["a", "b"], ["a", "b"]]).get_itos() == ["a", "b"]
    assert build_vocab_from_iterator([["a", "b"], ["b"]]).get_itos() == ["b", "a"]


def test_torchtext_max_tokens_cases() -> None:
    it = [["hello", "world"], ["hello"]]
    specials = ["<unk>", "<pad>"]
    # torchtext asserts len(specials) < max_tokens; we raise a ValueError that explains it
    with pytest.raises(ValueError, match=r"max_tokens=1 leaves no room.*counts the specials"):
        build_vocab_from_iterator(it, specials=specials, max_tokens=1)
    with pytest.raises(ValueError, match="max_tokens=2"):
        build_vocab_from_iterator(it, specials=specials, max_tokens=2)
    v = build_vocab_from_iterator(it, specials=specials, special_first=True, max_tokens=3)
    assert v.get_itos() == ["<unk>", "<pad>", "hello"]
    v = build_vocab_from_iterator(it, specials=specials, special_first=False, max_tokens=3)
    assert v.get_itos() == ["hello", "<unk>", "<pad>"]


# ---- ordering, min_freq, specials, max_tokens: expected values ---------------------------------
def test_order_ties_min_freq_specials() -> None:
    lines = [["b", "a", "c", "b"], ["d", "c", "b", "e"], ["a", "é", "B"]]
    # counts: b 3, a 2, c 2, d 1, e 1, é 1, B 1; ties in Python string order ("B" < "d" < "é")
    v = build_vocab_from_iterator(lines)
    assert v.get_itos() == ["b", "a", "c", "B", "d", "e", "é"]
    assert build_vocab_from_iterator(lines, min_freq=2).get_itos() == ["b", "a", "c"]
    assert build_vocab_from_iterator(lines, min_freq=4).get_itos() == []
    v = build_vocab_from_iterator(lines, min_freq=2, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "b", "a", "c"]
    v = build_vocab_from_iterator(lines, min_freq=2, specials=["<pad>"], special_first=False)
    assert v.get_itos() == ["b", "a", "c", "<pad>"]
    # max_tokens counts the specials: 4 = 2 specials + the 2 most frequent tokens
    v = build_vocab_from_iterator(lines, specials=["<unk>", "<pad>"], max_tokens=4)
    assert v.get_itos() == ["<unk>", "<pad>", "b", "a"]
    assert len(build_vocab_from_iterator(lines, max_tokens=100)) == 7


def test_specials_found_in_the_text() -> None:
    # a special that also occurs in the text is placed once, where the specials go, whatever
    # its count ...
    lines = [["<unk>", "<unk>", "<unk>", "a", "b", "b"]]
    v = build_vocab_from_iterator(lines, specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "b", "a"]
    # ... and, as in torchtext, it takes one of the max_tokens places before it is removed
    v = build_vocab_from_iterator(lines, specials=["<unk>"], max_tokens=3)
    assert v.get_itos() == ["<unk>", "b"]
    assert torchtext_build(lines, specials=["<unk>"], max_tokens=3) == ["<unk>", "b"]


def test_build_takes_one_pass_over_any_iterable() -> None:
    lines = (line.split() for line in ["a b", "b c", "b"])  # a generator: single pass
    assert build_vocab_from_iterator(lines).get_itos() == ["b", "a", "c"]
    # a str yielded by the iterator is counted as its characters, as in torchtext
    assert build_vocab_from_iterator(["我你我"]).get_itos() == ["我", "你"]
    # the usual Chinese pipeline
    v = build_vocab_from_iterator(map(char_tokenize, ["我 你", "我"]), specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "我", "你"]


def test_vocab_factory_keeps_order_and_does_not_modify_input() -> None:
    counts = OrderedDict([("z", 1), ("<unk>", 9), ("a", 5)])
    v = vocab(counts, specials=["<unk>"], special_first=False)
    assert v.get_itos() == ["z", "a", "<unk>"]  # the mapping's order, not sorted
    assert counts == OrderedDict([("z", 1), ("<unk>", 9), ("a", 5)])  # torchtext pops <unk>
    assert vocab(Counter("abracadabra")).get_itos() == ["a", "b", "r", "c", "d"]


def test_build_errors() -> None:
    with pytest.raises(TypeError, match=r"specials=\['<unk>'\]"):
        build_vocab_from_iterator([["a"]], specials="<unk>")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'<pad>' is listed twice"):
        build_vocab_from_iterator([["a"]], specials=["<pad>", "<unk>", "<pad>"])
    with pytest.raises(TypeError, match="tokens must be str, got int 3"):
        build_vocab_from_iterator([["a", 3]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"min_freq must be a number, got '2' \(str\)"):
        build_vocab_from_iterator([["a"]], min_freq="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"max_tokens must be an int, got 2.5 \(float\)"):
        build_vocab_from_iterator([["a"]], max_tokens=2.5)  # type: ignore[arg-type]


# ---- hypothesis: order invariants and agreement with torchtext's code ----------------------
small_tokens = st.sampled_from(["a", "b", "c", "B", "ab", "é", "我", "你", "<unk>", ""])
corpora = st.lists(st.lists(small_tokens, max_size=8), max_size=8)
specials_lists = st.lists(
    st.sampled_from(["<unk>", "<pad>", "<bos>", "a"]), unique=True, max_size=3
)


@PROPERTY
@given(corpora, st.integers(1, 3), specials_lists, st.booleans(), st.none() | st.integers(0, 8))
def test_build_matches_torchtext_and_keeps_its_invariants(
    lines: list[list[str]],
    min_freq: int,
    specials: list[str],
    special_first: bool,
    extra: int | None,
) -> None:
    max_tokens = None if extra is None else len(specials) + 1 + extra
    kwargs = dict(
        min_freq=min_freq, specials=specials, special_first=special_first, max_tokens=max_tokens
    )
    v = build_vocab_from_iterator(lines, **kwargs)  # type: ignore[arg-type]
    itos = v.get_itos()
    assert itos == torchtext_build(lines, **kwargs)  # type: ignore[arg-type]

    # indices are contiguous and agree both ways
    assert v.get_stoi() == {token: i for i, token in enumerate(itos)}
    assert [v[t] for t in itos] == list(range(len(v)))
    # specials sit at one end in the order given; between them, counts never increase and
    # equal counts are in token order
    n = len(specials)
    assert (itos[:n] if special_first else itos[len(itos) - n :]) == specials
    body = itos[n:] if special_first else itos[: len(itos) - n]
    counts = Counter(t for line in lines for t in line)
    keys = [(-counts[t], t) for t in body]
    assert keys == sorted(keys)
    assert all(counts[t] >= min_freq for t in body)
    if max_tokens is not None:
        assert len(v) <= max_tokens
    else:  # nothing frequent enough is lost
        assert set(body) == {t for t, c in counts.items() if c >= min_freq} - set(specials)


@PROPERTY
@given(corpora, st.randoms(use_true_random=False))
def test_build_does_not_depend_on_input_order(lines: list[list[str]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = [list(line) for line in lines]
    rnd.shuffle(shuffled)
    for line in shuffled:
        rnd.shuffle(line)
    assert build_vocab_from_iterator(shuffled) == build_vocab_from_iterator(lines)


# ---- the seed ----------------------------------------------------------------------------------
def test_seed_vocabulary() -> None:
    seed = {"我": 0, "你": 1}
    v = Vocab.from_stoi(seed)
    assert v.get_stoi() == seed and v.get_itos() == ["我", "你"]
    assert Vocab.from_stoi({"你": 1, "我": 0}) == v  # the mapping's order does not matter
    assert Vocab(["我", "你"]) == Vocab.from_tokens(["我", "你"]) == v
    ids = v(char_tokenize("我 你"))
    assert ids == [0, 1]
    emb = nn.Embedding(len(v), 2)
    assert emb(fl.tensor(ids)).shape == (2, 2)


def test_from_stoi_errors() -> None:
    with pytest.raises(ValueError, match=r"'你' has index 2, outside \[0, 2\).*counts"):
        Vocab.from_stoi({"我": 0, "你": 2})
    with pytest.raises(ValueError, match="'我' and '你' both have index 0"):
        Vocab.from_stoi({"我": 0, "你": 0})
    with pytest.raises(TypeError, match="the index of '我' must be an int, got bool"):
        Vocab.from_stoi({"我": False, "你": True})
    with pytest.raises(TypeError, match="each key must be a str, got int"):
        Vocab.from_stoi({1: 0})  # type: ignore[dict-item]


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match="Duplicate token 'a' at positions 0 and 2") as info:
        Vocab(["a", "b", "a"])
    assert isinstance(info.value, RuntimeError)  # torchtext raises RuntimeError here
    with pytest.raises(TypeError, match="tokens must be str, got int 5 at position 1"):
        Vocab(["a", 5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"got the str 'abc'; write Vocab\(\['abc'\]\)"):
        Vocab("abc")
    with pytest.raises(TypeError, match=r"not a mapping.*Vocab.from_stoi"):
        Vocab({"我": 0, "你": 1})
    with pytest.raises(TypeError, match="the default index must be an int, got str"):
        Vocab(["a"], default_index="0")  # type: ignore[arg-type]
    assert len(Vocab()) == 0 and Vocab([""]).get_itos() == [""]


# ---- lookups and their errors -----------------------------------------------------------------
def test_unknown_token_error() -> None:
    v = Vocab(["<unk>", "我", "你"])
    with pytest.raises(KeyError) as info:
        v["他"]
    err = info.value
    assert isinstance(err, RuntimeError)  # torchtext raises RuntimeError
    message = str(err)  # not repr-quoted as a plain KeyError would be
    assert message.startswith("Token '他' not found and default index is not set")
    assert 'vocab.set_default_index(vocab["<unk>"])' in message
    with pytest.raises(KeyError, match=r"'他' \(at position 2 of the input\)"):
        v(["我", "你", "他", "她"])
    with pytest.raises(KeyError, match=r'specials=\["<unk>"\]'):  # no <unk> yet: say how to add
        Vocab(["我"])["你"]

    v.set_default_index(v["<unk>"])
    assert v["他"] == 0
    assert v(["我", "他", "你"]) == [1, 0, 2]
    assert v.lookup_indices(iter(["你", "她"])) == [2, 0]  # any iterable


def test_lookup_type_errors() -> None:
    v = Vocab(["a", "b"], default_index=0)
    with pytest.raises(TypeError, match=r"use vocab.lookup_token\(1\)"):
        v[1]  # type: ignore[index]  # an index, not a token: not the default index
    with pytest.raises(TypeError, match=r"several tokens use vocab\(tokens\)"):
        v[["a", "b"]]  # type: ignore[index]
    with pytest.raises(TypeError, match="got the str 'ab'; tokenize it first"):
        v("ab")
    with pytest.raises(TypeError, match=r"flat list.*list at position 0.*for tokens in batch"):
        v([["a"], ["b"]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"flat list"):
        Vocab(["a"])(["a", ["b"]])  # type: ignore[list-item]


def test_lookup_token_range_errors() -> None:
    v = Vocab(["a", "b", "c"])
    with pytest.raises(IndexError, match=r"index 3 is out of range .* 3 tokens \(valid: \[0, 3\)"):
        v.lookup_token(3)
    with pytest.raises(IndexError, match=r"index -1 is out of range"):  # no wrap-around
        v.lookup_token(-1)
    with pytest.raises(RuntimeError):  # what torchtext raises
        v.lookup_token(10)
    with pytest.raises(TypeError, match="must be an int, got float"):
        v.lookup_token(1.0)  # type: ignore[arg-type]
    with pytest.raises(IndexError, match=r"index 7 at position 2 is out of range"):
        v.lookup_tokens([0, 1, 7, -1])
    with pytest.raises(TypeError, match="index at position 1 must be an int, got str"):
        v.lookup_tokens([0, "1"])  # type: ignore[list-item]
    with pytest.raises(IndexError, match="valid: none: the vocab is empty"):
        Vocab().lookup_token(0)


def test_lookup_tokens_takes_arrays_and_tensors() -> None:
    v = Vocab(["a", "b", "c"])
    assert v.lookup_tokens(np.array([2, 0])) == ["c", "a"]
    assert v.lookup_tokens(fl.tensor([1, 1])) == ["b", "b"]
    assert v.lookup_tokens((np.int32(2), np.int64(0))) == ["c", "a"]
    assert v.lookup_tokens([]) == []
    assert v.lookup_token(np.int64(1)) == "b"


def test_itos_stoi_are_copies_and_iteration() -> None:
    v = Vocab(["a", "b"])
    v.get_itos().append("c")
    v.get_stoi()["c"] = 2
    assert len(v) == 2 and "c" not in v
    assert list(v) == ["a", "b"]  # iterating gives the tokens in index order
    assert 3 not in v and None not in v


# ---- insert / append ---------------------------------------------------------------------------
def test_insert_token_shifts_later_tokens() -> None:
    v = Vocab(["a", "b", "c"])
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"]
    assert v.get_stoi() == {"a": 0, "x": 1, "b": 2, "c": 3}
    v.insert_token("end", 4)  # len(vocab) appends
    assert v.get_itos()[-1] == "end" and v["end"] == 4
    v.append_token("last")
    assert v["last"] == 5 and v.lookup_token(5) == "last"


def test_insert_and_append_errors() -> None:
    v = Vocab(["a", "b"])
    with pytest.raises(IndexError, match=r"index 3 is out of range .* 0 \.\. 2 \(range \[0, 2\]"):
        v.insert_token("x", 3)
    with pytest.raises(IndexError, match="index -1"):
        v.insert_token("x", -1)
    with pytest.raises(ValueError, match="Token 'b' already exists in the Vocab with index 1"):
        v.insert_token("b", 0)
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("a")
    with pytest.raises(TypeError, match="the token must be a str, got int"):
        v.append_token(3)  # type: ignore[arg-type]
    assert v.get_itos() == ["a", "b"]  # nothing changed


def test_insert_before_the_default_index_warns() -> None:
    v = Vocab(["<unk>", "a"])
    v.set_default_index(v["<unk>"])
    with pytest.warns(UserWarning, match=r"moves '<unk>' from the default index 0 to 1.*stays 0"):
        v.insert_token("<pad>", 0)
    # as in torchtext the default index is a number: it now names <pad>
    assert v.get_default_index() == 0 and v["zzz"] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v.insert_token("b", 3)  # after the default index: no warning
        v.append_token("c")


# ---- misc -------------------------------------------------------------------------------------
def test_equality_and_repr() -> None:
    assert Vocab(["a"]) == Vocab(["a"])
    assert Vocab(["a"]) != Vocab(["a"], default_index=0)
    assert Vocab(["a", "b"]) != Vocab(["b", "a"])
    assert Vocab(["a"]) != ["a"]
    assert repr(Vocab(["我", "你"], default_index=0)) == "Vocab(['我', '你'], default_index=0)"
    long = repr(Vocab([f"t{i}" for i in range(100)]))
    assert long == (
        "Vocab(100 tokens: ['t0', 't1', 't2', 't3', 't4', ..., 't97', 't98', 't99'], "
        "default_index=None)"
    )
    with pytest.raises(TypeError):
        hash(Vocab(["a"]))


# ---- save / load -------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path: Path) -> None:
    v = build_vocab_from_iterator([["我", "你", "我", UNICODE, "a b", '"q"']], specials=["<unk>"])
    v.set_default_index(v["<unk>"])
    path = tmp_path / "vocab.json"
    v.save(path)
    loaded = Vocab.load(path)
    assert loaded == v and loaded.get_default_index() == 0
    assert loaded["never seen"] == 0
    text = path.read_text(encoding="utf-8")
    assert '"我"' in text  # readable: not \u-escaped
    assert json.loads(text) == {
        "format": "firstlayer.text.Vocab",
        "version": 1,
        "default_index": 0,
        "itos": v.get_itos(),
    }
    Vocab([]).save(str(path))  # str paths too; an empty vocab round-trips
    assert Vocab.load(str(path)) == Vocab([])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=6), unique=True, max_size=12), st.none() | st.integers(-2, 20))
def test_save_load_round_trip_any_tokens(
    tmp_path_factory: pytest.TempPathFactory, tokens: list[str], default: int | None
) -> None:
    path = tmp_path_factory.mktemp("v") / "vocab.json"
    v = Vocab(tokens, default_index=default)
    v.save(path)
    assert Vocab.load(path) == v


def test_save_lone_surrogate(tmp_path: Path) -> None:
    # a token decoded with errors="surrogateescape" is not UTF-8-encodable: written \u-escaped
    v = Vocab(["ok", "bad\udcff"])
    v.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json") == v


def test_failed_save_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vocab.json"
    Vocab(["old"]).save(path)
    before = path.read_bytes()
    real_atomic_write = vocab_module.atomic_write

    @contextlib.contextmanager
    def half_then_fail(target, mode="wb", **kwargs):  # type: ignore[no-untyped-def]
        with real_atomic_write(target, mode, **kwargs) as f:

            class DiskFull:
                def write(self, data: bytes) -> None:
                    f.write(data[: len(data) // 2])
                    raise OSError(28, "No space left on device")

            yield DiskFull()

    monkeypatch.setattr(vocab_module, "atomic_write", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        Vocab([f"new{i}" for i in range(1000)]).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["vocab.json"]  # no temporary file left behind
    monkeypatch.undo()
    assert Vocab.load(path) == Vocab(["old"])


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", r"not valid JSON: Expecting value at line 1, column 1"),
        ("{not json", r"not valid JSON: .* at line 1, column 2"),
        (b"\x80\x04\x95\x10\x00\x00", r"byte 0 is not UTF-8 text \(b'\\x80\\x04"),  # a pickle
        ('["我", "你"]', r"is a list.*looks like a list of tokens: .*Vocab\(json.load\(f\)\)"),
        ("[1, 2]", r"the JSON document is a list, not an object with a format marker$"),
        ('"itos"', r"the JSON document is a str, not an object"),
        ('{"我": 0, "你": 1}', r"looks like a token -> index mapping: .*Vocab.from_stoi"),
        ('{"vectors": [1.0]}', r"no \"format\": \"firstlayer.text.Vocab\" marker \(its keys"),
        ('{"format": "firstlayer.text.Vocab", "itos": []}', r'"version" must be a positive int'),
        (
            '{"format": "firstlayer.text.Vocab", "version": 2, "itos": []}',
            r"format version 2, newer than this firstlayer reads \(1\); upgrade",
        ),
        (
            '{"format": "firstlayer.text.Vocab", "version": 1, "itos": {"a": 0}}',
            r'"itos" must be a list of tokens, got dict',
        ),
        (
            '{"format": "firstlayer.text.Vocab", "version": 1, "itos": ["a", 7]}',
            r'token 1 of "itos" must be a str, got int 7',
        ),
        (
            '{"format": "firstlayer.text.Vocab", "version": 1, "itos": ["a", "b", "a"]}',
            r"Duplicate token 'a' at positions 0 and 2",
        ),
        (
            '{"format": "firstlayer.text.Vocab", "version": 1, "itos": [], "default_index": true}',
            r'"default_index" must be an int or null, got True',
        ),
    ],
)
def test_load_rejects_other_files_clearly(
    tmp_path: Path, content: str | bytes, problem: str
) -> None:
    path = write(tmp_path / "in.json", content)
    with pytest.raises(ValueError, match=problem) as info:
        Vocab.load(path)
    assert str(info.value).startswith(f"{str(path)!r} is not a firstlayer vocab file: ")


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Vocab.load(tmp_path / "nope.json")
