"""Product quantization, as fastText compresses a model into a ``.ftz``.

A :class:`ProductQuantizer` cuts each row into ``dsub``-wide slices (the last one
``lastdsub = dim % dsub`` wide, or ``dsub``) and learns, slice by slice, 256 centroids by
k-means (``_pq_kernels``: fastText's init from shuffled rows, 25 rounds, its ``eps`` split of
empty clusters) on at most 256 x 256 rows; a row is then stored as one byte per slice, the
index of its nearest centroid. A :class:`QuantMatrix` is those codes with their quantizer and,
with ``qnorm``, each row's L2 norm quantized apart (a 1-wide quantizer of the norms, the rows
divided by their norms before coding).

``FastText.quantize`` (``_model``) calls :func:`quantize_model`: keep the ``cutoff`` rows of
the largest norm (``</s>`` first), prune the dictionary to them (:func:`prune_dictionary`:
kept words keep their order, kept n-gram buckets are renumbered through ``pruneidx``),
optionally retrain on a file, then quantize the input matrix (and with ``qout`` the output).

For the binary format (``_bin``): :func:`read_quant_matrix` and :func:`write_quant_matrix`,
fastText's layout, little-endian::

    bool qnorm | int64 m | int64 n | int32 codesize | uint8 codes[codesize]
    quantizer: int32 dim | int32 nsubq | int32 dsub | int32 lastdsub | float32 centroids[dim*256]
    if qnorm:  uint8 norm_codes[m] | the norms' quantizer (dim 1)

A quantized model answers through :class:`QuantizedEmbeddingBag` (the rows' mean, decoded on
the fly); ``FastText._set_quantized(qinput, qoutput)`` installs it.
"""

from __future__ import annotations

import dataclasses
import struct
import time
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ... import _check as check
from ... import nn
from ...tensor import Tensor
from ._dictionary import Dictionary

if TYPE_CHECKING:
    from ._model import FastText

__all__ = [
    "ProductQuantizer",
    "QuantMatrix",
    "QuantizedEmbeddingBag",
    "prune_dictionary",
    "quantize_model",
    "read_quant_matrix",
    "select_embeddings",
    "write_quant_matrix",
]

KSUB = 256  # centroids per slice: 8-bit codes
MAX_POINTS = 256 * KSUB  # k-means sees at most this many rows
SEED = 1234
NITER = 25
EPS = 1e-7


@dataclasses.dataclass
class ProductQuantizer:
    """``nsubq`` slices of ``dsub`` columns (the last ``lastdsub``), 256 centroids each.

    ``centroids`` is fastText's flat float32 array of ``dim * 256``: slice ``m``'s centroids
    are the ``(256, width)`` block starting at ``m * 256 * dsub``.
    """

    dim: int
    dsub: int
    centroids: np.ndarray

    @classmethod
    def empty(cls, dim: int, dsub: int) -> ProductQuantizer:
        return cls(dim, dsub, np.zeros(dim * KSUB, np.float32))

    @property
    def nsubq(self) -> int:
        return -(-self.dim // self.dsub)

    @property
    def lastdsub(self) -> int:
        return self.dim % self.dsub or self.dsub

    def block(self, m: int) -> np.ndarray:
        """Slice ``m``'s centroids, ``(256, width)``, a view."""
        width = self.lastdsub if m == self.nsubq - 1 else self.dsub
        start = m * KSUB * self.dsub
        return self.centroids[start : start + KSUB * width].reshape(KSUB, width)

    def train(self, x: np.ndarray) -> None:
        """Learn the centroids of the rows of ``x`` ``(n, dim)``, ``n >= 256``, as fastText:
        one engine (seed 1234) for every slice in turn; above 65536 rows, each slice sees the
        first 65536 of a shuffle of the rows that goes on from the previous slice's."""
        from . import _pq_kernels as K

        n = x.shape[0]
        if n < KSUB:
            raise ValueError(f"too few rows to quantize: {n}; product quantization needs at "
                             f"least {KSUB} rows (one per centroid)")
        state = np.array([SEED], np.int64)
        perm = np.arange(n)
        points = min(n, MAX_POINTS)
        for m in range(self.nsubq):
            if points != n:
                K.shuffle(perm, state, True)
            col = m * self.dsub
            block = self.block(m)
            rows = perm[:points] if points != n else slice(None)
            sub = np.ascontiguousarray(x[rows, col : col + block.shape[1]], np.float32)
            c = np.empty_like(block)
            K.kmeans(sub, c, NITER, state, EPS, True)
            block[:] = c

    def compute_codes(self, x: np.ndarray, threads: int = 1) -> np.ndarray:
        """``(n, nsubq)`` uint8: each slice's nearest centroid (slices on ``threads``)."""
        from .._threads import run_jobs
        from . import _pq_kernels as K

        codes = np.empty((x.shape[0], self.nsubq), np.uint8)

        def job(m: int) -> None:
            col = m * self.dsub
            block = self.block(m)
            sub = np.ascontiguousarray(x[:, col : col + block.shape[1]], np.float32)
            out = np.empty(x.shape[0], np.uint8)
            K.assign(sub, np.ascontiguousarray(block), out)
            codes[:, m] = out

        run_jobs(range(self.nsubq), job, workers=max(1, min(threads, self.nsubq)))
        return codes

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """``(n, nsubq)`` codes -> ``(n, dim)`` float32 rows."""
        out = np.empty((codes.shape[0], self.dim), np.float32)
        for m in range(self.nsubq):
            block = self.block(m)
            out[:, m * self.dsub : m * self.dsub + block.shape[1]] = block[codes[:, m]]
        return out


@dataclasses.dataclass
class QuantMatrix:
    """A product-quantized ``(rows, dim)`` matrix: ``codes`` ``(rows, nsubq)`` uint8 and their
    ``pq``; with ``qnorm``, the rows' norms as ``norm_codes`` ``(rows,)`` of ``npq``."""

    codes: np.ndarray
    pq: ProductQuantizer
    norm_codes: np.ndarray | None = None
    npq: ProductQuantizer | None = None

    @property
    def qnorm(self) -> bool:
        return self.norm_codes is not None

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape[0], self.pq.dim

    @classmethod
    def quantize(cls, x: np.ndarray, dsub: int = 2, qnorm: bool = False,
                 threads: int = 1) -> QuantMatrix:
        """Quantize the dense matrix ``x`` (not changed), as fastText's ``QuantMatrix``."""
        x = np.array(x, np.float32)  # a copy: qnorm divides it
        norm_codes = npq = None
        if qnorm:
            norms = row_norms(x)
            nonzero = norms != 0
            x[nonzero] /= norms[nonzero, None]
            npq = ProductQuantizer.empty(1, 1)
            npq.train(norms[:, None])
            norm_codes = npq.compute_codes(norms[:, None])[:, 0]
        pq = ProductQuantizer.empty(x.shape[1], dsub)
        pq.train(x)
        return cls(pq.compute_codes(x, threads), pq, norm_codes, npq)

    def _norms(self) -> np.ndarray:
        return self.npq.centroids if self.npq is not None else np.zeros(0, np.float32)

    def rows(self, idx: Any) -> np.ndarray:
        """The decoded rows ``idx``, float32 ``(len(idx), dim)``."""
        out = self.pq.decode(self.codes[idx])
        if self.norm_codes is not None:
            out *= self._norms()[self.norm_codes[idx]][:, None]
        return out

    def to_dense(self) -> np.ndarray:
        return self.rows(slice(None))

    def bag_mean(self, rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``(bags, dim)``: the mean of each bag's decoded rows (``offsets`` ``(bags + 1,)``)."""
        from . import _pq_kernels as K

        out = np.empty((offsets.size - 1, self.pq.dim), np.float32)
        norm_codes = self.norm_codes if self.norm_codes is not None else np.zeros(0, np.uint8)
        K.bag_mean(self.codes, self.pq.centroids, self.pq.dsub, self._norms(), norm_codes,
                   np.ascontiguousarray(rows, np.int64),
                   np.ascontiguousarray(offsets, np.int64), out)
        return out


class QuantizedEmbeddingBag(nn.Module):
    """``EmbeddingBag(mode="mean")`` over a :class:`QuantMatrix`: rows decoded as they are
    summed, never the whole matrix. Read-only (a quantized model is not trained further).

    Shape: rows ``(N,)`` int64 and offsets ``(B,)`` -> ``(B, embedding_dim)`` float32.
    """

    def __init__(self, qm: QuantMatrix) -> None:
        super().__init__()
        self.qm = qm
        self.num_embeddings, self.embedding_dim = qm.shape
        self.mode = "mean"

    def forward(self, input: Tensor, offsets: Tensor) -> Tensor:  # noqa: A002 (torch's name)
        rows = np.asarray(input._data, np.int64)
        ptr = np.append(np.asarray(offsets._data, np.int64), rows.size)
        return Tensor._wrap(self.qm.bag_mean(rows, ptr))

    def extra_repr(self) -> str:
        return (f"{self.num_embeddings}, {self.embedding_dim}, mode='mean', "
                f"dsub={self.qm.pq.dsub}, qnorm={self.qm.qnorm}")


# ---- the .ftz layout ---------------------------------------------------------------------------
def _read(f: IO[bytes], size: int, section: str) -> bytes:
    at = f.tell()
    data = f.read(size)
    if len(data) != size:
        from ._format import ModelFileError

        raise ModelFileError(f"truncated file: reading {section} at byte offset {at}: "
                             f"{size} bytes expected, {len(data)} left")
    return data


def _bad(section: str, what: str) -> Exception:
    from ._format import ModelFileError

    return ModelFileError(f"damaged file: {section}: {what}")


def _read_pq(f: IO[bytes], section: str) -> ProductQuantizer:
    dim, nsubq, dsub, lastdsub = struct.unpack("<4i", _read(f, 16, section + " quantizer"))
    if dim < 1 or dsub < 1 or nsubq != -(-dim // dsub) or lastdsub != (dim % dsub or dsub):
        raise _bad(section, f"quantizer dim={dim}, nsubq={nsubq}, dsub={dsub}, "
                   f"lastdsub={lastdsub} do not fit together")
    raw = _read(f, 4 * dim * KSUB, section + " centroids")
    return ProductQuantizer(dim, dsub, np.frombuffer(raw, "<f4").astype(np.float32))


def read_quant_matrix(f: IO[bytes], section: str = "quantized matrix") -> QuantMatrix:
    """Read one quantized matrix from the binary file ``f`` at its position (fastText's
    ``QuantMatrix::load``); ``section`` names it in errors (truncated: the byte offset)."""
    qnorm_byte, m, n, codesize = struct.unpack("<Bqqi", _read(f, 21, section + " header"))
    if qnorm_byte > 1 or m < 0 or n < 1:
        raise _bad(section, f"header qnorm={qnorm_byte}, rows={m}, columns={n}")
    if codesize < 0 or (codesize % m if m else codesize) or codesize // max(m, 1) > n:
        raise _bad(section, f"{codesize} codes for {m} rows of {n} columns")
    codes = np.frombuffer(_read(f, codesize, section + " codes"), np.uint8)
    pq = _read_pq(f, section)
    if pq.dim != n or codesize != m * pq.nsubq:
        raise _bad(section, f"{codesize} codes for {m} rows of {pq.nsubq} slices (dim {pq.dim}"
                   f", matrix columns {n})")
    qm = QuantMatrix(codes.reshape(m, pq.nsubq).copy(), pq)
    if qnorm_byte:
        qm.norm_codes = np.frombuffer(_read(f, m, section + " norm codes"), np.uint8).copy()
        qm.npq = _read_pq(f, section + " norms")
        if qm.npq.dim != 1:
            raise _bad(section, f"the norms' quantizer has dim {qm.npq.dim}, not 1")
    return qm


def _write_pq(f: IO[bytes], pq: ProductQuantizer) -> None:
    f.write(struct.pack("<4i", pq.dim, pq.nsubq, pq.dsub, pq.lastdsub))
    f.write(np.ascontiguousarray(pq.centroids, "<f4").tobytes())


def write_quant_matrix(f: IO[bytes], qm: QuantMatrix) -> None:
    """Write ``qm`` at the position of the binary file ``f`` (fastText's ``QuantMatrix::save``)."""
    m, n = qm.shape
    f.write(struct.pack("<Bqqi", int(qm.qnorm), m, n, qm.codes.size))
    f.write(np.ascontiguousarray(qm.codes, np.uint8).tobytes())
    _write_pq(f, qm.pq)
    if qm.norm_codes is not None and qm.npq is not None:
        f.write(np.ascontiguousarray(qm.norm_codes, np.uint8).tobytes())
        _write_pq(f, qm.npq)


def row_norms(x: np.ndarray) -> np.ndarray:
    """float32 L2 norms of the rows as fastText computes them (``l2NormRow``): float32
    squares added one column after the other in float64, the square root as float32."""
    total = np.zeros(x.shape[0], np.float64)
    for j in range(x.shape[1]):
        col = x[:, j]
        total += col * col  # float32 product, then the float64 sum
    return np.sqrt(total).astype(np.float32)


# ---- cutoff: the rows that matter most ---------------------------------------------------------
def select_embeddings(w: np.ndarray, cutoff: int, eos: int) -> np.ndarray:
    """fastText's ``selectEmbeddings``: the ``cutoff`` rows of ``w`` of the largest L2 norm,
    ``</s>`` (row ``eos``; -1: none) first. The norms are float32, as fastText keeps them;
    equal norms keep the row order (fastText's ``std::sort`` leaves theirs unspecified)."""
    norms = row_norms(w)
    order = np.argsort(-norms, kind="stable")
    if eos >= 0:
        order = np.concatenate([[eos], order[order != eos]])
    return order[:cutoff]


def prune_dictionary(d: Dictionary, idx: np.ndarray) -> tuple[Dictionary, np.ndarray]:
    """fastText's ``Dictionary::prune``: keep the words among ``idx`` (in their order) and
    every label; the n-gram rows among ``idx`` (in ``idx``'s order) become ``pruneidx``
    (bucket -> new n-gram number). Returns the new dictionary and the old row of each new row
    (the words, then the n-grams)."""
    idx = np.asarray(idx, np.int64)
    words = np.sort(idx[idx < d.nwords])
    ngrams = idx[idx >= d.nwords]
    keep = np.concatenate([words, np.arange(d.nwords, len(d.entries))])
    entries = [d.entries[i] for i in keep]
    pruned = Dictionary(entries, d.counts[keep], len(words), d.ntokens)
    pruned.pruneidx = {int(h): j for j, h in enumerate(ngrams - d.nwords)}
    return pruned, np.concatenate([words, ngrams])


# ---- FastText.quantize -------------------------------------------------------------------------
def quantize_model(model: FastText, input: Any, qout: bool, cutoff: int, retrain: bool,
                   epoch: Any, lr: Any, thread: Any, verbose: Any, dsub: int,
                   qnorm: bool) -> None:
    """The work of :meth:`FastText.quantize` (see there). Everything is computed before the
    model changes: on any error the model is as it was."""
    args = model.args
    kind = getattr(args, "model", "supervised")
    if kind != "supervised":
        raise ValueError(f"quantize works on supervised models only (fastText: 'For now we only "
                         f"support quantization of supervised models'); this one is {kind!r}")
    if model.is_quantized():
        raise ValueError("the model is already quantized: quantize the model it came from")
    cutoff = check.non_negative_int("cutoff", cutoff)
    dsub = check.positive_int("dsub", dsub)
    # fastText's Python wrapper: a falsy value means the model's own
    epoch = check.positive_int("epoch", epoch) if epoch else args.epoch
    lr = check.number("lr", lr, low=0, low_open=True) if lr else args.lr
    thread = check.positive_int("thread", thread) if thread else args.thread
    verbose = check.integer("verbose", verbose) if verbose else args.verbose
    if retrain and not input:
        raise ValueError("retrain=True needs input: the training file to retrain on")
    w_in = model.model.input.weight._data
    w_out = model.model.output.weight._data
    nrows = w_in.shape[0]
    if cutoff > nrows:
        raise ValueError(f"cutoff={cutoff} is larger than the input matrix ({nrows} rows: "
                         f"{model._dict.nwords} words + {nrows - model._dict.nwords} n-gram "
                         f"buckets); use cutoff <= {nrows}, or 0 to keep every row")
    prune = 0 < cutoff < nrows
    kept = cutoff if prune else nrows
    if kept < KSUB:
        raise ValueError(f"cutoff={cutoff} keeps {kept} rows; product quantization needs at "
                         f"least {KSUB} (one per centroid)")
    if qout and w_out.shape[0] < KSUB:
        raise ValueError(f"qout=True: the output matrix has {w_out.shape[0]} rows (labels); "
                         f"quantizing it needs at least {KSUB}")
    start = time.perf_counter()
    d, new_args = model._dict, args
    if prune:
        d, idx = prune_dictionary(d, select_embeddings(w_in, cutoff, d.index.get(b"</s>", -1)))
        w_in = w_in[idx]
        if retrain:
            new_args = dataclasses.replace(args, epoch=epoch, lr=lr, thread=thread,
                                           verbose=verbose)
            w_out = w_out.copy()
            _retrain(model, input, d, new_args, w_in, w_out, start)
    qinput = QuantMatrix.quantize(w_in, dsub, qnorm, thread)
    qoutput = QuantMatrix.quantize(w_out, 2, qnorm, thread) if qout else None
    # commit
    model.args = new_args
    model._dict = d
    model._set_quantized(qinput, qoutput, w_out)


def _retrain(model: FastText, input: Any, d: Dictionary, args: Any, w_in: np.ndarray,
             w_out: np.ndarray, start: float) -> None:
    """fastText's retraining after the cutoff: SGD on ``input`` with the kept rows (``w_in``,
    updated in place) and the output matrix (``w_out``, in place)."""
    from ._dictionary import encode
    from ._model import FastText
    from ._network import FastTextClassifier
    from ._reading import SupervisedFileError, check_readable, file_blocks, tokenize
    from ._train import _fit

    path = check_readable(input, "training file")
    lines = encode(tokenize(file_blocks(path)), d, args)
    examples = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
    if examples.row_ptr.size == 1:
        raise SupervisedFileError(f"{path}: no line to retrain on: none has a label of the "
                                  "model and a word or n-gram it kept")
    net = FastTextClassifier(w_in.shape[0], args.dim, w_out.shape[0], _input_weight=w_in)
    net.output.weight._data = w_out
    _fit(FastText(net, d, args), examples, args.epoch * d.ntokens, start)
