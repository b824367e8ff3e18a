"""Tables on disk, trained in place: ``from_file``, ``load(mmap=True)``, sparse training of a
mapped table (values, the file, anonymous memory), chunked init, and ``RowWiseAdagrad``."""

from __future__ import annotations

import errno
import mmap
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer._mapped as mapped
import firstlayer.nn.init as init_mod
from firstlayer import nn
from firstlayer.optim import RowWiseAdagrad
from firstlayer.serialization import set_default_mmap_options

# --------------------------------------------------------------------------------------------
# from_file: torch's signature and meaning
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("size", [0, 1, 7, 10])
def test_from_file_reads_what_torch_reads(tmp_path: Path, dtype: str, size: int) -> None:
    path = tmp_path / "a.bin"
    np.arange(10, dtype=dtype).tofile(path)
    ours = fl.from_file(str(path), shared=False, size=size, dtype=getattr(fl, dtype))
    theirs = torch.from_file(str(path), shared=False, size=size, dtype=getattr(torch, dtype))
    assert ours.shape == tuple(theirs.shape) == (size,)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_from_file_defaults_like_torch(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    np.arange(4, dtype=np.float32).tofile(path)
    assert fl.from_file(path).shape == torch.from_file(str(path)).shape == (0,)  # size=0
    t = fl.from_file(path, size=4)  # shared=None: copy-on-write
    assert t.dtype == fl.float32 and t.tolist() == [0.0, 1.0, 2.0, 3.0]
    t[0] = 9.0
    assert np.fromfile(path, np.float32)[0] == 0.0  # the file is unchanged


def test_from_file_shared_writes_back_and_private_does_not(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    np.zeros(6, np.float32).tofile(path)
    private = fl.from_file(path, shared=False, size=6)
    private[1] = 5.0
    shared = fl.from_file(path, shared=True, size=6)
    shared[2] = 7.0
    del shared
    assert np.fromfile(path, np.float32).tolist() == [0, 0, 7, 0, 0, 0]
    assert private.tolist() == [0, 5, 0, 0, 0, 0]  # its own page: the other write is unseen


def test_from_file_shared_creates_and_grows_like_torch(tmp_path: Path) -> None:
    for lib, tag in ((fl, "fl"), (torch, "torch")):
        new = tmp_path / f"new-{tag}.bin"
        t = lib.from_file(str(new), True, 5)
        assert t.tolist() == [0.0] * 5 and os.path.getsize(new) == 20
        grown = tmp_path / f"grown-{tag}.bin"
        np.arange(3, dtype=np.float32).tofile(grown)
        assert lib.from_file(str(grown), True, 5).tolist() == [0.0, 1.0, 2.0, 0.0, 0.0]
        assert os.path.getsize(grown) == 20
        assert not os.path.exists(tmp_path / f"empty-{tag}.bin")
        lib.from_file(str(tmp_path / f"empty-{tag}.bin"), True, 0)
        assert not os.path.exists(tmp_path / f"empty-{tag}.bin")  # size 0 maps nothing


def test_from_file_view_makes_a_table_sharing_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    w = fl.from_file(path, shared=True, size=12).view(4, 3)
    emb = nn.Embedding.from_pretrained(w, freeze=False, sparse=True)
    assert np.shares_memory(emb.weight._data, w._data)
    assert mapped.mapped_file(emb.weight._data) == (str(path), "r+")
    # the seed's other two ways: _weight=, and assigning a Parameter over it
    by_weight = nn.EmbeddingBag(4, 3, _weight=w, sparse=True)
    assigned = nn.Embedding(4, 3, sparse=True)
    assigned.weight = nn.Parameter(w)
    for layer in (by_weight, assigned):
        assert mapped.mapped_file(layer.weight._data) == (str(path), "r+")
        fl.optim.SGD(layer.parameters(), lr=1.0).zero_grad()
        layer(fl.tensor([[1]])).sum().backward()
        fl.optim.SGD(layer.parameters(), lr=1.0).step()
    assert np.fromfile(path, np.float32).reshape(4, 3)[1].tolist() == [-2.0, -2.0, -2.0]


# --- bad input ------------------------------------------------------------------------------


def test_from_file_size_larger_than_file_names_both(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    np.arange(10, dtype=np.float32).tofile(path)
    with pytest.raises(RuntimeError, match="smaller than the required mapping size"):
        torch.from_file(str(path), False, 12)
    with pytest.raises(RuntimeError) as exc:
        fl.from_file(path, False, 12)
    msg = str(exc.value)
    assert "40 bytes" in msg and "48 bytes" in msg and "size=12" in msg and "size=10" in msg
    assert str(path) in msg
    with pytest.raises(ValueError, match="holds 5 element"):  # the dtype it was written with?
        fl.from_file(path, False, 6, dtype=fl.float64)


def test_from_file_missing_file_and_bad_arguments(tmp_path: Path) -> None:
    missing = tmp_path / "nope.bin"
    with pytest.raises(RuntimeError):
        torch.from_file(str(missing), False, 4)
    with pytest.raises(FileNotFoundError, match="shared=True to create it") as exc:
        fl.from_file(missing, False, 4)
    assert isinstance(exc.value, RuntimeError)  # torch's type too
    with pytest.raises(TypeError, match="'shared'.*must be bool, not int"):
        fl.from_file(missing, 1, 3)
    with pytest.raises(TypeError, match="'shared'.*must be bool"):
        torch.from_file(str(missing), 1, 3)
    with pytest.raises(ValueError, match="size must be >= 0"):
        fl.from_file(missing, True, -1)
    assert not missing.exists()


def test_from_file_full_disk_is_a_clear_error_and_leaves_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.bin"
    np.arange(3, dtype=np.float32).tofile(path)
    before = path.read_bytes()
    real = os.posix_fallocate

    def full(fd: int, offset: int, length: int) -> None:
        os.ftruncate(fd, length // 2)  # a failed allocation that grew the file part-way
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(OSError, match="no room to map") as exc:
        fl.from_file(path, True, 1 << 20)
    assert exc.value.errno == errno.ENOSPC
    msg = str(exc.value)
    assert str(path) in msg and "4194304 bytes" in msg and "left as it was" in msg
    assert path.read_bytes() == before  # same size, same bytes
    with pytest.raises(OSError, match="no room to map"):
        fl.from_file(tmp_path / "new.bin", True, 1 << 20)
    assert not (tmp_path / "new.bin").exists()  # a file it created is removed
    monkeypatch.setattr(os, "posix_fallocate", real)
    assert fl.from_file(path, True, 3).tolist() == [0.0, 1.0, 2.0]


def test_from_file_shared_on_a_read_only_file_says_which_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.bin"
    np.zeros(3, np.float32).tofile(path)

    def denied(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # as a non-root user on a chmod 444 file
    with pytest.raises(PermissionError, match="shared=False"):
        fl.from_file(path, True, 3)


def test_training_a_read_only_mapping_says_which_mode_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.bin"
    np.ones((5, 2), np.float32).tofile(path)
    ro = np.memmap(path, np.float32, mode="r", shape=(5, 2))
    emb = nn.Embedding.from_pretrained(fl.from_numpy(ro), freeze=False, sparse=True)
    other = nn.Parameter(fl.ones(3))
    opt = fl.optim.SGD([other, emb.weight], lr=0.1)
    (emb(fl.tensor([1, 3])).sum() + other.sum()).backward()
    with pytest.raises(ValueError, match="shared=True.*shared=False") as exc:
        opt.step()
    assert isinstance(exc.value, RuntimeError) and str(path) in str(exc.value)
    assert other.tolist() == [1.0, 1.0, 1.0]  # checked before any update
    assert np.fromfile(path, np.float32).tolist() == [1.0] * 10


# --------------------------------------------------------------------------------------------
# Sparse training of a mapped table: the same numbers, in the file, without copying it
# --------------------------------------------------------------------------------------------

_OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("SparseAdam", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("RowWiseAdagrad", dict(lr=0.1, weight_decay=0.01)),
]


@pytest.mark.parametrize("name,kwargs", _OPTIMIZERS)
@pytest.mark.parametrize("layer", ["Embedding", "EmbeddingBag"])
def test_mapped_table_trains_like_an_in_memory_one(
    tmp_path: Path, name: str, kwargs: dict, layer: str
) -> None:
    V, D = 50, 4
    init = np.random.default_rng(0).normal(size=(V, D)).astype(np.float32)
    path = tmp_path / "t.bin"
    init.tofile(path)
    tables = [fl.from_file(path, shared=True, size=V * D).view(V, D), fl.tensor(init.copy())]
    results = []
    for w in tables:
        cls = getattr(nn, layer)
        model = cls.from_pretrained(w, freeze=False, sparse=True)
        opt = getattr(fl.optim, name)(model.parameters(), **kwargs)
        rng = np.random.default_rng(1)
        for _ in range(4):
            ids = fl.tensor(rng.integers(0, 10, size=(3, 5)))  # duplicates, rows 10+ untouched
            opt.zero_grad()
            model(ids).pow(2).sum().backward()
            opt.step()
        results.append(model.weight.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(np.fromfile(path, np.float32).reshape(V, D), results[1])
    np.testing.assert_array_equal(results[0][10:], init[10:])  # untouched rows: untouched


def _rss_anon() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
@pytest.mark.parametrize("shared", [True, False])
def test_mapped_table_trains_without_copying_it(tmp_path: Path, shared: bool) -> None:
    # a 256 MiB table, trained with sparse SGD then RowWiseAdagrad on Zipf ids: the process's
    # anonymous memory grows by far less than the table (a copy would be +256 MiB)
    V, D = 1 << 20, 64
    path = tmp_path / "big.bin"
    fl.from_file(path, True, V * D)  # creates the zero table
    w = fl.from_file(path, shared=shared, size=V * D).view(V, D)
    model = nn.EmbeddingBag.from_pretrained(w, freeze=False, sparse=True, mode="sum")
    rng = np.random.default_rng(0)
    batches = [fl.tensor((rng.zipf(1.2, size=(512, 8)) - 1) % V) for _ in range(12)]
    before = _rss_anon()
    for opt in (fl.optim.SGD(model.parameters(), lr=0.01),
                RowWiseAdagrad(model.parameters(), lr=0.01)):
        for ids in batches:
            opt.zero_grad()
            model(ids).sum().backward()
            opt.step()
    growth = _rss_anon() - before
    touched = len(np.unique(np.concatenate([b.numpy().ravel() for b in batches])))
    # shared: the table's pages are the file's, never anonymous; private: each touched row
    # copies its 4 KiB page (copy-on-write), no more
    limit = (24 << 20) + (0 if shared else touched * 4096)
    assert growth < limit, (growth, limit)
    assert model.weight[0, 0].item() != 0.0  # it did train


def test_dense_gradient_of_a_large_table_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapped, "DENSE_GRAD_WARN_BYTES", 1000)
    monkeypatch.setattr(mapped, "_warned_dense", False)
    emb = nn.Embedding(100, 4)  # 1600 bytes
    with pytest.warns(UserWarning, match=r"sparse=True.*shown once"):
        emb(fl.tensor([1, 2])).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emb(fl.tensor([1, 2])).sum().backward()  # once only
        nn.Embedding(100, 4, sparse=True)(fl.tensor([1])).sum().backward()
    monkeypatch.setattr(mapped, "_warned_dense", False)
    bag = nn.EmbeddingBag(100, 4, mode="max")
    with pytest.warns(UserWarning, match="EmbeddingBag"):
        bag(fl.tensor([[1, 2]])).sum().backward()


# --------------------------------------------------------------------------------------------
# Initialising a table larger than memory, in pieces
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn,args", [
    ("normal_", (0.5, 2.0)), ("uniform_", (-0.1, 0.3)), ("xavier_uniform_", ()),
    ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
])
def test_chunked_init_gives_the_in_memory_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fn: str, args: tuple
) -> None:
    V, D = 37, 5
    whole = fl.empty(V, D)
    getattr(nn.init, fn)(whole, *args, generator=fl.Generator().manual_seed(3))
    monkeypatch.setattr(init_mod, "_DRAW_CHUNK", 16)  # 12 pieces, the last one short
    w = fl.from_file(tmp_path / "t.bin", shared=True, size=V * D).view(V, D)
    assert getattr(nn.init, fn)(w, *args, generator=fl.Generator().manual_seed(3)) is w
    np.testing.assert_array_equal(w.numpy(), whole.numpy())
    on_disk = np.fromfile(tmp_path / "t.bin", np.float32)
    np.testing.assert_array_equal(on_disk, whole.numpy().ravel())


# --------------------------------------------------------------------------------------------
# load(mmap=True): copy-on-write unless asked to share
# --------------------------------------------------------------------------------------------


def test_load_mmap_is_copy_on_write_unless_shared(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    fl.save({"emb.weight": fl.zeros(6, 2), "b": fl.ones(3, dtype=fl.float64)}, path)
    sd = fl.load(path, mmap=True)
    sd["emb.weight"][1] = 5.0
    assert fl.load(path)["emb.weight"].sum().item() == 0.0
    with set_default_mmap_options(mmap.MAP_SHARED):
        sd = fl.load(path, mmap=True)
        emb = nn.Embedding.from_pretrained(sd["emb.weight"], freeze=False, sparse=True)
        opt = RowWiseAdagrad(emb.parameters(), lr=1.0)
        emb(fl.tensor([2])).sum().backward()
        opt.step()
        sd["b"][0] = 7.0
    del sd, emb, opt
    back = fl.load(path)
    assert back["emb.weight"][2].tolist() == [-1.0, -1.0] and back["b"].tolist() == [7, 1, 1]
    assert back["emb.weight"].abs().sum().item() == 2.0
    sd = fl.load(path, mmap=True)  # the context restored MAP_PRIVATE
    sd["b"][0] = 0.0
    assert fl.load(path)["b"][0].item() == 7.0


def test_set_default_mmap_options_checks_like_torch() -> None:
    with pytest.raises(ValueError, match="expected mmap.MAP_PRIVATE or mmap.MAP_SHARED"):
        set_default_mmap_options(12345)
    with pytest.raises(ValueError, match="expected mmap.MAP_PRIVATE or mmap.MAP_SHARED"):
        torch.serialization.set_default_mmap_options(12345)
    set_default_mmap_options(mmap.MAP_SHARED)  # as a function: stays set
    import firstlayer.serialization as ser

    assert ser._mmap_flags == mmap.MAP_SHARED
    set_default_mmap_options(mmap.MAP_PRIVATE)
    assert ser._mmap_flags == mmap.MAP_PRIVATE


# --------------------------------------------------------------------------------------------
# RowWiseAdagrad against a float64 NumPy reference and FBGEMM's formula
# --------------------------------------------------------------------------------------------


def _reference(p: np.ndarray, grads: list, lr: float, lr_decay: float, wd: float, acc0: float,
               eps: float, maximize: bool) -> tuple[np.ndarray, np.ndarray]:
    """The docstring's update in float64, with rows present = rows of non-None gradients."""
    p = p.astype(np.float64).copy()
    s = np.full((p.shape[0], 1), acc0, np.float64)
    for t, (rows, g) in enumerate(grads, start=1):
        g = g.astype(np.float64) * (-1 if maximize else 1)
        if wd:
            g = g + wd * p[rows]
        clr = lr / (1 + (t - 1) * lr_decay)
        s[rows] += (g * g).mean(axis=1, keepdims=True)
        p[rows] -= clr * g / (np.sqrt(s[rows]) + eps)
    return p, s


def _fbgemm(p: np.ndarray, grads: list, lr: float, wd: float, eps: float) -> np.ndarray:
    """FBGEMM's CPU rowwise_adagrad loop (weight_decay_mode=1, L2), transcribed per row."""
    p = p.astype(np.float64).copy()
    momentum1 = np.zeros(p.shape[0])
    for rows, g in grads:
        for r, grad in zip(rows, g.astype(np.float64)):
            D = p.shape[1]
            g_local_sum_square = sum((grad[d] + wd * p[r, d]) ** 2 for d in range(D))
            momentum1[r] += g_local_sum_square / D
            multiplier = lr / (np.sqrt(momentum1[r]) + eps)
            correction = 1.0 - multiplier * wd
            p[r] = correction * p[r] - grad * multiplier
    return p


@settings(max_examples=20, deadline=None)
@given(
    rows=st.integers(1, 6), dim=st.integers(1, 5), sparse=st.booleans(),
    lr=st.sampled_from([0.01, 0.5]), lr_decay=st.sampled_from([0.0, 0.1]),
    wd=st.sampled_from([0.0, 0.05]), acc0=st.sampled_from([0.0, 0.1]),
    maximize=st.booleans(), seed=st.integers(0, 1000),
)
def test_rowwise_adagrad_matches_a_float64_reference(
    rows: int, dim: int, sparse: bool, lr: float, lr_decay: float, wd: float, acc0: float,
    maximize: bool, seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=(rows, dim))
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        w = nn.Parameter(fl.tensor(p0.astype(dtype)))
        opt = RowWiseAdagrad([w], lr=lr, lr_decay=lr_decay, weight_decay=wd,
                             initial_accumulator_value=acc0, maximize=maximize)
        steps = []
        for _ in range(3):
            if sparse:  # ids with duplicates; the reference sees the coalesced rows
                ids = rng.integers(0, rows, size=4)
                vals = rng.normal(size=(4, dim)).astype(dtype)
                w.grad = fl.RowSparseTensor(ids, vals, (rows, dim))
                uniq = np.unique(ids)
                summed = np.stack([vals[ids == u].astype(np.float64).sum(0) for u in uniq])
                steps.append((uniq, summed))
            else:
                g = rng.normal(size=(rows, dim)).astype(dtype)
                w.grad = fl.tensor(g)
                steps.append((np.arange(rows), g))
            opt.step()
        ref_p, ref_s = _reference(p0, steps, lr, lr_decay, wd, acc0, 1e-10, maximize)
        np.testing.assert_allclose(w.detach().numpy(), ref_p, rtol=tol, atol=tol)
        np.testing.assert_allclose(opt.state[w]["sum"].numpy(), ref_s, rtol=tol, atol=tol)
        assert opt.state[w]["sum"].shape == (rows, 1) and opt.state[w]["step"].item() == 3


def test_rowwise_adagrad_matches_fbgemms_formula() -> None:
    rng = np.random.default_rng(4)
    p0 = rng.normal(size=(8, 6))
    w = nn.Parameter(fl.tensor(p0))
    opt = RowWiseAdagrad([w], lr=0.3, weight_decay=0.02, eps=1e-8)
    steps = []
    for _ in range(4):
        ids = rng.integers(0, 8, size=3)
        ids = np.unique(ids)
        vals = rng.normal(size=(ids.shape[0], 6))
        w.grad = fl.RowSparseTensor(ids, vals, (8, 6))
        steps.append((ids, vals))
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), _fbgemm(p0, steps, 0.3, 0.02, 1e-8),
                               rtol=1e-12, atol=1e-12)


def test_rowwise_adagrad_is_adagrad_for_one_column_and_dense_equals_sparse() -> None:
    # with D = 1 the row mean is the element itself: torch's Adagrad, step for step
    p0 = np.random.default_rng(0).normal(size=(5, 1)).astype(np.float32)
    ours = nn.Parameter(fl.tensor(p0))
    theirs = torch.nn.Parameter(torch.tensor(p0))
    o1 = RowWiseAdagrad([ours], lr=0.2, lr_decay=0.1, initial_accumulator_value=0.3)
    o2 = torch.optim.Adagrad([theirs], lr=0.2, lr_decay=0.1, initial_accumulator_value=0.3)
    for _ in range(3):
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        o1.step()
        o2.step()
        o1.zero_grad()
        o2.zero_grad()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    # a row-sparse gradient and its dense form move the table the same (no weight decay)
    dense, sparse = (nn.Parameter(fl.tensor(p0.repeat(3, 1))) for _ in range(2))
    g = fl.RowSparseTensor(np.array([1, 1, 4]), np.ones((3, 3), np.float32), (5, 3))
    for w, grad in ((dense, g.to_dense()), (sparse, g)):
        w.grad = grad
        RowWiseAdagrad([w]).step()
    np.testing.assert_array_equal(dense.detach().numpy(), sparse.detach().numpy())


def test_rowwise_adagrad_checks_like_torchrec_and_round_trips(tmp_path: Path) -> None:
    w = nn.Parameter(fl.ones(4, 3))
    for kw, what in (("lr", "learning rate"), ("lr_decay", "lr_decay value"),
                     ("weight_decay", "weight_decay value"),
                     ("initial_accumulator_value", "initial_accumulator_value value"),
                     ("eps", "epsilon value")):
        with pytest.raises(ValueError, match=f"Invalid {what}"):
            RowWiseAdagrad([w], **{kw: -1.0})
    opt = RowWiseAdagrad([w], lr=0.5)
    w.grad = fl.ones(4, 3)
    opt.step()
    saved = opt.state_dict()
    again = RowWiseAdagrad([nn.Parameter(fl.ones(4, 3))], lr=0.5)
    again.load_state_dict(saved)
    np.testing.assert_array_equal(again.state[again.param_groups[0]["params"][0]]["sum"].numpy(),
                                  np.ones((4, 1)))
    adagrad = fl.optim.Adagrad([w]).state_dict()
    with pytest.raises(ValueError, match="one accumulator per row"):
        again.load_state_dict(adagrad)


def test_rowwise_adagrad_state_in_mapped_files_resumes(tmp_path: Path) -> None:
    w = nn.Parameter(fl.zeros(6, 2))
    opt = RowWiseAdagrad([w], initial_accumulator_value=0.5, state_dir=tmp_path / "state")
    f = tmp_path / "state" / "rowwise_adagrad_sum_0.bin"
    assert np.fromfile(f, np.float32).tolist() == [0.5] * 6
    assert mapped.mapped_file(opt.state[w]["sum"]._data) == (str(f), "r+")
    w.grad = fl.RowSparseTensor(np.array([3]), np.full((1, 2), 2.0, np.float32), (6, 2))
    opt.step()
    assert np.fromfile(f, np.float32).tolist() == [0.5, 0.5, 0.5, 4.5, 0.5, 0.5]
    resumed = RowWiseAdagrad([nn.Parameter(fl.zeros(6, 2))], initial_accumulator_value=0.5,
                             state_dir=tmp_path / "state")
    assert resumed.state[resumed.param_groups[0]["params"][0]]["sum"][3, 0].item() == 4.5
    resumed.load_state_dict(opt.state_dict())  # loaded values go into the file
    assert mapped.mapped_file(resumed.state[resumed.param_groups[0]["params"][0]]["sum"]._data)
    with pytest.raises(ValueError, match="belongs to another model"):
        RowWiseAdagrad([nn.Parameter(fl.zeros(7, 2))], state_dir=tmp_path / "state")


# --------------------------------------------------------------------------------------------
# Speed of a mapped table: random-access advice, parallel reads of rows not in memory
# --------------------------------------------------------------------------------------------


def test_mappings_are_advised_random_access(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    w = fl.from_file(path, True, 64).view(16, 4)
    assert mapped._memmap_of(w._data)._firstlayer_advised  # from_file advises at once
    fl.save({"w": fl.ones(16, 4)}, tmp_path / "m.safetensors")
    loaded = fl.load(tmp_path / "m.safetensors", mmap=True)["w"]
    base = mapped._memmap_of(loaded._data)
    if base is not None:  # load(mmap=True) maps: the first lookup advises it
        nn.Embedding.from_pretrained(loaded, freeze=False, sparse=True)(fl.tensor([1]))
        assert base._firstlayer_advised
    assert not mapped.advise_random(np.ones(3))  # an in-memory array: nothing to advise


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="needs posix_fadvise")
def test_large_shared_mappings_drop_their_clean_cached_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (no large folios: a row written then dirties one page, not up to 2 MiB)
    monkeypatch.setattr(mapped, "SMALL_FOLIOS_BYTES", 4096)
    dropped: list[tuple[int, int]] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        if advice == os.POSIX_FADV_DONTNEED:
            dropped.append((offset, length))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    np.arange(4096, dtype=np.float32).tofile(tmp_path / "t.bin")
    w = fl.from_file(tmp_path / "t.bin", True, 4096)
    assert dropped == [(0, 16384)]
    assert w[4095].item() == 4095.0  # the values are the file's (clean pages only dropped)
    fl.from_file(tmp_path / "t.bin", False, 4096)  # copy-on-write: nothing dropped
    fl.from_file(tmp_path / "t.bin", True, 1000)  # shared, but under the threshold
    assert len(dropped) == 1


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="needs posix_fadvise")
@pytest.mark.parametrize("layer", ["Embedding", "EmbeddingBag"])
def test_prefetched_rows_train_to_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    # every lookup prefetches (the threshold at 0 reads); the rows asked for are exactly the
    # batch's pages, and training is unchanged: same numbers as an in-memory table
    V, D = 3000, 8
    init = np.random.default_rng(0).standard_normal((V, D)).astype(np.float32)
    path = tmp_path / "t.bin"
    init.tofile(path)
    monkeypatch.setattr(mapped, "PREFETCH_MIN_READS", 0)
    asked: list[int] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        asked.append((offset, length))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, V, size=(6, 4)) for _ in range(3)]
    results = []
    for w in (fl.from_file(path, True, V * D).view(V, D), fl.tensor(init.copy())):
        cls = getattr(nn, layer)
        model = cls.from_pretrained(w, freeze=False, sparse=True)
        opt = RowWiseAdagrad(model.parameters(), lr=0.1)
        for ids in batches:
            opt.zero_grad()
            model(fl.tensor(ids)).pow(2).sum().backward()
            opt.step()
        results.append(model.weight.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    page = mmap.PAGESIZE
    pages = sorted({int(r) * D * 4 // page for r in np.unique(batches[-1])})
    want: list[tuple[int, int]] = []  # one request per run of consecutive pages, in order
    for p in pages:
        if want and want[-1][0] + want[-1][1] == p * page:
            want[-1] = (want[-1][0], want[-1][1] + page)
        else:
            want.append((p * page, page))
    # then, at most, one request past the batch's last page (reading ahead of new rows)
    tail = asked[-len(want) - 1:]
    assert tail[-len(want):] == want or (tail[:-1] == want and tail[-1][0] > want[-1][0])
    np.testing.assert_array_equal(np.fromfile(path, np.float32).reshape(V, D), results[1])


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="needs posix_fadvise")
def test_prefetch_asks_for_the_file_offsets_of_a_view_at_an_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a table that starts inside the file (a header, as in safetensors) and is a slice of its
    # mapping (a memmap slice keeps its parent's offset): the pages asked for are the rows'
    V, D, skip = 2048, 16, 4096 + 64
    path = tmp_path / "t.bin"
    np.zeros(skip // 4 + (V + 3) * D, np.float32).tofile(path)
    m = np.memmap(path, np.float32, mode="r+", offset=skip, shape=(V + 3, D))
    table = m[3:]  # rows 3.. of the mapping
    monkeypatch.setattr(mapped, "PREFETCH_MIN_READS", 0)
    asked: list[int] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, off, n, adv: asked.append(off))
    ids = np.array([0, 1000, 2047, 1000])
    mapped.prefetch_rows(table, ids)
    page = mmap.PAGESIZE
    want = sorted({(skip + (3 + i) * D * 4) // page * page for i in (0, 1000, 2047)})
    # the batch's pages, then the pages just past its highest row (read ahead)
    assert asked == [*want, want[-1] + page]


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="needs posix_fadvise")
def test_prefetch_reads_ahead_of_rows_given_out_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # batches whose rows grow as an IdMap gives them out: the pages past each batch's highest
    # row are asked for before a batch reaches them, and those reads are not taken for misses
    V, D = 1 << 14, 16
    path = tmp_path / "t.bin"
    table = fl.from_file(path, True, V * D).view(V, D).numpy()
    asked: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, off, n, adv: asked.append((off, n)))
    monkeypatch.setattr(mapped, "_disk_reads", lambda: 0)
    mapped._fault_state.update(last=0, ahead=0)
    page = mmap.PAGESIZE
    rows_per_page = page // (D * 4)
    covered: set[int] = set()
    for k in range(1, 40):
        ids = np.concatenate([np.arange(8), np.arange(k * 256 - 64, k * 256)])  # hot + new
        end = (k * 256 - 1) // rows_per_page  # the batch's highest page
        if k > 2:  # from the third batch on, its new rows were asked for before
            assert set(range((k * 256 - 64) // rows_per_page, end + 1)) <= covered
        mapped.prefetch_rows(table, ids)
        for off, n in asked:
            covered |= set(range(off // page, (off + n) // page))
        asked.clear()
        assert max(covered) > end  # always ahead of the batch
    assert mapped._fault_state["ahead"] >= 0


# --------------------------------------------------------------------------------------------
# A full disk, for real: RLIMIT_FSIZE makes the kernel refuse to grow files past a size
# --------------------------------------------------------------------------------------------

_FULL_DISK = r"""
import errno, os, resource, signal, sys
import numpy as np
import firstlayer as fl
from firstlayer import nn
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
path, state = sys.argv[1], sys.argv[2]
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))  # files may not pass 64 KiB
before = open(path, "rb").read()
try:
    fl.from_file(path, True, 1 << 15)  # 128 KiB: more than the "disk" lets the file have
except OSError as exc:
    assert exc.errno == errno.EFBIG, exc
    assert "no room to map" in str(exc) and "left as it was" in str(exc), exc
    print("from_file:", exc)
else:
    raise AssertionError("no error")
assert open(path, "rb").read() == before
# the table fits (32 KiB); a RowWiseAdagrad whose state would not fit fails when it is made,
# before any step: the table is unchanged
w = fl.from_file(path, True, 8192).view(1024, 8)
table = w.numpy().copy()
big = nn.Parameter(fl.zeros(1 << 15, 1))
try:
    fl.optim.RowWiseAdagrad([w, big], lr=0.1, state_dir=state)
except OSError as exc:
    assert exc.errno == errno.EFBIG and "no room to map" in str(exc), exc
    print("state:", exc)
else:
    raise AssertionError("no error")
assert not os.path.exists(os.path.join(state, "rowwise_adagrad_sum_1.bin"))
np.testing.assert_array_equal(np.fromfile(path, np.float32).reshape(1024, 8), table)
print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="needs posix_fallocate")
def test_a_full_disk_is_a_clear_error_before_anything_is_written(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "t.bin"
    np.arange(8192, dtype=np.float32).tofile(path)  # 32 KiB
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(path), str(tmp_path / "state")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok"), proc.stdout
    assert "131072 bytes" in proc.stdout  # the size it needed, named
