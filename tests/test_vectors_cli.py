"""``firstlayer vectors info|convert|neighbors|evaluate`` end to end on files in tmp_path, with
gensim writing the inputs and checking the outputs; errors are one line on stderr, status 2."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from firstlayer.cli import main

DIM = 8
WORDS = [f"w{i}" for i in range(60)] + ["King", "queen", "Paris", "我", "你"]


@pytest.fixture(scope="module")
def gensim_kv() -> GensimKV:
    kv = GensimKV(DIM)
    kv.add_vectors(WORDS, np.random.default_rng(0).standard_normal((len(WORDS), DIM)))
    return kv


@pytest.fixture(scope="module")
def files(tmp_path_factory, gensim_kv) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("vectors")
    paths = {name: str(folder / name) for name in ("vec.txt", "vec.bin", "glove.txt")}
    gensim_kv.save_word2vec_format(paths["vec.txt"])
    gensim_kv.save_word2vec_format(paths["vec.bin"], binary=True)
    with open(paths["glove.txt"], "w", encoding="utf8") as f:  # no header line
        for word in WORDS:
            f.write(word + " " + " ".join(f"{x:.6f}" for x in gensim_kv[word]) + "\n")
    return paths


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["vectors", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_usage_error(status: int, out: str, err: str, *fragments: str) -> None:
    assert status == 2 and out == ""
    assert err.startswith("firstlayer vectors: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


@pytest.mark.parametrize("name, fmt", [
    ("vec.txt", "word2vec"), ("vec.bin", "word2vec-binary"), ("glove.txt", "glove"),
])
def test_info(capsys, files, name, fmt) -> None:
    status, out, err = run(capsys, "info", files[name])
    assert status == 0 and err == ""
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["format"] == fmt
    assert lines["count"] == str(len(WORDS))
    assert lines["dim"] == str(DIM)
    assert lines["keys"] == "'w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', ..."
    assert lines["file"].startswith(files[name])


def test_convert_writes_what_gensim_reads(capsys, files, gensim_kv, tmp_path) -> None:
    out_bin = str(tmp_path / "out.bin")
    status, out, err = run(capsys, "convert", files["glove.txt"], out_bin, "--to",
                           "word2vec-binary")
    assert status == 0 and err == "" and out.startswith(f"wrote {out_bin}: {len(WORDS)} vectors")
    back = GensimKV.load_word2vec_format(out_bin, binary=True)
    assert back.index_to_key == WORDS
    np.testing.assert_allclose(back.vectors, gensim_kv.vectors, atol=1e-6)
    # to the cache format and back to text, keeping the first 10
    cache, text = str(tmp_path / "v.cache"), str(tmp_path / "v.txt")
    assert run(capsys, "convert", out_bin, cache, "--to", "cache")[0] == 0
    assert run(capsys, "convert", cache, text, "--to", "word2vec", "--limit", "10")[0] == 0
    back = GensimKV.load_word2vec_format(text)
    assert back.index_to_key == WORDS[:10]
    np.testing.assert_allclose(back.vectors, gensim_kv.vectors[:10], atol=1e-6)


def test_convert_errors(capsys, files, tmp_path) -> None:
    assert_usage_error(*run(capsys, "convert", files["vec.txt"], str(tmp_path / "x"), "--to",
                            "fasttext"),
                       "'fasttext'", "word2vec, glove, word2vec-binary, cache")
    assert_usage_error(*run(capsys, "convert", files["vec.txt"], files["vec.txt"], "--to",
                            "glove"), "same file")
    assert_usage_error(*run(capsys, "convert", str(tmp_path / "nope.txt"), str(tmp_path / "x"),
                            "--to", "glove"), "no such file", "nope.txt")
    assert_usage_error(*run(capsys, "convert", files["vec.txt"], str(tmp_path / "x"), "--to",
                            "glove", "--from", "csv"), "'csv'", "auto, word2vec")
    assert not (tmp_path / "x").exists()


def test_neighbors_match_gensim(capsys, files, gensim_kv) -> None:
    status, out, err = run(capsys, "neighbors", files["vec.bin"], "King", "我", "--topn", "4")
    assert status == 0 and err == ""
    blocks = out.split("\n\n")
    assert len(blocks) == 2
    for block, word in zip(blocks, ["King", "我"]):
        head, *rows = block.strip("\n").splitlines()
        assert head == word
        got = [(r.split()[1], float(r.split()[2])) for r in rows]
        want = gensim_kv.most_similar(word, topn=4)
        assert [k for k, _ in got] == [k for k, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-4)
        assert [r.split()[0] for r in rows] == ["1", "2", "3", "4"]


def test_neighbors_errors(capsys, files, tmp_path) -> None:
    assert_usage_error(*run(capsys, "neighbors", files["vec.txt"], "w1", "kingg"),
                       "'kingg' is not in", f"({len(WORDS)} keys)", "closest keys: 'King'")
    assert_usage_error(*run(capsys, "neighbors", str(tmp_path / "none.vec"), "w1"),
                       "no such file")
    assert_usage_error(*run(capsys, "neighbors", files["vec.txt"], "w1", "--topn", "0"),
                       "--topn must be at least 1")
    assert_usage_error(*run(capsys, "neighbors", str(tmp_path), "w1"))  # a folder
    with pytest.raises(SystemExit) as exc:  # argparse's own error, also one line and status 2
        main(["vectors", "neighbors", files["vec.txt"], "w1", "--topn", "many"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_evaluate_prints_gensims_numbers(capsys, files, gensim_kv, tmp_path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("w1\tw2\t3.5\nw3\tw4\t7\nking\tqueen\t9\nw5\tw6\t1.5\nw7\tnope\t2\n"
                     "paris\t我\t4\n", encoding="utf8")
    analogies = tmp_path / "questions.txt"
    analogies.write_text(": first\nw1 w2 w3 w4\nw5 w6 w7 w8\n: second\nking queen w9 w10\n"
                         "w1 w2 nope w3\n", encoding="utf8")
    status, out, err = run(capsys, "evaluate", files["vec.txt"], "--pairs", str(pairs),
                           "--analogies", str(analogies))
    assert status == 0 and err == ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson, spearman, oov = gensim_kv.evaluate_word_pairs(str(pairs))
        score, sections = gensim_kv.evaluate_word_analogies(str(analogies))
    lines = out.splitlines()
    assert lines[0] == (
        f"pairs      {pairs}: Pearson {pearson[0]:.4f} (p={pearson[1]:.2g}), "
        f"Spearman {spearman[0]:.4f} (p={spearman[1]:.2g}), unknown words in {oov:.1f}% of the "
        f"pairs"
    )
    n = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    assert lines[1] == (f"analogies  {analogies}: {100 * score:.1f}% correct "
                        f"({len(sections[-1]['correct'])} of {n})")
    assert [line.split()[0] for line in lines[2:]] == ["first", "second"]
    status, out, _ = run(capsys, "evaluate", files["vec.txt"], "--pairs", str(pairs),
                         "--case-sensitive", "--dummy4unknown")
    pearson, _, oov = gensim_kv.evaluate_word_pairs(str(pairs), case_insensitive=False,
                                                    dummy4unknown=True)
    assert status == 0 and f"Pearson {pearson[0]:.4f}" in out and f"in {oov:.1f}%" in out


def test_evaluate_errors(capsys, files, tmp_path) -> None:
    assert_usage_error(*run(capsys, "evaluate", files["vec.txt"]), "--pairs", "--analogies")
    assert_usage_error(*run(capsys, "evaluate", files["vec.txt"], "--pairs",
                            str(tmp_path / "missing.tsv")), "no such file", "missing.tsv")
    bad = tmp_path / "bad.txt"
    bad.write_text("w1 w2 w3 w4\n", encoding="utf8")
    assert_usage_error(*run(capsys, "evaluate", files["vec.txt"], "--analogies", str(bad)),
                       "before the first ': section name' line")


def test_vectors_without_a_subcommand(capsys) -> None:
    assert_usage_error(*run(capsys), "a subcommand is required")


def test_errors_in_a_subprocess_have_no_traceback(files, tmp_path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("5 3\na 1 2 3\nb 1 2\n", encoding="utf8")  # promises 5 rows, a short row
    for argv in (["neighbors", files["vec.txt"], "nope"], ["info", str(broken)]):
        done = subprocess.run([sys.executable, "-m", "firstlayer", "vectors", *argv],
                              capture_output=True, encoding="utf-8", timeout=60)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr.startswith("firstlayer vectors: error: ")
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_gensim_spelling_of_load_and_save(files, gensim_kv, tmp_path) -> None:
    from firstlayer.vectors import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(files["vec.bin"], binary=True, limit=10)
    want = GensimKV.load_word2vec_format(files["vec.bin"], binary=True, limit=10)
    assert kv.index_to_key == want.index_to_key
    np.testing.assert_array_equal(kv.vectors, want.vectors)
    out = str(tmp_path / "again.txt")
    kv.save_word2vec_format(out)
    back = GensimKV.load_word2vec_format(out)
    assert back.index_to_key == WORDS[:10]
    np.testing.assert_allclose(back.vectors, gensim_kv.vectors[:10], atol=1e-6)
