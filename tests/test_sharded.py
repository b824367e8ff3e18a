"""Row-wise sharding (firstlayer.distributed, examples/sharded_classifier.py).

- The example launched as users launch it (``--world-size 2``: gloo, 127.0.0.1 only), its
  table's rows split over the 2 processes (memory-mapped) and its Linear under DDP, against the
  same example run in this process on one process with an ordinary ``EmbeddingBag``, over the
  same global batches: the reassembled table and the Linear equal up to float32 rounding.
- ``RowWiseShardedEmbeddingBag`` on 2 processes with ragged bags (empty ones, unequal batches,
  2-D input, sum and mean, float64) against ``torch.nn.functional.embedding_bag`` on the whole
  table: outputs, and each rank's sparse gradient equal to its rows of the full gradient.
- A shard's init equals its rows of a full init; the checkpoint's round trip; bad input.

The three launches start together (importing torch and forming the groups dominate).
"""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import firstlayer as fl
import firstlayer.nn as fnn
from _launch import EXAMPLES, ROOT, example, finish, start
from firstlayer.distributed import (
    empty_shard,
    load_shard,
    load_sharded,
    normal_rows_,
    row_ranges,
    save_sharded,
    uniform_rows_,
)
from firstlayer.serialization import CheckpointError

EXAMPLE_ARGS = ["--docs", "256", "--vocab", "301", "--dim", "8", "--batch-size", "32",
                "--steps", "6", "--seed", "3", "--quiet"]
RTOL, ATOL = 1e-5, 1e-6  # float32 rounding: pooled sums added in another order

# Run by `python -c CODE PORT RANK` in 2 processes: each rank checks the sharded bag against
# the whole table, for every rank's batch (each rank can rebuild them all: seeded by rank).
ROUTING_CHECK = r"""
import os, sys, numpy as np, torch, torch.distributed as dist
import firstlayer as fl
from firstlayer.distributed import RowWiseShardedEmbeddingBag, row_ranges

D, W = 5, 2

def batch(v, rank, two_d):
    rng = np.random.default_rng(rank)
    if two_d:
        return torch.from_numpy(rng.integers(v, size=(2 + rank, 3))), None
    lengths = rng.integers(0, 5, size=3 + 2 * rank)
    lengths[1] = 0  # an empty bag
    ids = torch.from_numpy(rng.integers(v, size=int(lengths.sum())))
    return ids, torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]]))

def weights(out, rank):  # a loss that weighs each output differently
    return (out * (rank + 1 + torch.arange(out.numel())).view(out.shape)).sum()

def check(v, mode, two_d, rank):
    full = np.random.default_rng(9).normal(size=(v, D))
    start, stop = row_ranges(v, W)[rank]
    bag = RowWiseShardedEmbeddingBag(v, D, mode, shard=fl.tensor(full[start:stop]))
    ref = torch.nn.Parameter(torch.from_numpy(full.copy()))
    for r in range(W):  # the gradient of the sum of every rank's loss
        ids, offsets = batch(v, r, two_d)
        weights(torch.nn.functional.embedding_bag(ids, ref, offsets, mode=mode), r).backward()
    ids, offsets = batch(v, rank, two_d)
    out = bag(ids, offsets)
    expect = torch.nn.functional.embedding_bag(ids, ref.detach(), offsets, mode=mode)
    torch.testing.assert_close(out, expect, rtol=1e-12, atol=1e-12)
    weights(out, rank).backward()
    grad = bag.weight.grad
    assert grad.is_sparse and grad.shape == (stop - start, D), grad.shape
    torch.testing.assert_close(grad.to_dense(), ref.grad[start:stop], rtol=1e-12, atol=1e-12)
    assert bag.bytes_sent > 0

def run(rank, port):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=port, RANK=str(rank),
                      WORLD_SIZE=str(W))
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    for mode in ("sum", "mean"):
        for two_d in (False, True):
            check(23, mode, two_d, rank)
    check(1, "mean", False, rank)  # fewer rows than ranks: rank 0 owns none
    dist.barrier()  # as examples/ddp_launch.finish: no process leaves while a peer still sends
    dist.destroy_process_group()
    if rank == 0:
        print("routing checked")

run(int(sys.argv[2]), sys.argv[1])
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Start the three launches at once; each test waits for its own."""
    pytest.importorskip("torch")
    dist = pytest.importorskip("torch.distributed")
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    port = str(example("ddp_launch").free_port())
    tmp = tmp_path_factory.mktemp("sharded")
    procs = {
        "example": start([str(EXAMPLES / "sharded_classifier.py"), *EXAMPLE_ARGS,
                           "--world-size", "2", "--out", str(tmp / "ckpt"),
                           "--mmap-dir", str(tmp / "mapped")]),
        **{f"routing {rank}": start(["-c", ROUTING_CHECK, port, str(rank)]) for rank in (0, 1)},
        "bad world size": start([str(EXAMPLES / "sharded_classifier.py"), *EXAMPLE_ARGS,
                                  "--world-size", "3"]),
    }
    yield {"procs": procs, "tmp": tmp}
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


# ---- 2 processes -----------------------------------------------------------------------------
def test_sharded_example_on_two_processes_matches_one(runs: dict, one_thread: None) -> None:
    out, _ = finish(runs["procs"]["example"])
    assert "world 2 (gloo, row-wise sharded): 6 steps" in out
    assert "kB sent a step" in out and "for DDP's dense all-reduce of the table" in out

    ex = example("sharded_classifier")
    args = ex.parse_args(EXAMPLE_ARGS)
    bag, fc, stats = ex.train(args, 0, 1)  # one process: an ordinary torch EmbeddingBag
    assert stats["steps"] == 6 and type(bag).__name__ == "EmbeddingBag"
    reference = bag.weight.detach().numpy()
    ckpt = runs["tmp"] / "ckpt"
    table = load_sharded(ckpt).numpy()
    np.testing.assert_allclose(table, reference, rtol=RTOL, atol=ATOL)
    linear = fl.load(ckpt / "fc.safetensors")
    for name, value in fc.state_dict().items():
        np.testing.assert_allclose(linear[name].numpy(), value.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)

    # both started from the same table, and only the batches' rows moved (sparse gradients)
    start = fnn.init.uniform_(fl.empty(301, 8), -1 / 8, 1 / 8,
                              generator=fl.Generator().manual_seed(3)).numpy()
    assert np.abs(reference - start).max() > 1e3 * ATOL, "the table barely trained"
    untouched = np.all(reference == start, axis=1)
    assert untouched.any() and not untouched.all()
    np.testing.assert_array_equal(untouched, np.all(table == start, axis=1))

    # the checkpoint: two shards with the ranges row_ranges gives; each rank's mapped file
    # was trained in place and holds what it saved
    index = json.loads((ckpt / "index.json").read_text())
    assert [s["rows"] for s in index["shards"]] == [[0, 150], [150, 301]]
    for rank in range(2):
        a, b = row_ranges(301, 2)[rank]
        mapped = np.fromfile(runs["tmp"] / "mapped" / f"table-{rank}-of-2.bin", np.float32)
        np.testing.assert_array_equal(mapped.reshape(-1, 8), table[a:b])
        np.testing.assert_array_equal(load_shard(ckpt, rank, 2, mmap=True).numpy(), table[a:b])


def test_sharded_bag_routes_like_one_embedding_bag_on_two_processes(runs: dict) -> None:
    outs = [finish(runs["procs"][f"routing {rank}"])[0] for rank in (0, 1)]
    assert "routing checked" in outs[0]


def test_world_size_the_data_cannot_be_split_by_fails_before_training(runs: dict) -> None:
    out, err = finish(runs["procs"]["bad world size"], code=2)
    assert "global batch of 32 can't be split over 3 processes" in err
    assert "multiple of 3 (e.g. 30 or 33)" in err
    assert out == ""


# ---- one process ------------------------------------------------------------------------------
def test_row_ranges_cover_the_table_evenly() -> None:
    assert row_ranges(10, 4) == [(0, 2), (2, 5), (5, 7), (7, 10)]
    assert row_ranges(2, 3) == [(0, 0), (0, 1), (1, 2)]  # fewer rows than ranks
    assert row_ranges(0, 2) == [(0, 0), (0, 0)]
    for v in (1, 7, 100, 1001):
        for w in (1, 2, 3, 8):
            ranges = row_ranges(v, w)
            assert ranges[0][0] == 0 and ranges[-1][1] == v
            assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
            sizes = [b - a for a, b in ranges]
            assert max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match="world_size must be >= 1, got 0"):
        row_ranges(10, 0)
    with pytest.raises(TypeError, match="num_embeddings must be an int"):
        row_ranges(10.0, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\)"):
        empty_shard(10, 3, rank=2, world_size=2)


@pytest.mark.parametrize("world", [1, 3, 30])
@pytest.mark.parametrize("dtype", [fl.float32, fl.float64])
def test_shard_init_equals_the_rows_of_a_full_init(world: int, dtype: fl.dtype) -> None:
    v, d = 23, 5
    for fill, full_fill, kw in (
        (uniform_rows_, fnn.init.uniform_, {"a": -0.5, "b": 0.25}),
        (normal_rows_, fnn.init.normal_, {"mean": 1.0, "std": 0.1}),
    ):
        g = fl.Generator().manual_seed(11)
        full = full_fill(fl.empty(v, d, dtype=dtype), **kw, generator=g).numpy()
        after = g.np.random(3)  # what is drawn next
        for rank, (a, b) in enumerate(row_ranges(v, world)):
            g = fl.Generator().manual_seed(11)
            shard = fill(empty_shard(v, d, rank, world, dtype=dtype), a, v, **kw, generator=g)
            assert shard.dtype == dtype and tuple(shard.shape) == (b - a, d)
            np.testing.assert_array_equal(shard.numpy(), full[a:b])
            np.testing.assert_array_equal(g.np.random(3), after)  # left where the full init is


def test_shard_init_in_pieces_and_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large shards are filled (and skipped) in pieces: small pieces here, same numbers."""
    import firstlayer.distributed.rows as rows_module
    import firstlayer.nn.init as init_module

    monkeypatch.setattr(init_module, "_DRAW_CHUNK", 7)
    monkeypatch.setattr(rows_module, "_SKIP_CHUNK", 5)
    v, d = 40, 3
    for fill, full_fill in ((uniform_rows_, fnn.init.uniform_), (normal_rows_, fnn.init.normal_)):
        full = full_fill(fl.empty(v, d), generator=fl.Generator().manual_seed(2)).numpy()
        shard = empty_shard(v, d, 1, 3, file=tmp_path / f"{fill.__name__}.bin")
        fill(shard, 13, v, generator=fl.Generator().manual_seed(2))
        np.testing.assert_array_equal(shard.numpy(), full[13:26])
        on_disk = np.fromfile(tmp_path / f"{fill.__name__}.bin", np.float32).reshape(-1, d)
        np.testing.assert_array_equal(on_disk, full[13:26])  # shared: the file has them


def test_shard_init_bad_input_changes_nothing() -> None:
    g = fl.Generator().manual_seed(0)
    state = g.get_state()
    with pytest.raises(ValueError, match="ends at row 12, past the table's 10 rows"):
        uniform_rows_(fl.empty(4, 2), 8, 10, generator=g)
    with pytest.raises(ValueError, match="from=1 > to=0"):
        uniform_rows_(fl.empty(4, 2), 0, 10, 1.0, 0.0, generator=g)
    with pytest.raises(ValueError, match="std >= 0.0"):
        normal_rows_(fl.empty(4, 2), 0, 10, std=-1.0, generator=g)
    with pytest.raises(TypeError, match="floating point"):
        normal_rows_(fl.zeros(4, 2, dtype=fl.int64), 0, 10, generator=g)
    with pytest.raises(ValueError, match="2-D shard"):
        normal_rows_(fl.empty(4), 0, 10, generator=g)
    assert g.get_state() == state


def test_one_process_bag_is_an_embedding_bag() -> None:
    torch = pytest.importorskip("torch")
    from firstlayer.distributed import RowWiseShardedEmbeddingBag

    fl.manual_seed(4)
    full = fnn.EmbeddingBag(30, 4).weight.detach().numpy().copy()
    fl.manual_seed(4)
    bag = RowWiseShardedEmbeddingBag(30, 4, mode="sum")  # default: EmbeddingBag's init
    np.testing.assert_array_equal(bag.weight.detach().numpy(), full)
    assert bag.shard is not None and np.shares_memory(bag.shard.numpy(),
                                                      bag.weight.detach().numpy())
    ref = torch.nn.Parameter(torch.from_numpy(full.copy()))
    ids, offsets = torch.tensor([3, 29, 0, 3, 7]), torch.tensor([0, 2, 2])
    for mode in ("sum", "mean"):
        bag.mode, bag.weight.grad, ref.grad = mode, None, None
        out = bag(ids, offsets)
        expect = torch.nn.functional.embedding_bag(ids, ref, offsets, mode=mode)
        torch.testing.assert_close(out, expect)
        weights = torch.arange(12.0).view(3, 4)
        (out * weights).sum().backward()
        (expect * weights).sum().backward()
        assert bag.weight.grad.is_sparse
        torch.testing.assert_close(bag.weight.grad.to_dense(), ref.grad)
        torch.testing.assert_close(bag(ids.view(1, 5)),
                                   torch.nn.functional.embedding_bag(ids.view(1, 5), ref,
                                                                     mode=mode))
    # an SGD step on the sparse gradient writes into the firstlayer shard (shared memory)
    before = bag.shard.numpy().copy()
    torch.optim.SGD(bag.parameters(), lr=1.0).step()
    assert not np.array_equal(bag.shard.numpy(), before)
    assert repr(bag) == "RowWiseShardedEmbeddingBag(30, 4, mode='mean', rows=[0, 30) of rank 0/1)"

    with pytest.raises(IndexError, match="index 30 out of range for a table of 30 rows"):
        bag(torch.tensor([1, 30]), torch.tensor([0]))
    with pytest.raises(ValueError, match="mode must be 'sum' or 'mean'"):
        RowWiseShardedEmbeddingBag(30, 4, mode="max")
    with pytest.raises(ValueError, match=r"shard must have shape \(30, 4\), got \(29, 4\)"):
        RowWiseShardedEmbeddingBag(30, 4, shard=fl.empty(29, 4))
    with pytest.raises(ValueError, match="offsets must start at 0"):
        bag(ids, torch.tensor([1, 3]))


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    v, d, world = 11, 3, 3
    table = np.random.default_rng(0).normal(size=(v, d)).astype(np.float32)
    accumulator = np.arange(v, dtype=np.float64)  # a row-wise optimizer's state: one a row
    for rank, (a, b) in enumerate(row_ranges(v, world)):
        save_sharded(tmp_path, fl.tensor(table[a:b]), num_embeddings=v, rank=rank,
                     world_size=world, state={"sum": accumulator[a:b]})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["index.json", "shard-00000-of-00003.safetensors",
                     "shard-00001-of-00003.safetensors", "shard-00002-of-00003.safetensors"]
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["num_embeddings"] == v and index["embedding_dim"] == d
    assert index["tensors"] == ["weight", "sum"]
    assert [s["rows"] for s in index["shards"]] == [[0, 3], [3, 7], [7, 11]]

    np.testing.assert_array_equal(load_sharded(tmp_path).numpy(), table)
    np.testing.assert_array_equal(load_sharded(tmp_path, "sum").numpy(), accumulator)
    # into a mapped table (a table larger than memory), the shards read through mappings
    out = fl.from_file(tmp_path / "whole.bin", shared=True, size=v * d).view(v, d)
    assert load_sharded(tmp_path, out=out) is out
    np.testing.assert_array_equal(np.fromfile(tmp_path / "whole.bin", np.float32),
                                  table.reshape(-1))
    # one shard, read or mapped; each file is an ordinary firstlayer.load file
    np.testing.assert_array_equal(load_shard(tmp_path, 1, 3).numpy(), table[3:7])
    mapped = load_shard(tmp_path, 2, 3, mmap=True)
    np.testing.assert_array_equal(mapped.numpy(), table[7:])
    assert fl.serialization.load_metadata(tmp_path / "shard-00001-of-00003.safetensors")[
        "rows"] == "3,7"


def test_checkpoint_bad_input(tmp_path: Path) -> None:
    v, world = 10, 2
    table = np.ones((v, 2), np.float32)
    with pytest.raises(ValueError, match=r"rank 1 of 2 owns rows \[5, 10\) of 10 \(5 rows\), "
                                         r"but the shard has shape \(4, 2\)"):
        save_sharded(tmp_path, table[:4], num_embeddings=v, rank=1, world_size=world)
    with pytest.raises(ValueError, match="state 'acc' must be a per-row tensor of 5 rows"):
        save_sharded(tmp_path, table[:5], num_embeddings=v, rank=0, world_size=world,
                     state={"acc": np.zeros(4)})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="no sharded checkpoint index"):
        load_sharded(tmp_path)
    for rank, (a, b) in enumerate(row_ranges(v, world)):
        save_sharded(tmp_path, table[a:b], num_embeddings=v, rank=rank, world_size=world)

    with pytest.raises(ValueError, match="saved by 2 ranks, but this run has world_size 3"):
        load_shard(tmp_path, 0, 3)

    index_path = tmp_path / "index.json"
    good = index_path.read_text()
    index = json.loads(good)
    index["shards"][1]["rows"] = [6, 10]  # a gap: row 5 is in no shard
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match=r"don't cover the table of 10 rows once each: "
                                              r"rows \[5, 6\) are in no shard"):
        load_sharded(tmp_path)
    index["shards"][1]["rows"] = [4, 10]  # an overlap
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match=r"rows \[4, 5\) are in two shards"):
        load_sharded(tmp_path)
    index["shards"][1]["rows"] = [5, 9]  # the end uncovered
    index_path.write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match=r"rows \[9, 10\) are in no shard"):
        load_sharded(tmp_path)
    index_path.write_text(good)

    (tmp_path / "shard-00001-of-00002.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"shard-00001-of-00002\.safetensors: shard file "
                                                r"missing \(rows \[5, 10\) of 10"):
        load_sharded(tmp_path)
    with pytest.raises(FileNotFoundError, match="shard-00001-of-00002"):
        load_shard(tmp_path, 1, 2)
    np.testing.assert_array_equal(load_shard(tmp_path, 0, 2).numpy(), table[:5])


# ---- the package ------------------------------------------------------------------------------
def test_importing_the_package_does_not_import_torch() -> None:
    code = ("import sys, firstlayer, firstlayer.distributed as d; d.row_ranges(4, 2); "
            "assert 'torch' not in sys.modules, 'torch imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_docstring_examples_run_and_every_name_has_a_reference_entry() -> None:
    pytest.importorskip("torch")
    import firstlayer.distributed as package
    import firstlayer.distributed.embedding_bag as bag_module
    import firstlayer.distributed.rows as rows_module

    for module in (rows_module, bag_module):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0 and result.attempted > 0, module.__name__
    page = (ROOT / "docs" / "reference" / "distributed.md").read_text(encoding="utf-8")
    for name in package.__all__:  # by its public path, or where it is defined
        defined = getattr(package, name).__module__
        assert f"::: firstlayer.distributed.{name}\n" in page or \
            f"::: {defined}.{name}\n" in page, name
    assert "reference/distributed.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
