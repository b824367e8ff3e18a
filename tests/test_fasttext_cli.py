"""fastText's command line under ``firstlayer``: the commands, their options and their output.

Each command runs in-process (``firstlayer.cli.main``) with its standard input given and its
output captured as bytes. The output's format is fastText's (``src/main.cc``: numbers with 5
significant digits and a space after each for vectors, 6 for scores and matrices) and its
numbers are fastText's own answers (``fasttext-numpy2``) on models fastText trained: the
committed fixtures (tests/fixtures/fasttext/) and one trained here.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from firstlayer.cli import main
from firstlayer.cli.fasttext_query import vector_text
from firstlayer.models import load_model

try:
    import fasttext as real_fasttext
except ImportError:
    real_fasttext = None

needs_fasttext = pytest.mark.skipif(real_fasttext is None, reason="fasttext-numpy2 missing")
FIXTURES = Path(__file__).parent / "fixtures" / "fasttext"
MODELS = ["skipgram", "cbow", "ns_char", "ova_both"]
WORDS = ["t0w1", "n3", "zzz", "t1w3x", "é山", "</s>"]


def run(capsysbinary, monkeypatch, *argv: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
    """``firstlayer argv`` with ``stdin``: (status, stdout bytes, stderr text)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    status = main(list(argv))
    out, err = capsysbinary.readouterr()
    return status, out, err.decode()


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.bin")


def fasttext_model(path: str):
    if real_fasttext is None:
        pytest.skip("fasttext-numpy2 missing")
    return real_fasttext.load_model(path)


def vectors_of(line: bytes) -> tuple[str, np.ndarray]:
    """A ``word v1 ... vn `` line: the word and its numbers (and the format checked)."""
    assert line.endswith(b" ")  # fastText writes a space after every number
    word, *numbers = line.decode().split(" ")[:-1]
    vec = np.array([float(x) for x in numbers], np.float32)
    assert " ".join(numbers) == " ".join(f"{float(x):.5g}" for x in numbers)
    return word, vec


def close(ours: np.ndarray, theirs: np.ndarray) -> None:
    """fastText's numbers, as printed with 5 significant digits."""
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> str:
    """A skipgram model fastText trains here (character n-grams 2..4)."""
    if real_fasttext is None:
        pytest.skip("fasttext-numpy2 missing")
    path = tmp_path_factory.mktemp("ft") / "sg.bin"
    # fastText may read uninitialised memory and stop with "Encountered NaN"; inside a long test
    # process (dirty heap) that happened 30 times in a row, so train in fresh processes.
    script = (
        "import sys, fasttext\n"
        "m = fasttext.train_unsupervised(sys.argv[1], model='skipgram', dim=6, epoch=2, minn=2,"
        " maxn=4, bucket=400, thread=4, verbose=0, minCount=2)\n"
        "m.save_model(sys.argv[2])\n"
    )
    for _ in range(20):
        done = subprocess.run([sys.executable, "-c", script, str(FIXTURES / "plain.txt"),
                               str(path)], capture_output=True, text=True)
        if done.returncode == 0:
            return str(path)
    pytest.fail(f"fastText failed to train 20 times; last error: {done.stderr[-500:]}")


@pytest.mark.parametrize("name", [*MODELS, "trained"])
def test_print_word_vectors_are_fasttexts(name, trained, capsysbinary, monkeypatch) -> None:
    path = trained if name == "trained" else fixture(name)
    ft = fasttext_model(path)
    status, out, _ = run(capsysbinary, monkeypatch, "print-word-vectors", path,
                         stdin=" ".join(WORDS[:3]).encode() + b"\n\t" +
                         " ".join(WORDS[3:]).encode() + b"\n")
    lines = out.split(b"\n")
    assert status == 0 and lines[-1] == b"" and len(lines) == len(WORDS) + 1
    for word, line in zip(WORDS, lines):
        got_word, vec = vectors_of(line)
        assert got_word == word
        close(vec, ft.get_word_vector(word))


def test_print_word_vectors_echoes_bytes(capsysbinary, monkeypatch) -> None:
    status, out, _ = run(capsysbinary, monkeypatch, "print-word-vectors", fixture("skipgram"),
                         stdin=b"\xff\xfe n3")
    assert status == 0 and out.startswith(b"\xff\xfe ") and out.count(b"\n") == 2


@pytest.mark.parametrize("name", ["skipgram", "ns_char", "ova_both"])
def test_print_sentence_vectors_are_fasttexts(name, capsysbinary, monkeypatch) -> None:
    ft = fasttext_model(fixture(name))
    texts = (FIXTURES / "sup.txt").read_text(encoding="utf-8").splitlines()[:5]
    texts += ["", "unseen words only", "t0w1\tn3  zzz"]
    status, out, _ = run(capsysbinary, monkeypatch, "print-sentence-vectors", fixture(name),
                         stdin=("\n".join(texts) + "\n").encode())
    lines = out.split(b"\n")
    assert status == 0 and len(lines) == len(texts) + 1
    for text, line in zip(texts, lines):
        _, vec = vectors_of(b"x " + line)
        close(vec, ft.get_sentence_vector(text))


@pytest.mark.parametrize("name", ["cbow", "ns_char", "trained"])
def test_print_ngrams_are_fasttexts(name, trained, capsysbinary, monkeypatch) -> None:
    path = trained if name == "trained" else fixture(name)
    ft = fasttext_model(path)
    for word in ("t0w1", "zzzq"):
        status, out, _ = run(capsysbinary, monkeypatch, "print-ngrams", path, word)
        names, ids = ft.get_subwords(word)
        lines = out.split(b"\n")[:-1]
        assert status == 0 and len(lines) == len(names) > 1
        for subword, i, line in zip(names, ids, lines):
            got, vec = vectors_of(line)
            assert got == subword
            close(vec, ft.get_input_vector(i))


def _answers(lines: list[bytes]) -> list[tuple[float, str]]:
    pairs = []
    for line in lines:
        word, score = line.decode().split(" ")
        assert score == f"{float(score):g}"  # fastText's default: 6 significant digits
        pairs.append((float(score), word))
    return pairs


def _same_answers(ours: list[tuple[float, str]], theirs: list[tuple[float, str]],
                  wider: list[tuple[float, str]] = ()) -> None:
    """The same scores; the same words, but where two words tie within float32 rounding (a
    model fastText trained here with threads can have such ties), either may come first: then
    ours must be among fastText's ``wider`` answers (all words) with the same score."""
    np.testing.assert_allclose([s for s, _ in ours], [s for s, _ in theirs], atol=2e-6)
    alternatives = {w: s for s, w in wider}
    for (score, word), (_, their_word) in zip(ours, theirs):
        if word != their_word:
            assert word in alternatives, (word, their_word)
            assert abs(alternatives[word] - score) <= 2e-6, (word, their_word)


@pytest.mark.parametrize("name", ["skipgram", "cbow", "trained"])
def test_nn_prompts_and_answers_as_fasttext(name, trained, capsysbinary, monkeypatch) -> None:
    path = trained if name == "trained" else fixture(name)
    ft = fasttext_model(path)
    status, out, _ = run(capsysbinary, monkeypatch, "nn", path, "4", stdin=b"t0w1 n3\nzzzq\n")
    prompt = b"Query word? "
    blocks = out.split(prompt)
    assert status == 0 and out.startswith(prompt) and out.endswith(prompt)
    assert blocks[0] == b"" and blocks[-1] == b"" and len(blocks) == 5
    for word, block in zip(["t0w1", "n3", "zzzq"], blocks[1:-1]):
        _same_answers(_answers(block.split(b"\n")[:-1]), ft.get_nearest_neighbors(word, k=4),
                      ft.get_nearest_neighbors(word, k=1000))
    # the default k is fastText's 10
    _, out, _ = run(capsysbinary, monkeypatch, "nn", path, stdin=b"n3")
    assert out.count(b"\n") == 10


def test_analogies_prompt_and_answers_as_fasttext(capsysbinary, monkeypatch) -> None:
    path = fixture("skipgram")
    ft = fasttext_model(path)
    status, out, _ = run(capsysbinary, monkeypatch, "analogies", path, "3",
                         stdin=b"t0w1 t0w2 t1w3\nn1 n2\nn3\nx y")  # an incomplete last query
    head = f"Loading model {path}\n".encode()
    prompt = b"Query triplet (A - B + C)? "
    assert status == 0 and out.startswith(head + prompt) and out.endswith(prompt)
    blocks = out[len(head):].split(prompt)
    assert len(blocks) == 4
    for (a, b, c), block in zip([("t0w1", "t0w2", "t1w3"), ("n1", "n2", "n3")], blocks[1:3]):
        _same_answers(_answers(block.split(b"\n")[:-1]), ft.get_analogies(a, b, c, k=3))
    status, _, err = run(capsysbinary, monkeypatch, "analogies", path, "0")
    assert status == 2 and "1 or higher" in err


_FT_LOSS = {"ova": "one-vs-all"}
_FT_MODEL = {"skipgram": "sg", "supervised": "sup"}


@pytest.mark.parametrize("name", ["skipgram", "cbow", "ova_both", "hs_bigram"])
def test_dump_is_fasttexts(name, capsysbinary, monkeypatch) -> None:
    ft = fasttext_model(fixture(name))
    a = ft.f.getArgs()
    _, out, _ = run(capsysbinary, monkeypatch, "dump", fixture(name), "args")
    loss, model = a.loss.name, a.model.name
    assert out.decode() == "".join(f"{k} {v}\n" for k, v in [
        ("dim", a.dim), ("ws", a.ws), ("epoch", a.epoch), ("minCount", a.minCount),
        ("neg", a.neg), ("wordNgrams", a.wordNgrams), ("loss", _FT_LOSS.get(loss, loss)),
        ("model", _FT_MODEL.get(model, model)), ("bucket", a.bucket), ("minn", a.minn),
        ("maxn", a.maxn), ("lrUpdateRate", a.lrUpdateRate), ("t", f"{a.t:g}")])

    _, out, _ = run(capsysbinary, monkeypatch, "dump", fixture(name), "dict")
    words, wcounts = ft.get_words(include_freq=True)
    labels, lcounts = ft.get_labels(include_freq=True) if model == "supervised" else ([], [])
    expected = [f"{len(words) + len(labels)}"] + [
        f"{w} {c} word" for w, c in zip(words, wcounts)] + [
        f"{w} {c} label" for w, c in zip(labels, lcounts)]
    assert out.decode() == "\n".join(expected) + "\n"

    for option, matrix in (("input", ft.get_input_matrix()), ("output", ft.get_output_matrix())):
        _, out, _ = run(capsysbinary, monkeypatch, "dump", fixture(name), option)
        rows = [" ".join(f"{x:g}" for x in row) for row in matrix.tolist()]
        assert out.decode() == f"{matrix.shape[0]} {matrix.shape[1]}\n" + "".join(
            r + "\n" for r in rows)


@pytest.mark.parametrize("name", ["ns_char", "ova_both", "hs_bigram"])
def test_predict_prob_and_test_take_fasttexts_k_and_threshold(name, capsysbinary,
                                                              monkeypatch) -> None:
    ft = fasttext_model(fixture(name))
    texts = (FIXTURES / "sup.txt").read_text(encoding="utf-8").splitlines()[:30]
    stdin = ("\n".join(texts) + "\n").encode()
    status, out, _ = run(capsysbinary, monkeypatch, "predict-prob", fixture(name), "-", "2",
                         "0.3", stdin=stdin)
    lines = out.decode().split("\n")
    assert status == 0 and len(lines) == len(texts) + 1
    for text, line in zip(texts, lines):
        labels, probs = ft.predict(text, k=2, threshold=0.3)
        parts = line.split(" ") if line else []
        assert parts[0::2] == list(labels)
        assert all(p == f"{float(p):g}" for p in parts[1::2])
        # fastText's probabilities are p + 1e-5 (the documented difference)
        np.testing.assert_allclose([float(p) for p in parts[1::2]], np.asarray(probs) - 1e-5,
                                   atol=2e-6)
    _, out_pred, _ = run(capsysbinary, monkeypatch, "predict", fixture(name), "-", "2", "0.3",
                         stdin=stdin)
    assert out_pred.decode() == "".join(" ".join(line.split(" ")[0::2]) + "\n"
                                        for line in lines[:-1])
    status, out, _ = run(capsysbinary, monkeypatch, "test", fixture(name),
                         str(FIXTURES / "sup.txt"), "2", "0.1")
    n, p, r = ft.test(str(FIXTURES / "sup.txt"), k=2, threshold=0.1)
    assert status == 0 and out.decode() == f"N\t{n}\nP@2\t{p:.3g}\nR@2\t{r:.3g}\n"


@pytest.mark.parametrize("kind", ["skipgram", "cbow"])
def test_skipgram_cbow_train_as_fasttext(kind, tmp_path, capsysbinary, monkeypatch) -> None:
    prefix = str(tmp_path / "vectors")
    status, out, err = run(capsysbinary, monkeypatch, kind, "-input", str(FIXTURES / "plain.txt"),
                           "-output", prefix, "-dim", "6", "-epoch", "1", "-bucket", "300",
                           "-thread", "1", "-verbose", "0", "-minn", "2", "-maxn", "3")
    assert status == 0 and b"Saved" in out and err == ""
    ours = load_model(prefix + ".bin")
    assert ours.args.model == kind and ours.args.dim == 6 and ours.args.lr == 0.05  # its default
    assert ours.args.minCount == 5 and ours.args.loss == "ns"
    lines = Path(prefix + ".vec").read_bytes().split(b"\n")
    assert lines[0] == f"{len(ours.words)} 6".encode() and lines[-1] == b""
    for word, line in zip(ours.words, lines[1:-1]):
        got, vec = vectors_of(line)
        assert got == word
        close(vec, ours.get_word_vector(word))
    if real_fasttext is not None:  # fastText reads what the command wrote; .vec as its own
        ft = real_fasttext.load_model(prefix + ".bin")
        assert ft.words == ours.words
        assert lines[1:-1] == [f"{w} {vector_text(ft.get_word_vector(w))}".encode()
                               for w in ft.words]
        close(ft.get_word_vector("t0w1x"), ours.get_word_vector("t0w1x"))
    # firstlayer's own spelling: TRAIN and -o MODEL, the model alone
    path = tmp_path / "m.bin"
    status, _, _ = run(capsysbinary, monkeypatch, kind, str(FIXTURES / "plain.txt"), "-o",
                       str(path), "--dim", "4", "--epoch", "1", "--verbose", "0", "--thread", "1")
    assert status == 0 and load_model(path).args.dim == 4
    assert sorted(os.listdir(tmp_path)) == ["m.bin", "vectors.bin", "vectors.vec"]


def test_supervised_takes_fasttexts_input_and_output(tmp_path, capsysbinary,
                                                     monkeypatch) -> None:
    prefix = str(tmp_path / "clf")
    status, out, _ = run(capsysbinary, monkeypatch, "supervised", "-input",
                         str(FIXTURES / "sup.txt"), "-output", prefix, "-dim", "5", "-minn", "2",
                         "-maxn", "3", "-bucket", "200", "-verbose", "0", "-thread", "1")
    ours = load_model(prefix + ".bin")
    assert status == 0 and sorted(ours.labels) == ["__label__c0", "__label__c1", "__label__c2"]
    lines = Path(prefix + ".vec").read_text(encoding="utf-8").split("\n")
    assert lines[0] == f"{len(ours.words)} 5" and len(lines) == len(ours.words) + 2
    if real_fasttext is not None:
        ft = real_fasttext.load_model(prefix + ".bin")
        assert lines[1:-1] == [f"{w} {vector_text(ft.get_word_vector(w))}" for w in ft.words]


def test_training_defaults_and_help_come_from_the_dataclasses(capsys) -> None:
    for kind, lr, min_count in (("skipgram", "0.05", "5"), ("supervised", "0.1", "1")):
        with pytest.raises(SystemExit):
            main([kind, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"(default: {lr})" in text and f"leave out words seen fewer times (default: " \
            f"{min_count})" in text
        assert "-input" in text and "-output PREFIX" in text


@needs_fasttext
def test_quantize_as_fasttext(tmp_path, capsysbinary, monkeypatch) -> None:
    shutil.copy(fixture("ns_char"), tmp_path / "m.bin")
    shutil.copy(fixture("ns_char"), tmp_path / "ft.bin")
    status, out, _ = run(capsysbinary, monkeypatch, "quantize", "-output", str(tmp_path / "m"),
                         "-input", str(FIXTURES / "sup.txt"), "-cutoff", "500", "-qnorm",
                         "-dsub", "4")
    assert status == 0 and b"Saved" in out
    ft = real_fasttext.load_model(str(tmp_path / "ft.bin"))
    ft.quantize(cutoff=500, qnorm=True, dsub=4)
    ft.save_model(str(tmp_path / "ft.ftz"))
    ours_ftz = real_fasttext.load_model(str(tmp_path / "m.ftz"))  # fastText reads it
    assert os.path.getsize(tmp_path / "m.ftz") == os.path.getsize(tmp_path / "ft.ftz")
    texts = (FIXTURES / "sup.txt").read_text(encoding="utf-8").splitlines()[:50]
    assert ours_ftz.predict(texts, k=1)[0] == ft.predict(texts, k=1)[0]
    # the commands read the .ftz; dump of its (quantized) matrices is refused, as fastText
    status, out, _ = run(capsysbinary, monkeypatch, "print-word-vectors", str(tmp_path / "m.ftz"),
                         stdin=b"t0w1")
    close(vectors_of(out.split(b"\n")[0])[1], ours_ftz.get_word_vector("t0w1"))
    status, out, err = run(capsysbinary, monkeypatch, "dump", str(tmp_path / "m.ftz"), "input")
    assert status == 2 and out == b"" and "quantized" in err
    # a trailing .bin in -output is the model itself; retrain needs -input
    status, _, err = run(capsysbinary, monkeypatch, "quantize", "-output",
                         str(tmp_path / "ft.bin"), "-retrain")
    assert status == 2 and "input" in err and not (tmp_path / "x.ftz").exists()


def test_mistakes_are_one_line_and_write_nothing(tmp_path, capsysbinary, monkeypatch) -> None:
    plain = str(FIXTURES / "plain.txt")
    shutil.copy(fixture("skipgram"), tmp_path / "sg.bin")
    for argv in (["skipgram", plain],  # no output
                 ["skipgram", plain, "-input", plain, "-o", str(tmp_path / "a.bin")],
                 ["cbow", "-output", str(tmp_path / "b")],  # no input
                 ["cbow", str(tmp_path / "none.txt"), "-output", str(tmp_path / "c")],
                 ["skipgram", plain, "-o", str(tmp_path / "d.bin"), "-loss", "ova"],
                 ["quantize", "-output", str(tmp_path / "sg")],  # not a classifier
                 ["quantize", "-output", str(tmp_path / "none")],
                 ["nn", str(tmp_path / "none.bin")],
                 ["dump", str(FIXTURES / "plain.txt"), "dict"]):
        status, out, err = run(capsysbinary, monkeypatch, *argv)
        assert status == 2 and len(err.strip().splitlines()) == 1, (argv, err)
        assert err.startswith(f"firstlayer {argv[0]}: error: ")
    assert os.listdir(tmp_path) == ["sg.bin"]
    with pytest.raises(SystemExit):  # argparse: one of args, dict, input, output
        main(["dump", fixture("skipgram"), "vectors"])


def test_help_lists_the_commands_and_loads_nothing_heavy() -> None:
    code = ("import sys, contextlib, io\nfrom firstlayer.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try: main(['--help'])\n    except SystemExit: pass\n"
            "print(out.getvalue()); print('numba' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    for name in ("skipgram", "cbow", "quantize", "print-word-vectors", "print-sentence-vectors",
                 "print-ngrams", "nn", "analogies", "dump", "predict-prob"):
        assert f"\n    {name} " in result.stdout or f"\n    {name}\n" in result.stdout, name
    assert result.stdout.strip().endswith("False")


# ---- test-label and -saveOutput (fastText's main.cc: test(..., perLabel), train's saveOutput) --
def _fixed6(x: float) -> str:
    return "--------" if x != x else f"{x:.6f}"


@pytest.mark.parametrize("name", ["ns_char", "hs_bigram"])
def test_test_label_prints_as_fasttext(name, capsysbinary, monkeypatch) -> None:
    sup = str(FIXTURES / "sup.txt")
    status, out, _ = run(capsysbinary, monkeypatch, "test-label", fixture(name), sup, "2")
    lines = out.decode().splitlines()
    ours = load_model(fixture(name))
    report = ours.test_label(sup, k=2)
    assert status == 0 and len(lines) == len(report) + 3
    for line, (label, m) in zip(lines, report.items()):  # the model's labels, in its order
        assert line == (f"F1-Score : {_fixed6(m['f1score'])}  Precision : "
                        f"{_fixed6(m['precision'])}  Recall : {_fixed6(m['recall'])}   {label}")
    n, p, r = ours.test(sup, k=2)
    assert lines[-3:] == [f"N\t{n}", f"P@2\t{p:.3f}", f"R@2\t{r:.3f}"]  # std::fixed stays on
    # standard input, and fastText's numbers
    status, again, _ = run(capsysbinary, monkeypatch, "test-label", fixture(name), "-", "2",
                           stdin=(FIXTURES / "sup.txt").read_bytes())
    assert status == 0 and again == out
    if real_fasttext is not None:
        theirs = real_fasttext.load_model(fixture(name)).test_label(sup, k=2)
        for label, m in report.items():
            for key in ("precision", "recall", "f1score"):
                assert _fixed6(m[key]) == _fixed6(theirs[label][key]), (label, key)


def test_save_output_writes_the_output_matrix(tmp_path, capsysbinary, monkeypatch) -> None:
    prefix = str(tmp_path / "clf")
    status, out, err = run(capsysbinary, monkeypatch, "supervised", "-input",
                           str(FIXTURES / "sup.txt"), "-output", prefix, "-dim", "4",
                           "-epoch", "2", "-thread", "1", "-verbose", "0", "-saveOutput")
    assert status == 0, err
    model = load_model(prefix + ".bin")
    lines = open(prefix + ".output", "rb").read().splitlines()
    assert lines[0] == f"{len(model.labels)} 4".encode()
    out_matrix = model.get_output_matrix()
    for i, line in enumerate(lines[1:]):
        word, vec = vectors_of(line + b" " if not line.endswith(b" ") else line)
        assert word == model.labels[i]
        close(vec, out_matrix[i])
    # with -o MODEL: next to it; word vectors: a row per word
    path = str(tmp_path / "sg.bin")
    status, _, err = run(capsysbinary, monkeypatch, "skipgram", str(FIXTURES / "plain.txt"),
                         "-o", path, "-dim", "3", "-epoch", "1", "-thread", "1", "-verbose",
                         "0", "-minCount", "3", "--saveOutput")
    assert status == 0, err
    words = load_model(path).words
    lines = open(str(tmp_path / "sg.output"), "rb").read().splitlines()
    assert lines[0] == f"{len(words)} 3".encode() and len(lines) == len(words) + 1
    assert [line.split(b" ")[0].decode() for line in lines[1:]] == words
