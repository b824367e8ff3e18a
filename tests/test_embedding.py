"""``nn.Embedding`` and ``F.embedding`` against torch (values, gradients, in-place max_norm
renormalisation), by float64 finite differences, and the seed's identity: an Embedding is a
Linear applied to one-hot vectors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import firstlayer as fl
import firstlayer.nn as nn
import firstlayer.nn.functional as F
from firstlayer.sparse import RowSparseTensor
from gradcheck import gradcheck

NP_FLOATS = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
TOL = {  # (rtol, atol) per weight dtype
    np.float16: (1e-2, 1e-2),
    np.float32: (1e-5, 1e-6),
    np.float64: (1e-12, 1e-12),
}
FLAG_SETTINGS = settings(max_examples=250, deadline=None)
SMALL_SETTINGS = settings(max_examples=25, deadline=None)


def arr(t: Any) -> np.ndarray:
    """A NumPy copy of a firstlayer or torch tensor (sparse ones made dense)."""
    if isinstance(t, RowSparseTensor):
        t = t.to_dense()
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.to_dense() if t.is_sparse else t).numpy().copy()
    return np.array(t._data, copy=True)


def close(ours: Any, theirs: Any, dtype: Any = np.float32) -> None:
    rtol, atol = TOL[np.dtype(dtype).type]
    a, b = arr(ours), arr(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol)


def torch_twin(ours: nn.Embedding, sparse: bool | None = None) -> torch.nn.Embedding:
    """A torch Embedding with our flags and a copy of our weight."""
    return torch.nn.Embedding(
        ours.num_embeddings,
        ours.embedding_dim,
        padding_idx=ours.padding_idx,
        max_norm=ours.max_norm,
        norm_type=ours.norm_type,
        scale_grad_by_freq=ours.scale_grad_by_freq,
        sparse=ours.sparse if sparse is None else sparse,
        _weight=torch.from_numpy(arr(ours.weight)),
    )


# --------------------------------------------------------------------------------------------
# Every flag and combination, drawn by hypothesis
# --------------------------------------------------------------------------------------------

SHAPES = [(), (1,), (5,), (2, 3), (2, 2, 3), (0,), (2, 0)]


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    V = draw(st.integers(1, 7))
    D = draw(st.integers(1, 4))
    pad_choice = draw(st.sampled_from(["none", "zero", "minus_one", "last", "middle"]))
    padding_idx = {"none": None, "zero": 0, "minus_one": -1, "last": V - 1, "middle": V // 2}[
        pad_choice
    ]
    max_norm = draw(st.sampled_from([None, None, 0.7, 1.5]))
    norm_type = draw(st.sampled_from([1.0, 2.0, 3.0, math.inf]))
    shape = draw(st.sampled_from(SHAPES))
    n = int(np.prod(shape))
    ids = draw(st.lists(st.integers(0, V - 1), min_size=n, max_size=n))
    if padding_idx is not None and n > 0 and draw(st.booleans()):
        ids[0] = padding_idx % V  # make sure the padding row is hit
    return {
        "V": V,
        "D": D,
        "padding_idx": padding_idx,
        "max_norm": max_norm,
        "norm_type": norm_type,
        "scale_grad_by_freq": draw(st.booleans()),
        "sparse": draw(st.booleans()),
        "ids": np.array(ids, dtype=draw(st.sampled_from([np.int32, np.int64]))).reshape(shape),
        "wdtype": draw(st.sampled_from(list(NP_FLOATS.values()))),
        "train": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
    }


def torch_can_sparse(c: dict[str, Any]) -> bool:
    """Where torch 2.13 fails on a sparse gradient, compare ours with its dense one: it refuses
    scale_grad_by_freq ("not supported with sparse gradients") and its sparse backward of a
    0-d input with a padding_idx raises "too many indices for tensor of dimension 0"."""
    if c["scale_grad_by_freq"]:
        return False
    return not (c["ids"].ndim == 0 and c["padding_idx"] is not None)


def make_pair(c: dict[str, Any]) -> tuple[nn.Embedding, torch.nn.Embedding]:
    rng = np.random.default_rng(c["seed"])
    w = (rng.standard_normal((c["V"], c["D"])) * 1.5).astype(c["wdtype"])
    ours = nn.Embedding(
        c["V"], c["D"], padding_idx=c["padding_idx"], max_norm=c["max_norm"],
        norm_type=c["norm_type"], scale_grad_by_freq=c["scale_grad_by_freq"], sparse=c["sparse"],
        _weight=fl.from_numpy(w),
    )
    ours.train(c["train"])
    theirs = torch_twin(ours, sparse=torch_can_sparse(c))
    theirs.train(c["train"])
    return ours, theirs


@FLAG_SETTINGS
@given(configs())
def test_embedding_matches_torch(c: dict[str, Any]) -> None:
    ours, theirs = make_pair(c)
    ids = c["ids"]
    out = ours(fl.from_numpy(ids.copy()))
    ref = theirs(torch.from_numpy(ids.copy()))
    assert arr(out).dtype == c["wdtype"]
    assert tuple(out.shape) == tuple(ref.shape) == ids.shape + (c["D"],)
    close(out, ref, c["wdtype"])
    # max_norm renormalises the referenced rows of the weight in place (train and eval).
    close(ours.weight, theirs.weight, c["wdtype"])
    if c["max_norm"] is not None and ids.size:
        norms = np.linalg.norm(
            arr(ours.weight)[np.unique(ids)].astype(np.float64), ord=c["norm_type"], axis=1
        )
        assert (norms <= c["max_norm"] * (1 + TOL[c["wdtype"]][0])).all()

    g = np.random.default_rng(c["seed"] + 1).standard_normal(out.shape).astype(c["wdtype"])
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    grad = ours.weight.grad
    if c["sparse"]:
        assert isinstance(grad, RowSparseTensor) and grad.is_sparse
        assert tuple(grad.shape) == (c["V"], c["D"])
        coal = grad.coalesce()
        assert coal.is_coalesced()
        close(coal.to_dense(), theirs.weight.grad, c["wdtype"])
        ref_grad = theirs.weight.grad
        if ref_grad.is_sparse:
            ref_c = ref_grad.coalesce()
            np.testing.assert_array_equal(arr(coal.indices()), ref_c.indices().numpy())
            close(coal.values(), ref_c.values(), c["wdtype"])
        else:  # torch has only the dense gradient here; we hold exactly its rows
            touched = ids.reshape(-1).astype(np.int64)
            if c["padding_idx"] is not None:
                touched = touched[touched != c["padding_idx"] % c["V"]]
            np.testing.assert_array_equal(arr(coal.indices()), np.unique(touched)[None, :])
    else:
        assert isinstance(grad, fl.Tensor) and not grad.is_sparse
        close(grad, theirs.weight.grad, c["wdtype"])
    if c["padding_idx"] is not None:  # the padding row never gets a gradient
        assert not arr(grad)[c["padding_idx"] % c["V"]].any()


@SMALL_SETTINGS
@given(configs())
def test_functional_embedding_matches_torch(c: dict[str, Any]) -> None:
    """``F.embedding`` called directly, flags passed as arguments."""
    rng = np.random.default_rng(c["seed"])
    w = rng.standard_normal((c["V"], c["D"])).astype(np.float64)
    ours_w = fl.tensor(w, requires_grad=True)
    theirs_w = torch.tensor(w, requires_grad=True)
    kw = {"padding_idx": c["padding_idx"], "max_norm": c["max_norm"], "norm_type": c["norm_type"],
          "scale_grad_by_freq": c["scale_grad_by_freq"]}
    out = F.embedding(fl.from_numpy(c["ids"].copy()), ours_w, **kw)
    ref = torch.nn.functional.embedding(torch.from_numpy(c["ids"].copy()), theirs_w, **kw)
    close(out, ref, np.float64)
    close(ours_w, theirs_w, np.float64)  # the same in-place renorm
    assert (out.grad_fn.name() if out.grad_fn else None) == type(ref.grad_fn).__name__
    g = rng.standard_normal(out.shape)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(ours_w.grad, theirs_w.grad, np.float64)


# --------------------------------------------------------------------------------------------
# Hand-picked edge cases
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (4,), (2, 3), (2, 1, 3)])
def test_shapes_and_duplicates(shape: tuple[int, ...], sparse: bool) -> None:
    ours = nn.Embedding(4, 3, sparse=sparse)
    theirs = torch_twin(ours)
    n = int(np.prod(shape))
    ids = (np.arange(n) % 2).reshape(shape).astype(np.int64)  # ids 0 and 1 repeat
    out, ref = ours(fl.from_numpy(ids)), theirs(torch.from_numpy(ids))
    assert tuple(out.shape) == tuple(ref.shape)
    close(out, ref)
    g = np.arange(max(out.numel(), 1), dtype=np.float32)[: out.numel()].reshape(out.shape)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(ours.weight.grad, theirs.weight.grad)
    assert ours.weight.grad.is_sparse == theirs.weight.grad.is_sparse == sparse


def test_duplicate_ids_sum_their_gradients() -> None:
    w = fl.zeros(3, 2, requires_grad=True)
    F.embedding(fl.tensor([2, 2, 2, 0]), w).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]]


@pytest.mark.parametrize(
    "first,second", [(False, False), (True, True), (True, False), (False, True)]
)
def test_gradients_accumulate_across_backward_calls(first: bool, second: bool) -> None:
    """dense+dense, sparse+sparse (stays sparse, not coalesced), sparse then dense, dense then
    sparse: the accumulated gradient equals torch's."""
    ours = nn.Embedding(6, 3, padding_idx=2)
    theirs = torch_twin(ours)
    for sparse, ids in ((first, [0, 1, 2, 1]), (second, [[1, 5], [2, 1]])):
        ours.sparse, theirs.sparse = sparse, sparse
        out, ref = ours(fl.tensor(ids)), theirs(torch.tensor(ids))
        g = np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape)
        out.backward(fl.from_numpy(g.copy()))
        ref.backward(torch.from_numpy(g.copy()))
    assert ours.weight.grad.is_sparse == theirs.weight.grad.is_sparse == (first and second)
    close(ours.weight.grad, theirs.weight.grad)
    if first and second:
        # Ours concatenates (3 + 3 entries, duplicates kept, as documented); torch's sparse
        # add merges some entries (nnz 5 here), an implementation detail: compare coalesced.
        assert ours.weight.grad._nnz() == 6 and not ours.weight.grad.is_coalesced()
        close(ours.weight.grad.coalesce().values(), theirs.weight.grad.coalesce().values())


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_max_norm_renormalises_in_place(norm_type: float, train: bool) -> None:
    w = np.array([[3.0, 4.0], [0.1, 0.2], [-6.0, 8.0], [1.0, 1.0]], np.float32)
    ours = nn.Embedding(4, 2, max_norm=1.0, norm_type=norm_type, _weight=fl.from_numpy(w.copy()))
    theirs = torch_twin(ours)
    ours.train(train)
    theirs.train(train)
    ids = [0, 0, 1, 2]  # row 3 is not looked up: it must keep its value
    close(ours(fl.tensor(ids)), theirs(torch.tensor(ids)))
    close(ours.weight, theirs.weight)
    assert arr(ours.weight)[3].tolist() == [1.0, 1.0]
    assert not np.array_equal(arr(ours.weight)[0], w[0])  # renormalised in place


def test_padding_row_value_is_returned_but_not_trained() -> None:
    pretrained = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(pretrained, freeze=False, padding_idx=1)
    out = emb(fl.tensor([1, 0, 1]))
    assert out.tolist() == [[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]
    out.sum().backward()
    assert emb.weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0]]


# --------------------------------------------------------------------------------------------
# Construction: init, reset_parameters, from_pretrained, _weight, aliases, repr
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [None, 0, 7, -1])
def test_init_is_standard_normal_with_zero_padding_row(padding_idx: int | None) -> None:
    fl.manual_seed(0)
    emb = nn.Embedding(400, 50, padding_idx=padding_idx)
    w = arr(emb.weight)
    assert w.dtype == np.float32 and emb.weight.requires_grad
    rows = np.ones(400, bool)
    if padding_idx is not None:
        assert not w[padding_idx].any()
        rows[padding_idx] = False
    assert abs(w[rows].mean()) < 0.02
    assert abs(w[rows].std() - 1.0) < 0.02
    assert abs((np.abs(w[rows]) < 1).mean() - 0.6827) < 0.02  # the normal's 1-sigma mass


def test_reset_parameters_redraws_and_zeroes_padding() -> None:
    fl.manual_seed(1)
    emb = nn.Embedding(300, 40, padding_idx=3)
    with fl.no_grad():
        emb.weight.fill_(5.0)
    emb.reset_parameters()
    w = arr(emb.weight)
    assert not w[3].any()
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1.0) < 0.03


def test_init_follows_manual_seed_and_dtype() -> None:
    fl.manual_seed(123)
    a = arr(nn.Embedding(5, 3).weight)
    fl.manual_seed(123)
    b = arr(nn.Embedding(5, 3).weight)
    np.testing.assert_array_equal(a, b)
    assert nn.Embedding(5, 3, dtype=fl.float64).weight.dtype == fl.float64


def test_from_pretrained() -> None:
    a = fl.tensor([[1, 2], [2, 2]], dtype=fl.float32)
    emb = nn.Embedding.from_pretrained(a)
    ref = torch.nn.Embedding.from_pretrained(torch.tensor([[1, 2], [2, 2]], dtype=torch.float32))
    assert repr(emb.weight) == repr(ref.weight)
    assert emb.weight.requires_grad is False  # freeze=True by default, as torch
    assert (emb.num_embeddings, emb.embedding_dim) == (2, 2)
    assert nn.Embedding.from_pretrained(a, freeze=False).weight.requires_grad is True
    # padding_idx keeps its pretrained row (torch does not zero it either)
    padded = nn.Embedding.from_pretrained(a, padding_idx=0)
    assert arr(padded.weight)[0].tolist() == [1.0, 2.0]
    assert repr(padded) == repr(
        torch.nn.Embedding.from_pretrained(torch.ones(2, 2), padding_idx=0)
    )
    # a NumPy array works too, with its values
    np_w = np.array([[0.5, -1.0, 2.0]], np.float32)
    from_np = nn.Embedding.from_pretrained(np_w)
    np.testing.assert_array_equal(arr(from_np.weight), np_w)
    assert from_np(fl.tensor([0, 0])).tolist() == [[0.5, -1.0, 2.0]] * 2
    # flags pass through
    flagged = nn.Embedding.from_pretrained(a, max_norm=1.0, sparse=True, scale_grad_by_freq=True)
    assert (flagged.max_norm, flagged.sparse, flagged.scale_grad_by_freq) == (1.0, True, True)


@pytest.mark.parametrize("bad", [fl.tensor([1.0, 2.0]), np.ones(3), fl.ones(2, 2, 2)])
def test_from_pretrained_needs_2d(bad: Any) -> None:
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(bad)


def test_weight_argument_and_freeze() -> None:
    w = fl.randn(3, 2)
    emb = nn.Embedding(3, 2, _weight=w)
    np.testing.assert_array_equal(arr(emb.weight), arr(w))  # not re-initialised
    assert emb.weight.requires_grad
    frozen = nn.Embedding(3, 2, _weight=w, _freeze=True)
    assert frozen.weight.requires_grad is False
    ref = torch.nn.Embedding(3, 2, _weight=torch.zeros(3, 2), _freeze=True)
    assert ref.weight.requires_grad is False
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3, 2\)"):
        nn.Embedding(3, 2, _weight=fl.zeros(2, 2))


def test_seed_aliases() -> None:
    emb = nn.Embedding(vocab_size=2, emb_size=2)
    assert (emb.num_embeddings, emb.embedding_dim) == (2, 2)
    assert repr(emb) == repr(torch.nn.Embedding(2, 2)) == "Embedding(2, 2)"
    assert tuple(emb(fl.tensor([0, 1])).shape) == (2, 2)
    mixed = nn.Embedding(3, emb_size=4)
    assert (mixed.num_embeddings, mixed.embedding_dim) == (3, 4)
    with pytest.raises(TypeError, match="vocab_size"):
        nn.Embedding(2, 2, vocab_size=2)
    with pytest.raises(TypeError, match="emb_size"):
        nn.Embedding(num_embeddings=2, embedding_dim=2, emb_size=3)
    with pytest.raises(TypeError, match="num_embeddings"):
        nn.Embedding()
    with pytest.raises(TypeError, match="embedding_dim"):
        nn.Embedding(vocab_size=2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"padding_idx": 0},
        {"padding_idx": -1},
        {"max_norm": 1.0},
        {"max_norm": 2.5, "norm_type": 1.0},
        {"norm_type": math.inf},
        {"scale_grad_by_freq": True},
        {"sparse": True},
        {"padding_idx": 3, "max_norm": 1.0, "norm_type": 3.0, "scale_grad_by_freq": True,
         "sparse": True},
    ],
)
def test_repr_matches_torch(kwargs: dict[str, Any]) -> None:
    assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_as_linear_is_x_times_weight_transposed() -> None:
    emb = nn.Embedding(5, 3)
    ref_w = torch.from_numpy(arr(emb.weight)).requires_grad_()
    x_np = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    x, ref_x = fl.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, ref = emb.as_linear(x), ref_x @ ref_w.T
    assert tuple(out.shape) == (2, 4, 5)
    close(out, ref)
    g = np.random.default_rng(1).standard_normal((2, 4, 5)).astype(np.float32)
    out.backward(fl.from_numpy(g.copy()))
    ref.backward(torch.from_numpy(g.copy()))
    close(x.grad, ref_x.grad)
    close(emb.weight.grad, ref_w.grad)


# --------------------------------------------------------------------------------------------
# Errors: clear, and nothing changes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids,bad,where",
    [
        ([0, 1, 5], 5, "position 2"),
        ([[0, 1], [2, 9]], 9, r"position \(1, 1\)"),
        (7, 7, "position"),
        ([0, -1], -1, "position 1"),
        ([-3, 0], -3, "position 0"),
    ],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_out_of_range_ids_raise_and_change_nothing(
    ids: Any, bad: int, where: str, sparse: bool
) -> None:
    emb = nn.Embedding(5, 3, max_norm=0.1, sparse=sparse)  # max_norm: a renorm would show
    before = arr(emb.weight)
    with pytest.raises(IndexError, match=rf"id {bad} at {where}.*\[0, 5\)"):
        emb(fl.tensor(ids))
    np.testing.assert_array_equal(arr(emb.weight), before)
    assert emb.weight.grad is None
    with pytest.raises(IndexError):  # torch agrees it is an IndexError
        torch.nn.Embedding(5, 3)(torch.tensor(ids))


@pytest.mark.parametrize("dtype", [fl.float32, fl.float64, fl.bool])
def test_non_integer_ids_raise_type_error(dtype: Any) -> None:
    emb = nn.Embedding(5, 3, max_norm=0.1)
    before = arr(emb.weight)
    with pytest.raises(TypeError, match="integer") as info:
        emb(fl.tensor([0, 1]).to(dtype))
    assert isinstance(info.value, RuntimeError)  # where torch raises RuntimeError
    np.testing.assert_array_equal(arr(emb.weight), before)


@pytest.mark.parametrize("args", [(-1, 3), (3, -2)])
def test_negative_sizes_raise(args: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=r"must be >= 0, got -"):
        nn.Embedding(*args)
    with pytest.raises(RuntimeError):
        torch.nn.Embedding(*args)


@pytest.mark.parametrize("padding_idx", [5, 6, -6, 100])
def test_padding_idx_out_of_range_raises(padding_idx: int) -> None:
    with pytest.raises(ValueError, match=rf"padding_idx={padding_idx}.*-5 to 4"):
        nn.Embedding(5, 3, padding_idx=padding_idx)
    with pytest.raises(AssertionError):  # torch: "Padding_idx must be within num_embeddings"
        torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    with pytest.raises(ValueError, match=rf"padding_idx={padding_idx}"):
        F.embedding(fl.tensor([0]), fl.zeros(5, 3), padding_idx=padding_idx)


# --------------------------------------------------------------------------------------------
# Finite differences (float64)
# --------------------------------------------------------------------------------------------

GC_IDS = np.array([[0, 2, 2], [4, 1, 2]])  # id 2 three times, id 3 never
GC_COUNTS = np.bincount(GC_IDS.reshape(-1), minlength=5).astype(np.float64)


def _masked(padding_idx: int | None) -> np.ndarray:
    """1 where the id is not the padding row, 0 where it is, shaped to broadcast on ``(*, D)``.

    padding_idx and scale_grad_by_freq change the gradient on purpose, so it is no longer the
    derivative of the forward. Masking the padding positions out of the output makes it one
    again (their rows get no gradient either way); the frequency scaling is checked as "the
    finite-difference gradient divided by each id's count".
    """
    keep = np.ones(GC_IDS.shape) if padding_idx is None else (GC_IDS != padding_idx) * 1.0
    return keep[..., None]


@pytest.mark.parametrize("sparse", [False, True])  # gradcheck densifies a sparse gradient
@pytest.mark.parametrize("padding_idx", [None, 2, 4])
def test_gradcheck(padding_idx: int | None, sparse: bool) -> None:
    w = fl.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    mask = fl.from_numpy(_masked(padding_idx))
    gradcheck(
        lambda ids, w: F.embedding(ids, w, padding_idx=padding_idx, sparse=sparse) * mask,
        (fl.from_numpy(GC_IDS), w),
        ids=(0,),
    )


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_scale_grad_by_freq_divides_the_checked_gradient_by_counts(
    padding_idx: int | None, sparse: bool
) -> None:
    rng = np.random.default_rng(1)
    w_np = rng.standard_normal((5, 3))
    ids = fl.from_numpy(GC_IDS)
    mask = fl.from_numpy(_masked(padding_idx))
    plain_w = fl.tensor(w_np, requires_grad=True)
    gradcheck(lambda ids, w: F.embedding(ids, w, padding_idx=padding_idx) * mask, (ids, plain_w),
              ids=(0,))  # the unscaled gradient is right ...
    scaled_w = fl.tensor(w_np, requires_grad=True)
    g = fl.from_numpy(rng.standard_normal((2, 3, 3)))
    (F.embedding(ids, plain_w, padding_idx=padding_idx) * mask).backward(g)
    out = F.embedding(ids, scaled_w, padding_idx=padding_idx, scale_grad_by_freq=True,
                      sparse=sparse)
    (out * mask).backward(g)
    assert scaled_w.grad.is_sparse == sparse
    with np.errstate(divide="ignore", invalid="ignore"):  # ... and this is it over the counts
        expected = np.nan_to_num(arr(plain_w.grad) / GC_COUNTS[:, None])
    np.testing.assert_allclose(arr(scaled_w.grad), expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------
# The seed's claim: an Embedding is a Linear applied to one-hot vectors
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    V=st.integers(1, 8),
    D=st.integers(1, 5),
    ids=st.lists(st.integers(0, 7), min_size=0, max_size=10),
    seed=st.integers(0, 2**16),
)
def test_embedding_equals_linear_on_one_hot(V: int, D: int, ids: list[int], seed: int) -> None:
    ids_arr = np.array([i % V for i in ids], dtype=np.int64)
    fl.manual_seed(seed)
    emb = nn.Embedding(V, D)
    lin = nn.Linear(V, D, bias=False)
    lin.weight = nn.Parameter(emb.weight.detach().T)
    x = fl.from_numpy(ids_arr)
    by_lookup = emb(x)
    by_matmul = lin(F.one_hot(x, V).float())
    np.testing.assert_allclose(arr(by_matmul), arr(by_lookup), rtol=1e-6, atol=0)
    g = np.random.default_rng(seed).standard_normal(by_lookup.shape).astype(np.float32)
    by_lookup.backward(fl.from_numpy(g.copy()))
    by_matmul.backward(fl.from_numpy(g.copy()))
    np.testing.assert_allclose(arr(lin.weight.grad), arr(emb.weight.grad).T, rtol=1e-5, atol=1e-6)
