"""The DDP examples (examples/ddp_classifier.py, examples/ddp_word2vec.py) on 2 local processes.

Each example is launched as users launch it (``python examples/... --world-size 2``: gloo,
127.0.0.1 only, a free port) for a few steps, and its saved weights are compared with a
single-process run over the same global batches, made here in-process with the example's own
``train``: equal up to float32 rounding (DDP sums the processes' halves of the gradient then
halves it; one process takes the mean at once). The models that ``from_torch`` gave back must
predict what the torch modules predict. Both launches start together, to share the ~10 s
that importing torch and starting DDP take in each process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

import firstlayer as fl  # noqa: E402
from _launch import EXAMPLES, example, finish, start  # noqa: E402
from firstlayer.models import Word2Vec  # noqa: E402

CLASSIFIER_ARGS = ["--docs", "256", "--vocab", "300", "--dim", "8", "--batch-size", "32",
                   "--steps", "6", "--seed", "3", "--quiet"]
WORD2VEC_ARGS = ["--sentences", "150", "--dim", "8", "--batch-size", "64", "--steps", "6",
                 "--seed", "5", "--quiet"]
# float32 rounding of a few SGD steps whose gradients were summed in another order
RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Start both 2-process runs at once; each test waits for its own."""
    tmp = tmp_path_factory.mktemp("ddp")
    paths = {name: tmp / name for name in
             ("clf.safetensors", "clf.pt", "w2v.safetensors", "w2v.pt")}
    procs = {
        "classifier": start([
            str(EXAMPLES / "ddp_classifier.py"), *CLASSIFIER_ARGS, "--world-size", "2",
            "--out", str(paths["clf.safetensors"]), "--torch-out", str(paths["clf.pt"])]),
        "word2vec": start([
            str(EXAMPLES / "ddp_word2vec.py"), *WORD2VEC_ARGS, "--world-size", "2",
            "--out", str(paths["w2v.safetensors"]), "--torch-out", str(paths["w2v.pt"])]),
        "bad world size": start([str(EXAMPLES / "ddp_classifier.py"), *CLASSIFIER_ARGS,
                                 "--world-size", "3"]),
    }
    yield {"procs": procs, **paths}  # type: ignore[dict-item]
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_classifier_two_processes_match_one(runs: dict, one_thread: None) -> None:
    out = finish(runs["procs"]["classifier"])[0]
    assert "world 2 (gloo, sparse=True): 6 steps" in out

    ex = example("ddp_classifier")
    args = ex.parse_args(CLASSIFIER_ARGS)
    reference, stats = ex.train(args, 0, 1)
    assert stats["steps"] == 6
    saved = fl.load(runs["clf.safetensors"])
    ref = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    assert sorted(saved) == sorted(ref) == ["embedding.weight", "fc.bias", "fc.weight"]
    fl.manual_seed(args.seed)
    start = ex.TextClassifier(args.vocab, args.dim, args.classes).state_dict()
    for name, value in ref.items():
        np.testing.assert_allclose(saved[name].numpy(), value, rtol=RTOL, atol=ATOL,
                                   err_msg=name)
        moved = np.abs(value - start[name].numpy()).max()
        assert moved > 1e3 * ATOL, f"{name} barely trained ({moved}): the check would be vacuous"
    # sparse gradients: only the rows of the batches' words moved, in both runs
    untouched = np.all(ref["embedding.weight"] == start["embedding.weight"].numpy(), axis=1)
    assert untouched.any() and not untouched.all()
    np.testing.assert_array_equal(untouched, np.all(
        saved["embedding.weight"].numpy() == start["embedding.weight"].numpy(), axis=1))

    # from_torch's model predicts what the trained torch module predicts
    model = ex.TextClassifier(args.vocab, args.dim, args.classes)
    model.load_state_dict(saved)
    twin = ex.TorchTextClassifier(ex.TextClassifier(args.vocab, args.dim, args.classes))
    twin.load_state_dict(torch.load(runs["clf.pt"], weights_only=True))
    ids, offsets, _ = ex.load_docs(args).batch(np.arange(64))
    with fl.no_grad():
        ours = model(fl.from_numpy(ids), fl.from_numpy(offsets)).numpy()
    with torch.no_grad():
        theirs = twin(torch.from_numpy(ids), torch.from_numpy(offsets)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.argmax(1), theirs.argmax(1))


def test_word2vec_two_processes_match_one(runs: dict, one_thread: None) -> None:
    out = finish(runs["procs"]["word2vec"])[0]
    assert "world 2 (gloo, sparse=True)" in out and "6 steps" in out

    ex = example("ddp_word2vec")
    args = ex.parse_args(WORD2VEC_ARGS)
    reference, model, stats = ex.train(args, 0, 1)
    assert stats["steps"] == 6
    start = ex.build_model(args, ex.load_corpus(args))
    saved = Word2Vec.load(runs["w2v.safetensors"])
    assert saved.wv.index_to_key == start.wv.index_to_key
    for ours, theirs, before in (
        (saved.wv.vectors, reference.input.weight, start.wv.vectors),
        (saved.syn1neg, reference.output.weight, start.syn1neg),
    ):
        theirs = theirs.detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
        assert np.abs(theirs - before).max() > 1e3 * ATOL

    # the tables from_torch gave back are the torch module's, and the Word2Vec answers queries
    state = torch.load(runs["w2v.pt"], weights_only=True)
    np.testing.assert_array_equal(saved.wv.vectors, state["input.weight"].numpy())
    np.testing.assert_array_equal(saved.syn1neg, state["output.weight"].numpy())
    word = saved.wv.index_to_key[0]
    expected = state["input.weight"].numpy()
    unit = expected / np.linalg.norm(expected, axis=1, keepdims=True)
    scores = unit @ unit[0]
    scores[0] = -np.inf
    assert saved.wv.most_similar(word, topn=1)[0][0] == saved.wv.index_to_key[int(scores.argmax())]


def test_world_size_the_data_cannot_be_split_by_fails_before_training(runs: dict) -> None:
    proc = runs["procs"]["bad world size"]
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "global batch of 32 can't be split over 3 processes" in err
    assert "multiple of 3 (e.g. 30 or 33)" in err
    assert "world size that divides 32 (1, 2, 4, 8, 16, 32)" in err
    assert out == ""  # nothing trained, nothing printed


def test_split_checks() -> None:
    launch = example("ddp_launch")
    launch.check_split(64, 32, 2)
    with pytest.raises(ValueError, match="has 10 examples, fewer than one global batch of 32"):
        launch.check_split(10, 32, 2)
    with pytest.raises(ValueError, match=r"e\.g\. 3\)"):
        launch.check_split(100, 2, 3)
    with pytest.raises(ValueError, match="--batch-size must be >= 1"):
        launch.check_split(100, 0, 1)
    batches = list(launch.global_batches(10, 4, epochs=2, steps=0, seed=0))
    assert [(e, s) for e, s, _ in batches] == [(0, 0), (0, 1), (1, 2), (1, 3)]
    for _, _, idx in batches:  # shards: equal, disjoint, covering the global batch
        parts = [launch.shard(idx, r, 2) for r in range(2)]
        np.testing.assert_array_equal(np.concatenate(parts), idx)


def test_sparse_with_nccl_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    ex = example("ddp_classifier")
    with pytest.raises(SystemExit) as info:
        ex.parse_args(["--backend", "nccl", "--sparse", "--world-size", "2"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "NCCL has no sparse all-reduce" in err and "--no-sparse" in err
