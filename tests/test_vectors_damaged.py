"""Damaged vector files (issue 11): generated files with one random fault each must load as
exactly what gensim's reader returns, or fail with an error that names the line (text), the
byte or the promise broken (binary), or the cache; never as something the file does not hold.

Text faults: a word where a number should be, a line cut short, a NUL byte inside a line,
Latin-1 bytes in a number or a word, one number too many or too few, a header that lies.
Binary faults: a truncated record, a header that lies, bytes after the records. Cache faults:
a file cut, grown, deleted, or a meta.json that lies.

The documented leniency that differs from gensim (a header that counts fewer vectors than the
file holds: every row is loaded, with a warning; gensim stops after ``count``) is checked as
such. ``on_bad_lines="skip"`` must give what gensim reads from the file without the bad line.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstlayer.vectors.formats import (
    TruncatedVectorFileError,
    VectorFileError,
    detect_format,
    load_vectors,
    save_vectors,
)

gensim_models = pytest.importorskip("gensim.models")
GensimKV = gensim_models.KeyedVectors
logging.getLogger("gensim").setLevel(logging.ERROR)

WORDS = ["你", "我", "他", "她", "水", "火", "the", "a", "naïve", "1990", "New\u00a0York", ","]
TEXT_FAULTS = ["none", "word", "cut", "nul", "latin1-number", "latin1-word", "more", "fewer",
               "header-count", "header-dim"]
SETTINGS = settings(  # FUZZ_EXAMPLES=2000 for a longer hunt
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _gensim(path: Path, **kw):
    """What gensim's reader returns: (keys, vectors), or the exception it raises."""
    try:
        kv = GensimKV.load_word2vec_format(str(path), **kw)
    except Exception as err:  # noqa: BLE001 (any failure of gensim's is "an error")
        return err
    return list(kv.index_to_key), kv.vectors


def _ours(path: Path, **kw):
    """(keys, vectors, report, warnings) or the exception."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            keys, vectors, report = load_vectors(path, progress=False, **kw)
        except Exception as err:  # noqa: BLE001
            return err
    return list(keys), np.asarray(vectors), report, [str(w.message) for w in caught]


@st.composite
def text_files(draw):
    """``(bytes, glove, fault, faulty line number or None, rows)``: a word2vec (or GloVe)
    text file of distinct words with at most one fault."""
    glove = draw(st.booleans())
    n = draw(st.integers(3 if glove else 1, 7))
    dim = draw(st.integers(1, 5))
    keys = draw(st.permutations(WORDS))[:n]
    values = draw(
        st.lists(st.lists(st.floats(-2, 2, width=32), min_size=dim, max_size=dim),
                 min_size=n, max_size=n)
    )
    style = draw(st.sampled_from(["{:.6f}", "{!s}"]))
    rows = [[style.format(np.float32(v)).encode() for v in row] for row in values]
    lines = [[k.encode()] + row for k, row in zip(keys, rows)]
    fault = draw(st.sampled_from(TEXT_FAULTS))
    header = [str(n).encode(), str(dim).encode()]
    i = draw(st.integers(0, n - 1))  # the line (after the header) that gets the fault
    number = draw(st.integers(1, dim))  # which of its numbers
    if fault == "word":
        lines[i][number] = draw(st.sampled_from([b"abc", b"x", b"nope", b"--", b"1.2.3"]))
    elif fault == "latin1-number":
        lines[i][number] = lines[i][number][:2] + b"\xe9\xe8"
    elif fault == "latin1-word":
        lines[i][0] = lines[i][0] + b"\xe9"
    elif fault == "more":
        lines[i].insert(draw(st.integers(1, dim + 1)), draw(st.sampled_from([b"0.674611", b"7"])))
    elif fault == "fewer":
        del lines[i][number]
    elif fault == "header-count":
        header[0] = str(max(1, n + draw(st.sampled_from([-2, -1, 1, 3])))).encode()
    elif fault == "header-dim":
        header[1] = str(max(1, dim + draw(st.sampled_from([-1, 1, 2])))).encode()
    raw = [b" ".join(line) for line in lines]
    if fault == "cut":
        raw[i] = raw[i][: draw(st.integers(1, len(raw[i]) - 1))]
    elif fault == "nul":
        at = draw(st.integers(0, len(raw[i])))
        raw[i] = raw[i][:at] + b"\x00" + raw[i][at:]
    if fault.startswith("header") and glove:
        fault = "none"  # no header to lie
    data = b"" if glove else b" ".join(header) + b"\n"
    data += b"\n".join(raw) + b"\n"
    line = None if fault == "none" or fault.startswith("header") else i + 1 + (not glove)
    return data, glove, fault, line, (keys, rows)


def _check_against_gensim(path: Path, glove: bool, fault: str, line: int | None):
    theirs = _gensim(path, no_header=glove)
    ours = _ours(path)
    if isinstance(ours, Exception):
        assert isinstance(ours, VectorFileError), repr(ours)
        message = str(ours)
        assert str(path) in message
        if line is not None:
            # the line the fault is on, or (a dim inferred from the lines) the header's line
            assert f"line {line:,}:" in message or "line 1)" in message, message
            if "line 1)" not in message:
                assert "on_bad_lines='skip'" in message or "unicode_errors" in message, message
        else:
            assert re.search(r"line [\d,]+", message), message
        return ours
    keys, vectors, report, caught = ours
    assert report.format == ("glove" if glove else "word2vec")
    if any("the header says" in w and "all of them were loaded" in w for w in caught):
        # the documented leniency: gensim reads only the header's count
        assert fault == "header-count" and not isinstance(theirs, Exception)
        assert keys[: len(theirs[0])] == theirs[0] and len(keys) > len(theirs[0])
        np.testing.assert_array_equal(vectors[: len(theirs[0])], theirs[1])
        return ours
    assert not isinstance(theirs, Exception), (
        f"gensim fails ({theirs!r}) but we loaded {keys} from {path.read_bytes()!r}"
    )
    assert keys == theirs[0]
    np.testing.assert_array_equal(vectors, theirs[1])
    return ours


@SETTINGS
@given(text_files())
def test_a_text_file_with_one_fault_loads_as_gensim_reads_it_or_names_the_line(tmp_path, case):
    data, glove, fault, line, _ = case
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    assert detect_format(path) == ("glove" if glove else "word2vec")  # never binary
    ours = _check_against_gensim(path, glove, fault, line)
    if isinstance(ours, Exception) and line is not None and f"line {line:,}:" in str(ours):
        # on_bad_lines="skip": what gensim reads from the file without that line
        kept = data.split(b"\n")
        del kept[line - 1]
        if not glove:
            count, dim = kept[0].split()
            kept[0] = b"%d %s" % (int(count) - 1, dim)
        clean = tmp_path / "clean.txt"
        clean.write_bytes(b"\n".join(kept))
        theirs = _gensim(clean, no_header=glove)
        if isinstance(theirs, Exception) or not theirs[0]:
            return  # nothing left for gensim to read (or only the damaged line was there)
        skipped = _ours(path, on_bad_lines="warn")
        assert not isinstance(skipped, Exception), repr(skipped)
        keys, vectors, report, caught = skipped
        assert report.bad_lines == [line] and any(f"lines {line:,})" in w for w in caught)
        assert keys == theirs[0]
        np.testing.assert_array_equal(vectors, theirs[1])


@pytest.mark.parametrize(
    ("data", "message"),
    [  # the issue's examples
        (b"3 2\n\xe6\x88\x91 0.1 0.2\n\xe4\xbd\xa0 0.3 abc\n\xe4\xbb\x96 0.5 0.6\n",
         r"line 3: number 2 of 2, b'abc', is not a number: correct or delete the line, or pass "
         r"on_bad_lines='skip'"),
        (b"2 2\n\xe5\xa5\xb9 0.674611 0.1 0.2\nb 0.3 0.4\n",
         r"line 2: the word b'\\xe5\\xa5\\xb9' is followed by 3 numbers; every vector has 2"),
        (b"2 2\na 0.1 0.2\nb 0.\x003 0.4\n", r"line 3: number 1 of 2, b'0.\\x003'"),
        (b"2 2\na 0.1 0.2\nb 0.3 0.\xe94\n", r"line 3: number 2 of 2, b'0.\\xe94'"),
        (b"3 2\na 0.1 0.2\nb 0.3\nc 0.5 0.6\n", r"line 3: the word b'b' is followed by 1 numbers"),
    ],
)
def test_the_issues_examples_name_the_file_line_field_and_fix(tmp_path, data, message):
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    assert detect_format(path) == "word2vec"
    with pytest.raises(VectorFileError, match=message) as err:
        load_vectors(path)
    assert str(path) in str(err.value)


def test_words_with_spaces_may_not_hold_numbers(tmp_path):
    path = tmp_path / "g.txt"
    path.write_bytes(b"the 1 2\nNew York 3 4\nat 5 pm 5 6\nx 7 8\n")
    with pytest.raises(VectorFileError, match=r"line 3: .* 3 numbers.*like b'5'"):
        load_vectors(path)
    keys, vectors, report = load_vectors(path, on_bad_lines="skip")
    assert keys == ["the", "New York", "x"] and report.bad_lines == [3]
    np.testing.assert_array_equal(vectors, [[1, 2], [3, 4], [7, 8]])


def test_skip_salvages_every_kind_of_bad_line_and_counts_them_against_the_header(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(
        b"6 2\na 1 2\nb 3\nc 4 x\nd\xff 5 6\ne 7 8 9\nf 9 10\n"
    )
    with pytest.warns(UserWarning, match=r"4 bad line\(s\) skipped \(lines 3, 4, 5, 6\)"):
        keys, vectors, report = load_vectors(path, on_bad_lines="warn")
    assert keys == ["a", "f"] and report.bad_lines == [3, 4, 5, 6]
    np.testing.assert_array_equal(vectors, [[1, 2], [9, 10]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "skip" is quiet, and 2 + 4 rows match the header
        assert load_vectors(path, on_bad_lines="skip")[2].bad_lines == [3, 4, 5, 6]
    with pytest.raises(VectorFileError, match="line 3:"):  # the first one, by default
        load_vectors(path)
    with pytest.raises(ValueError, match="on_bad_lines must be one of"):
        load_vectors(path, on_bad_lines="ignore")
    # unicode_errors="replace" repairs a word instead of skipping its line
    keys, _, report = load_vectors(path, on_bad_lines="skip", unicode_errors="replace")
    assert keys == ["a", "d\ufffd", "f"] and report.bad_lines == [3, 4, 6]


def test_truncated_text_names_where_the_file_ends(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"5 2\na 1 2\nb 3 4\n")
    with pytest.raises(TruncatedVectorFileError, match=r"holds 2 \(it ends at line 3\)"):
        load_vectors(path)


# ---- binary ------------------------------------------------------------------------------------
BINARY_FAULTS = ["none", "truncate", "header-count", "header-dim", "junk-after", "c-newlines"]


@st.composite
def binary_files(draw):
    n = draw(st.integers(1, 6))
    dim = draw(st.integers(1, 6))
    keys = draw(st.permutations(WORDS))[:n]
    values = np.asarray(
        draw(st.lists(st.lists(st.floats(-2, 2, width=32), min_size=dim, max_size=dim),
                      min_size=n, max_size=n)),
        dtype="<f4",
    )
    fault = draw(st.sampled_from(BINARY_FAULTS))
    end = b"\n" if fault == "c-newlines" else b""
    body = b"".join(k.encode() + b" " + v.tobytes() + end for k, v in zip(keys, values))
    count, d = n, dim
    if fault == "truncate":
        body = body[: draw(st.integers(1, len(body) - 1))]
    elif fault == "header-count":
        count = max(1, n + draw(st.sampled_from([-2, -1, 1, 3])))
    elif fault == "header-dim":
        d = max(1, dim + draw(st.sampled_from([-1, 1, 2])))
    elif fault == "junk-after":
        body += draw(st.binary(min_size=1, max_size=20))
    return b"%d %d\n" % (count, d) + body, fault


@SETTINGS
@given(binary_files())
def test_a_binary_file_with_one_fault_loads_as_gensim_reads_it_or_says_why(tmp_path, case):
    data, fault = case
    path = tmp_path / "v.bin"
    path.write_bytes(data)
    theirs = _gensim(path, binary=True)
    ours = _ours(path)
    if isinstance(ours, Exception):
        assert isinstance(ours, VectorFileError), repr(ours)
        assert str(path) in str(ours)
        assert re.search(r"byte [\d,]+|line \d|promises|header|dim", str(ours)), str(ours)
        return
    keys, vectors, report, caught = ours
    if any("all of them were loaded" in w for w in caught):  # the documented leniency
        assert not isinstance(theirs, Exception)
        assert keys[: len(theirs[0])] == theirs[0]
        np.testing.assert_array_equal(vectors[: len(theirs[0])], theirs[1])
        return
    assert not isinstance(theirs, Exception), f"gensim fails ({theirs!r}), we loaded {keys}"
    assert keys == theirs[0], (fault, data)
    np.testing.assert_array_equal(vectors, theirs[1])
    if fault in ("none", "c-newlines"):
        assert report.format == "word2vec-binary"


# ---- cache -------------------------------------------------------------------------------------
CACHE_FAULTS = ["cut", "grow", "delete", "meta-count", "meta-dim", "meta-garbage", "none"]


@SETTINGS
@given(
    n=st.integers(1, 6),
    dim=st.integers(1, 4),
    fault=st.sampled_from(CACHE_FAULTS),
    target=st.sampled_from(["vectors.npy", "keys.txt", "keys.offsets.npy", "keys.hash.npy"]),
    amount=st.integers(1, 64),
)
def test_a_damaged_cache_loads_what_was_saved_or_names_the_cache(
    tmp_path, n, dim, fault, target, amount
):
    keys = WORDS[:n]
    vectors = np.arange(n * dim, dtype=np.float32).reshape(n, dim) / 7
    root = tmp_path / "c"
    shutil.rmtree(root, ignore_errors=True)
    save_vectors(keys, vectors, root, "cache")
    file = root / target
    meta = json.loads((root / "meta.json").read_text())
    if fault == "cut":
        file.write_bytes(file.read_bytes()[: -min(amount, file.stat().st_size)])
    elif fault == "grow":
        file.write_bytes(file.read_bytes() + b"\n" * amount)
    elif fault == "delete":
        file.unlink()
    elif fault == "meta-count":
        meta["count"] = n + 1 + amount % 3
    elif fault == "meta-dim":
        meta["dim"] = dim + 1
    elif fault == "meta-garbage":
        (root / "meta.json").write_text("{not json")
    if fault.startswith("meta-") and fault != "meta-garbage":
        (root / "meta.json").write_text(json.dumps(meta))
    try:
        got_keys, got, _ = load_vectors(root)
        got_keys = list(got_keys)  # the keys are read lazily: read them all
        got = np.array(got)
    except VectorFileError as err:
        assert str(root) in str(err), str(err)
        return
    assert got_keys == keys
    np.testing.assert_array_equal(got, vectors)
