"""``firstlayer.save``/``load``: exact round trips (every dtype, 0-d and empty tensors, metadata)
in safetensors and .npz, interop with the ``safetensors`` package both ways (numpy and torch),
truncated and corrupt files, atomic writes, no pickle, and model checkpoints (tied weights)."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy as st_numpy
import safetensors.torch as st_torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open

import firstlayer as fl
import firstlayer.nn as nn
from firstlayer import serialization
from firstlayer.serialization import CheckpointError, load_metadata

DTYPES = [np.bool_, np.int32, np.int64, np.float16, np.float32, np.float64]
SHAPES = [(), (0,), (3, 0), (5,), (2, 3), (2, 1, 3)]
FORMATS = [".safetensors", ".npz"]


def sample(dtype: Any, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)  # an array even for shape ()
    if np.dtype(dtype).kind == "i":
        info = np.iinfo(dtype)
        return np.asarray(rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True))
    out = np.asarray((rng.standard_normal(shape) * 100).astype(dtype))
    if out.size:  # the values a format must not lose
        out.reshape(-1)[0] = np.finfo(dtype).max
        out.reshape(-1)[-1] = -0.0
    return out


def assert_same(loaded: dict[str, fl.Tensor], arrays: dict[str, np.ndarray]) -> None:
    assert list(loaded) == list(arrays)  # the order they were saved in
    for k, a in arrays.items():
        got = loaded[k]
        assert isinstance(got, fl.Tensor) and not got.requires_grad
        assert got._data.dtype == a.dtype and got._data.shape == a.shape, k
        assert got._data.tobytes() == np.ascontiguousarray(a).tobytes(), k  # bit-exact


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype_and_shape(tmp_path: Path, ext: str, dtype: Any) -> None:
    rng = np.random.default_rng(0)
    arrays = {f"t{i}": sample(dtype, s, rng) for i, s in enumerate(SHAPES)}
    path = tmp_path / f"m{ext}"
    fl.save({k: fl.from_numpy(v) for k, v in arrays.items()}, path)
    assert_same(fl.load(path), arrays)


# any text but surrogates; NUL can't be in a zip member's name (tested apart)
names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1, max_size=12,
).filter(lambda s: s != "__metadata__")


@settings(max_examples=40, deadline=None)
@given(
    spec=st.dictionaries(
        names, st.tuples(st.sampled_from(DTYPES), st.sampled_from(SHAPES)), max_size=6
    ),
    metadata=st.none() | st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    ext=st.sampled_from(FORMATS),
    seed=st.integers(0, 2**16),
)
def test_round_trip_drawn_state_dicts(
    tmp_path_factory: pytest.TempPathFactory, spec: dict, metadata: dict | None, ext: str,
    seed: int,
) -> None:
    """Any names (unicode, dots, slashes), dtypes mixed in any order, metadata or none."""
    rng = np.random.default_rng(seed)
    arrays = {k: sample(d, s, rng) for k, (d, s) in spec.items()}
    path = tmp_path_factory.mktemp("rt") / f"m{ext}"
    fl.save(arrays, path, metadata=metadata)
    assert_same(fl.load(path), arrays)
    assert load_metadata(path) == (metadata or {})


@pytest.mark.parametrize("ext", FORMATS)
def test_layouts_numpy_cannot_view_directly(tmp_path: Path, ext: str) -> None:
    """Transposed, sliced, big-endian and 0-d arrays are written as their values."""
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    arrays = {
        "transposed": base.T, "strided": base[::2, ::-3], "big_endian": base.astype(">f4"),
        "scalar": np.array(7, np.int64),
    }
    fl.save(arrays, tmp_path / f"x{ext}")
    loaded = fl.load(tmp_path / f"x{ext}")
    for k, a in arrays.items():
        np.testing.assert_array_equal(loaded[k]._data, a)
        assert loaded[k]._data.dtype == a.dtype.newbyteorder("=")


def test_mmap_load_is_lazy_writable_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    arrays = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "e": np.zeros(0, np.int64)}
    fl.save(arrays, path)
    before = path.read_bytes()
    loaded = fl.load(path, mmap=True)
    assert_same(loaded, arrays)
    assert type(loaded["w"]._data) is np.ndarray  # not np.memmap: ops give plain arrays
    loaded["w"][0, 0] = 100.0  # copy-on-write
    assert path.read_bytes() == before


def test_load_accepts_torch_load_arguments(tmp_path: Path) -> None:
    fl.save({"a": fl.ones(1)}, tmp_path / "a.safetensors")
    assert fl.load(tmp_path / "a.safetensors", map_location="cpu", weights_only=True)["a"].item()
    with pytest.raises(ValueError, match="CPU only"):
        fl.load(tmp_path / "a.safetensors", map_location="cuda")


# --------------------------------------------------------------------------------------------
# The safetensors package, both ways
# --------------------------------------------------------------------------------------------


def test_file_is_byte_identical_to_the_safetensors_package(tmp_path: Path) -> None:
    # given in the package's layout order (its dtype order descending, then name), the bytes
    # agree: the same header text, padding and data
    arrays = {
        "d": np.ones((2, 2), np.int64), "a": np.arange(3.0), "c": np.zeros((2, 0), np.float32),
        "e": np.arange(3, dtype=np.int32), "h": np.ones(3, np.float16), "b": np.ones(3, bool),
    }
    st_numpy.save_file(arrays, tmp_path / "theirs.safetensors", metadata={"k": "v"})
    fl.save(arrays, tmp_path / "ours.safetensors", metadata={"k": "v"})
    assert (tmp_path / "ours.safetensors").read_bytes() == (
        tmp_path / "theirs.safetensors"
    ).read_bytes()


def test_header_layout_follows_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    fl.save({"b": np.ones(3, bool), "w": np.ones((2, 2), np.float64)}, path, metadata={"x": "1"})
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0 and raw[8:8 + n].rstrip(b" ").endswith(b"}")
    header = json.loads(raw[8:8 + n])
    assert header == {
        "__metadata__": {"x": "1"},
        "b": {"dtype": "BOOL", "shape": [3], "data_offsets": [32, 35]},
        "w": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 32]},  # aligned first
    }
    assert len(raw) == 8 + n + 35


@pytest.mark.parametrize("dtype", DTYPES)
def test_safetensors_package_reads_our_files(tmp_path: Path, dtype: Any) -> None:
    rng = np.random.default_rng(1)
    arrays = {f"t{i}": sample(dtype, s, rng) for i, s in enumerate(SHAPES)}
    path = tmp_path / "m.safetensors"
    fl.save(arrays, path, metadata={"framework": "firstlayer"})
    theirs = st_numpy.load_file(path)
    as_torch = st_torch.load_file(path)
    for k, a in arrays.items():
        np.testing.assert_array_equal(theirs[k], a)
        assert theirs[k].dtype == a.dtype
        np.testing.assert_array_equal(as_torch[k].numpy(), a)
    with safe_open(path, "np") as f:
        assert f.metadata() == {"framework": "firstlayer"}


def test_we_read_the_safetensors_packages_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    arrays = {f"{np.dtype(d).name}{s}": sample(d, s, rng) for d in DTYPES for s in SHAPES}
    st_numpy.save_file(arrays, tmp_path / "np.safetensors", metadata={"a": "b"})
    loaded = fl.load(tmp_path / "np.safetensors")
    assert sorted(loaded) == sorted(arrays)
    for k, a in arrays.items():
        assert loaded[k]._data.dtype == a.dtype
        np.testing.assert_array_equal(loaded[k]._data, a)
    assert load_metadata(tmp_path / "np.safetensors") == {"a": "b"}


def test_torch_written_files_with_dtypes_firstlayer_widens(tmp_path: Path) -> None:
    """bfloat16 -> float32 exactly; 8/16-bit integers -> int32; as firstlayer's from_numpy."""
    tensors = {
        "bf16": torch.tensor([1.5, -2.25, 3e38, 0.0], dtype=torch.bfloat16),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
        "f32": torch.randn(3, 2),
    }
    st_torch.save_file(tensors, tmp_path / "t.safetensors")
    loaded = fl.load(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(loaded["bf16"]._data, tensors["bf16"].float().numpy())
    assert loaded["bf16"].dtype == fl.float32
    for k in ("u8", "i8", "i16"):
        assert loaded[k].dtype == fl.int32
        assert loaded[k].tolist() == tensors[k].tolist()
    np.testing.assert_array_equal(loaded["f32"]._data, tensors["f32"].numpy())


def test_unaligned_data_from_another_writer_is_copied_into_place(tmp_path: Path) -> None:
    # a 1-byte tensor first puts the float32 at offset 1, and the header is not padded
    header = {"b": {"dtype": "BOOL", "shape": [1], "data_offsets": [0, 1]},
              "f": {"dtype": "F32", "shape": [2], "data_offsets": [1, 9]}}
    data = b"\x01" + np.array([1.5, -2.0], "<f4").tobytes()
    path = write_raw(tmp_path / "u.safetensors", json.dumps(header).encode(), data)
    loaded = fl.load(path)
    assert loaded["f"].tolist() == [1.5, -2.0] and loaded["b"].tolist() == [True]


# --------------------------------------------------------------------------------------------
# Truncated and corrupt files
# --------------------------------------------------------------------------------------------


def write_raw(path: Path, header: bytes, data: bytes = b"", n: int | None = None) -> Path:
    path.write_bytes(struct.pack("<Q", len(header) if n is None else n) + header + data)
    return path


def test_truncated_file_is_detected_wherever_it_was_cut(tmp_path: Path) -> None:
    full = tmp_path / "full.safetensors"
    fl.save({"w": np.arange(40, dtype=np.float32).reshape(8, 5), "b": np.ones(3, bool)}, full)
    raw = full.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    # in the length prefix, in the header, at the header's end, in the data, one byte short
    for cut in [0, 3, 8, 9, 8 + n // 2, 8 + n, 8 + n + 1, 8 + n + 80, len(raw) - 1]:
        path = tmp_path / f"cut{cut}.safetensors"
        path.write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match="truncated") as info:
            fl.load(path)
        msg = str(info.value)
        assert str(path) in msg and f"but it is {cut} bytes" in msg, msg
        if cut >= 8 + n:  # the header was read: the exact size is known
            assert f"it is {len(raw)} bytes long" in msg, msg


def test_truncated_npz_is_detected(tmp_path: Path) -> None:
    full = tmp_path / "full.npz"
    fl.save({"w": np.arange(400, dtype=np.float32), "b": np.ones(3, bool)}, full)
    raw = full.read_bytes()
    for cut in [0, 10, len(raw) // 2, len(raw) - 30, len(raw) - 1]:
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
            fl.load(path)
        assert str(path) in str(info.value) and f"{cut} bytes" in str(info.value)


def entry(dtype: str = "F32", shape: list | None = None, offsets: list | None = None) -> dict:
    shape = [2] if shape is None else shape
    return {"dtype": dtype, "shape": shape, "data_offsets": [0, 8] if offsets is None else offsets}


CORRUPT = {
    "bad JSON": (b'{"w": {"dtype": "F32",', b"", "does not parse"),
    "not UTF-8": (b"{\xff\xfe}", b"", "does not parse"),
    "not an object": (b"[1, 2]", b"", "does not start with '{'"),
    "duplicate key": (b'{"a": {}, "a": {}}', b"", "duplicate key"),
    "unknown dtype": (json.dumps({"w": entry("F128")}).encode(), b"\0" * 8,
                      "unknown dtype 'F128'"),
    "missing field": (json.dumps({"w": {"dtype": "F32", "shape": [2]}}).encode(), b"\0" * 8,
                      "expected the fields dtype, shape, data_offsets"),
    "negative size": (json.dumps({"w": entry(shape=[-2])}).encode(), b"\0" * 8,
                      "shape must be a list of sizes >= 0"),
    "reversed offsets": (json.dumps({"w": entry(offsets=[8, 0])}).encode(), b"\0" * 8,
                         "data_offsets must be"),
    "shape vs bytes": (json.dumps({"w": entry(shape=[3])}).encode(), b"\0" * 8,
                       r"needs 12 bytes, but its data_offsets \[0, 8\] span 8"),
    "overlap": (json.dumps({"a": entry(), "b": entry(offsets=[4, 12])}).encode(), b"\0" * 12,
                "overlaps"),
    "same bytes twice": (json.dumps({"a": entry(), "b": entry()}).encode(), b"\0" * 8,
                         "overlaps"),
    "gap": (json.dumps({"a": entry(offsets=[4, 12])}).encode(), b"\0" * 12, "a gap of 4 bytes"),
    "out of bounds": (json.dumps({"a": entry(offsets=[0, 8]), "b": entry(offsets=[8, 16])})
                      .encode(), b"\0" * 8, "truncated"),
    "trailing bytes": (json.dumps({"a": entry()}).encode(), b"\0" * 12, "4 unexpected bytes"),
    "bad metadata": (json.dumps({"__metadata__": {"a": 1}}).encode(), b"",
                     "__metadata__ must map str to str"),
}


@pytest.mark.parametrize("case", list(CORRUPT), ids=list(CORRUPT))
def test_corrupt_header_gives_a_clear_error(tmp_path: Path, case: str) -> None:
    header, data, message = CORRUPT[case]
    path = write_raw(tmp_path / "bad.safetensors", header, data)
    with pytest.raises(CheckpointError, match=message) as info:
        fl.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_implausible_header_length_and_a_zip_file(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "huge.safetensors", b"{}", n=2**40)
    with pytest.raises(CheckpointError, match="header length 1099511627776 is implausible"):
        fl.load(path)
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")  # a zip holding a pickle
    with pytest.raises(CheckpointError, match="zip archive.*never unpickles"):
        fl.load(tmp_path / "model.pt")


# --------------------------------------------------------------------------------------------
# No pickle
# --------------------------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates a folder: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.makedirs, (str(self.marker),))


def test_pickled_object_in_npz_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    obj = np.empty(1, dtype=object)
    obj[0] = _Payload(marker)
    np.savez(tmp_path / "evil.npz", w=np.ones(2), evil=obj)  # numpy pickles object arrays
    with pytest.raises(CheckpointError, match="'evil' holds pickled Python objects"):
        fl.load(tmp_path / "evil.npz")
    assert not marker.exists()
    pickle.loads(pickle.dumps(_Payload(marker)))  # the payload does work when unpickled
    assert marker.exists()


@pytest.mark.parametrize("writer", [np.savez, np.savez_compressed])
def test_npz_from_np_savez_loads(tmp_path: Path, writer: Any) -> None:
    writer(tmp_path / "a.npz", w=np.arange(6.0).reshape(2, 3), ids=np.arange(3))
    loaded = fl.load(tmp_path / "a.npz")
    assert loaded["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and loaded["ids"].dtype == fl.int64


def test_npz_names_np_savez_cannot_take(tmp_path: Path) -> None:
    # "file" is np.savez's own first argument; we write the archive ourselves
    fl.save({"file": fl.ones(1), "allow_pickle": fl.zeros(1)}, tmp_path / "k.npz")
    assert sorted(np.load(tmp_path / "k.npz").files) == ["allow_pickle", "file"]


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
def test_failure_mid_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ext: str
) -> None:
    path = tmp_path / f"m{ext}"
    fl.save({"w": fl.ones(100), "v": fl.zeros(100)}, path)
    before = path.read_bytes()
    calls = []

    def fail_on_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the first tensor's bytes are already written
            raise OSError("disk full (simulated)")
        return real(*args, **kwargs)

    if ext == ".npz":
        real = np.lib.format.write_array
        monkeypatch.setattr(np.lib.format, "write_array", fail_on_second)
    else:
        real = serialization._le_bytes
        monkeypatch.setattr(serialization, "_le_bytes", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        fl.save({"w": fl.full((100,), 5.0), "v": fl.full((100,), 6.0)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left
    with pytest.raises(OSError, match="disk full"):
        calls.clear()
        fl.save({"w": fl.ones(3), "v": fl.ones(3)}, tmp_path / f"new{ext}")
    assert not (tmp_path / f"new{ext}").exists()


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def make_model(seed: int) -> nn.Module:
    fl.manual_seed(seed)
    return nn.Sequential(
        nn.Embedding(20, 6, padding_idx=0), nn.Linear(6, 4), nn.ReLU(),
        nn.Linear(4, 3, bias=False),
    )


@pytest.mark.parametrize("ext", FORMATS)
def test_module_checkpoint_round_trip_is_exact(tmp_path: Path, ext: str) -> None:
    model, other = make_model(0), make_model(1)
    fl.save(model, tmp_path / f"m{ext}")  # a Module: its state_dict is saved
    other.load_state_dict(fl.load(tmp_path / f"m{ext}"))
    for (k, a), (k2, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert k == k2 and a._data.tobytes() == b._data.tobytes()
    ids = fl.tensor([[1, 5, 0], [19, 2, 2]])
    assert model(ids).equal(other(ids))


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.out = nn.Linear(4, 10, bias=False)
        self.out.weight = self.emb.weight  # weight tying: one Parameter, two names

    def forward(self, ids: fl.Tensor) -> fl.Tensor:
        return self.out(self.emb(ids))


@pytest.mark.parametrize("ext", FORMATS)
def test_tied_weights_load_back_tied(tmp_path: Path, ext: str) -> None:
    model = Tied()
    assert list(model.state_dict()) == ["emb.weight", "out.weight"]
    fl.save(model.state_dict(), tmp_path / f"t{ext}")
    fresh = Tied()
    fresh.load_state_dict(fl.load(tmp_path / f"t{ext}"))
    assert fresh.out.weight is fresh.emb.weight
    assert fresh.emb.weight.equal(model.emb.weight)
    # the torch stack reads it as well (both names present, the same values)
    if ext == ".safetensors":
        theirs = st_torch.load_file(tmp_path / f"t{ext}")
        assert torch.equal(theirs["emb.weight"], theirs["out.weight"])


def test_mismatched_checkpoint_loads_nothing(tmp_path: Path) -> None:
    fl.save({"emb.weight": fl.zeros(10, 5), "out.weight": fl.zeros(10, 5)},
            tmp_path / "wrong.safetensors")
    model = Tied()
    before = model.emb.weight._data.copy()
    with pytest.raises(RuntimeError, match="size mismatch for emb.weight"):
        model.load_state_dict(fl.load(tmp_path / "wrong.safetensors"))
    np.testing.assert_array_equal(model.emb.weight._data, before)


def test_save_rejects_what_it_cannot_store(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="state_dict .* or a Module, got list"):
        fl.save([fl.ones(1)], path)
    with pytest.raises(TypeError, match="keys must be str"):
        fl.save({1: fl.ones(1)}, path)
    with pytest.raises(TypeError, match=r"state_dict\['w'\] is a list"):
        fl.save({"w": [1.0]}, path)
    with pytest.raises(TypeError, match=r"state_dict\['w'\] has dtype object"):
        fl.save({"w": np.array([None])}, path)
    with pytest.raises(ValueError, match="reserved"):
        fl.save({"__metadata__": fl.ones(1)}, path)
    with pytest.raises(TypeError, match="metadata must be a dict of str -> str"):
        fl.save({"w": fl.ones(1)}, path, metadata={"epoch": 3})
    emb = nn.Embedding(5, 2, sparse=True)
    emb(fl.tensor([1])).sum().backward()
    with pytest.raises(TypeError, match=r"to_dense\(\)"):
        fl.save({"g": emb.weight.grad}, path)
    assert not path.exists()
    with pytest.raises(FileNotFoundError):
        fl.load(tmp_path / "missing.safetensors")


def test_nul_in_a_name_works_in_safetensors_not_npz(tmp_path: Path) -> None:
    fl.save({"a\x00b": fl.ones(1)}, tmp_path / "n.safetensors")
    assert list(fl.load(tmp_path / "n.safetensors")) == ["a\x00b"]
    with pytest.raises(ValueError, match="can't be stored in a .npz"):
        fl.save({"a\x00b": fl.ones(1)}, tmp_path / "n.npz")
    assert not (tmp_path / "n.npz").exists()


def test_zip_members_that_are_not_arrays_are_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "odd.npz", "w") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(CheckpointError, match="unexpected member 'notes.txt'"):
        fl.load(tmp_path / "odd.npz")
