"""What a fastText classifier answers about texts: :meth:`predict` (the ``k`` most likely
labels) and the scores on a labelled file (:meth:`test`, :meth:`test_label`, computed as
fastText's ``Meter``).

A mixin of :class:`FastText` (``_model``): texts are read and encoded as in training
(``_reading``, ``_dictionary``), scored by the network's layers, and the top labels picked as
fastText picks them, ties included (``_topk``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...tensor import Tensor
from ._dictionary import Lines, encode, joined
from ._reading import (
    EOS_BYTES,
    SupervisedFileError,
    check_readable,
    file_blocks,
    text_lines,
    tokenize,
)

__all__ = ["PredictState", "Predictions"]

PathLike = str | os.PathLike



class Predictions:
    """``predict``, ``test`` and ``test_label`` of :class:`FastText`."""

    # what FastText provides (declared for the type checker only)
    model: Any
    args: Any
    _dict: Any
    _paths: Any
    is_supervised: Any
    labels: Any
    get_labels: Any
    _qinput: Any
    _qoutput: Any

    # -- predicting -------------------------------------------------------------------------------
    _fast_state: Any = None  # the model as flat arrays for the compiled loops (PredictState)

    def _encode_texts(self, texts: Sequence[str]) -> Lines:
        return encode(tokenize([text_lines(texts)]), self._dict, self.args)

    def _state(self) -> PredictState:
        """The model's arrays for ``_predict_kernels``, built once and rebuilt when a matrix,
        a layer, the dictionary or the arguments were replaced (a matrix changed in place is
        seen as it is: the arrays are shared)."""
        st = self._fast_state
        if st is not None:
            mods = self.model._modules
            inp = mods["input"]
            if (mods["output"]._parameters["weight"]._data is st.w_out and inp is st.inp
                    and self._dict is st.dict and self.args is st.args
                    and (st.w_in is None or inp._parameters["weight"]._data is st.w_in)):
                return st
        self._check_k(1)  # an unsupervised model: say so
        st = self._fast_state = PredictState(self)
        return st

    def _top_k(
        self, lines: Lines, k: int, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(B, k)`` label ids (-1 where none) and probabilities, most likely first; lines
        without rows predict nothing, as in fastText."""
        st = self._state()
        n = lines.row_ptr.size - 1
        ids = np.zeros((n, k), np.int64)
        probs = np.zeros((n, k), np.float64)
        counts = np.zeros(n, np.int64)
        st.kernels.predict_rows(
            np.ascontiguousarray(lines.row_ptr, np.int64), np.ascontiguousarray(lines.rows),
            st.blob, st.win, st.wout, k, float(threshold), ids, probs, counts)
        none = np.arange(k)[None, :] >= counts[:, None]
        ids[none] = -1
        probs[none] = 0.0
        return ids, probs

    def _check_k(self, k: int) -> int:
        if not self.is_supervised:
            raise ValueError(
                f"this is an unsupervised ({self.args.model}) model: it has word vectors but "  # type: ignore[attr-defined]
                "no labels to predict or test; use get_word_vector or get_sentence_vector"
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {k!r}")
        n = self._dict.nlabels
        if k == -1:
            return n
        if k < 1:
            raise ValueError(f"k needs to be 1 or higher (or -1 for all labels), got {k}")
        if k > n:
            raise ValueError(
                f"k={k} is larger than the number of labels ({n}): the model knows only "
                f"{n} label(s); use k <= {n}, or k=-1 for all of them"
            )
        return int(k)

    def predict(
        self,
        text: str | Sequence[str],
        k: int = 1,
        threshold: float = 0.0,
        on_unicode_error: str = "strict",
    ) -> tuple[Any, Any]:
        """The ``k`` most likely labels of a text and their probabilities, as fastText.

        Args:
            text: one text, or a list of texts. Newlines are read as spaces.
            k: how many labels (-1: all); at most the number of labels.
            threshold: leave out labels whose probability is below it.
            on_unicode_error: how labels that are not valid UTF-8 are decoded.

        Returns:
            For one text: ``(labels, probabilities)``, a tuple of str and a float64 array
            ``(<= k,)``. For a list: a list of label lists and a list of float32 arrays.

        >>> model.predict("how to bake bread", k=2)  # doctest: +SKIP
        (('__label__baking', '__label__bread'), array([0.71, 0.12]))
        """
        if text.__class__ is str:  # one line: the shortest way through
            st = self._state()
            if k.__class__ is not int or not 0 < k <= st.nlabels:
                k = self._check_k(k)
            probs = np.empty(k)  # a new one: threads may share st
            ids = st.ids if k == 1 else np.empty(k, np.int64)  # k == 1: the first is returned
            n, first = st.predict_one(text.encode("utf-8", "surrogateescape"), st.blob, st.win,
                                      st.wout, k, float(threshold), ids, probs)
            names = st.names.get(on_unicode_error) or st.label_names(self, on_unicode_error)
            if k == 1:
                return ((names[first],), probs) if n else ((), probs[:0])
            return tuple([names[i] for i in ids[:n].tolist()]), probs[:n]
        k = self._check_k(k)
        texts: list[Any] = [text] if isinstance(text, str) else list(text)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"predict takes a str or a list of str; item {i} is "
                                f"{type(t).__name__}")
        st = self._state()
        names = st.names.get(on_unicode_error) or st.label_names(self, on_unicode_error)
        data = [t.encode("utf-8", "surrogateescape") for t in texts]
        n = len(data)
        bounds = np.zeros(n + 1, np.int64)
        np.cumsum(np.fromiter(map(len, data), np.int64, n), out=bounds[1:])
        ids = np.zeros((n, k), np.int64)
        probs = np.zeros((n, k), np.float64)
        counts = np.zeros(n, np.int64)
        st.kernels.predict_lines(
            np.frombuffer(b"".join(data), np.uint8), bounds, st.blob, st.win, st.wout, k,
            float(threshold), ids, probs, counts)
        out_labels = [[names[i] for i in row] for row in ids.tolist()]
        out_probs = list(probs.astype(np.float32))
        for i in np.flatnonzero(counts < k).tolist():
            c = int(counts[i])
            out_labels[i], out_probs[i] = out_labels[i][:c], out_probs[i][:c]
        if isinstance(text, str):
            return tuple(out_labels[0]), probs[0, : counts[0]].copy()
        return out_labels, out_probs

    # -- evaluating -------------------------------------------------------------------------------
    def _meter(self, source: PathLike | bytes, k: int, threshold: float) -> dict[str, Any]:
        """fastText's ``Meter`` over a labelled file (a path, or its bytes)."""
        k = self._check_k(k)
        if isinstance(source, bytes):
            path, blocks = "<stdin>", [source]
        else:
            path = check_readable(source, "test file")
            blocks = file_blocks(path)  # type: ignore[assignment]
        lines = encode(tokenize(blocks), self._dict, self.args)
        # fastText scores the lines that have a known label and at least one row
        lines = lines.select((lines.num_labels > 0) & (lines.num_rows > 0))
        n = lines.row_ptr.size - 1
        if n == 0:
            raise SupervisedFileError(
                f"{path}: no line to test: none has a label the model knows (labels start "
                f"with {self.args.label!r}; the model's are e.g. {self.labels[:3]})"
            )
        ids, _ = self._top_k(lines, k, threshold)
        m = self._dict.nlabels
        # a prediction is right when (line, label) is among the line's (line, label) pairs
        gold_pairs = np.repeat(np.arange(n), lines.num_labels) * m + lines.labels
        predicted = ids >= 0
        hit = predicted & np.isin(np.arange(n)[:, None] * m + ids, gold_pairs)
        return {
            "n": n,
            "predicted": int(predicted.sum()),
            "hits": int(hit.sum()),
            "gold": int(lines.labels.size),
            "label_predicted": np.bincount(ids[predicted], minlength=m),
            "label_hits": np.bincount(ids[hit], minlength=m),
            "label_gold": np.bincount(lines.labels, minlength=m),
        }

    def test(self, path: PathLike, k: int = 1, threshold: float = 0.0) -> tuple[int, float, float]:
        """``(N, precision@k, recall@k)`` on a labelled file, as fastText's ``test``.

        N counts the lines with a label the model knows; precision is the share of the
        predictions (at most ``k`` per line, those above ``threshold``) that are labels of
        their line; recall the share of the lines' labels that were predicted.

        >>> model.test("cooking.valid")  # doctest: +SKIP
        (3000, 0.59, 0.255)
        """
        return self._test_source(path, k, threshold)

    def _test_source(
        self, source: PathLike | bytes, k: int, threshold: float
    ) -> tuple[int, float, float]:
        m = self._meter(source, k, threshold)
        precision = m["hits"] / m["predicted"] if m["predicted"] else math.nan
        recall = m["hits"] / m["gold"] if m["gold"] else math.nan
        return m["n"], precision, recall

    def test_label(
        self, path: PathLike, k: int = 1, threshold: float = 0.0
    ) -> dict[str, dict[str, float]]:
        """Precision, recall and F1 of each label, as fastText's ``test_label``:
        ``{label: {"precision": p, "recall": r, "f1score": f}}``; NaN where a label was never
        predicted (precision) or never given (recall)."""
        return self._test_label_source(path, k, threshold)

    def _test_label_source(
        self, source: PathLike | bytes, k: int, threshold: float
    ) -> dict[str, dict[str, float]]:
        m = self._meter(source, k, threshold)
        out = {}
        for j, name in enumerate(self.labels):
            pred, hits, gold = int(m["label_predicted"][j]), int(m["label_hits"][j]), int(
                m["label_gold"][j])
            out[name] = {
                "precision": hits / pred if pred else math.nan,
                "recall": hits / gold if gold else math.nan,
                "f1score": 2 * hits / (pred + gold) if pred + gold else math.nan,
            }
        return out


def _long(a: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(a, dtype=np.int64))


class PredictState:
    """A supervised model as the flat arrays of ``_predict_kernels`` (see its docstring), with
    the objects they were made from (to tell when they are stale) and the decoded label
    names."""

    def __init__(self, ft: Any) -> None:
        from . import _predict_kernels as K
        from . import _topk_kernels as L
        from ._hash import as_int32, fnv1a
        from ._read_kernels import rehash
        from ._topk import _SIGMOID_TABLE

        d, a = ft._dict, ft.args
        self.kernels = K
        self.inp = ft.model._modules["input"]
        self.ids = np.empty(1, np.int64)  # for k=1, written and never read (threads may share)
        self.dict, self.args, self.qin, self.qout = d, a, ft._qinput, ft._qoutput
        self.nlabels = nl = d.nlabels
        self.names: dict[str, list[str]] = {}
        buf, starts = joined(d.entries)
        ne = len(d.entries)
        hashes = K.entry_hashes(buf, starts) if ne else np.zeros(0, np.uint32)
        size = 1 << max(4, (2 * ne).bit_length())  # at most half full
        table = rehash(size, hashes, ne)
        prefix, eos = a.label.encode("utf-8"), EOS_BYTES
        if d.pruneidx is None:
            pk = pv = np.zeros(0, np.int64)
        else:
            pk = np.fromiter(d.pruneidx.keys(), np.int64, len(d.pruneidx))
            pv = np.fromiter(d.pruneidx.values(), np.int64, len(d.pruneidx))
            order = np.argsort(pk)
            pk, pv = pk[order], pv[order]
        left, right = _tree(ft._paths, nl) if a.loss == "hs" else (np.zeros(0, np.int64),) * 2
        model = ft.model
        dim = a.dim
        head = np.zeros(L.HEADER, np.int64)
        floats, blobs = [_SIGMOID_TABLE], [buf, np.frombuffer(prefix + eos, np.uint8)]
        for q, (i_q, i_dsub, i_qnorm, i_cent, i_ncent, i_codes, i_nsubq, i_norms) in (
            (ft._qinput, (L.H_QIN, L.H_DSUB, L.H_QNORM, L.H_CENT, L.H_NCENT, L.H_QCODES,
                          L.H_NSUBQ, L.H_QN)),
            (ft._qoutput, (L.H_QOUT, L.H_ODSUB, L.H_OQNORM, L.H_OCENT, L.H_ONCENT, L.H_QOCODES,
                           L.H_ONSUBQ, L.H_QON)),
        ):
            if q is None:
                continue
            head[i_q], head[i_dsub], head[i_qnorm] = 1, q.pq.dsub, int(q.qnorm)
            head[i_nsubq] = q.codes.shape[1]
            head[i_cent] = sum(map(len, floats))
            floats.append(q.pq.centroids)
            head[i_ncent] = sum(map(len, floats))
            floats.append(q._norms())
            head[i_codes] = sum(map(len, blobs))
            blobs.append(np.ascontiguousarray(q.codes, np.uint8).ravel())
            head[i_norms] = sum(map(len, blobs))
            blobs.append(q.norm_codes if q.qnorm else np.zeros(0, np.uint8))
        u8 = np.concatenate(blobs).astype(np.uint8)
        qf = np.concatenate(floats).astype(np.float32)
        self.w_in = None
        if ft._qinput is None:
            self.w_in = model._modules["input"]._parameters["weight"]._data
            self.win = np.ascontiguousarray(self.w_in, np.float32)
        else:
            self.win = np.zeros((1, dim), np.float32)
        self.w_out = model._modules["output"]._parameters["weight"]._data
        self.wout = np.ascontiguousarray(self.w_out, np.float32)
        if ft._qoutput is not None:  # the codes answer (fastText's arithmetic)
            self.wout = np.zeros((1, dim), np.float32)
        tables = [starts.astype(np.int64), hashes.astype(np.int64), table.astype(np.int64),
                  pk, pv, left, right]
        at = L.HEADER
        for slot, t in zip((L.H_PTR, L.H_HASH, L.H_TABLE, L.H_PKEYS, L.H_PVALS, L.H_LEFT,
                            L.H_RIGHT), tables):
            head[slot] = at
            at += len(t)
        head[L.H_NWORDS], head[L.H_NLABELS], head[L.H_DIM] = d.nwords, nl, dim
        head[L.H_MINN], head[L.H_MAXN], head[L.H_BUCKET] = a.minn, a.maxn, a.bucket
        head[L.H_NGRAMS] = a.wordNgrams
        head[L.H_LOSS] = {"softmax": L.SOFTMAX, "hs": L.HS}.get(a.loss, L.SIGMOID)
        head[L.H_PRUNED], head[L.H_NPRUNE] = int(d.pruneidx is not None), len(pk)
        head[L.H_TSIZE] = size
        head[L.H_PREFIX], head[L.H_PREFIXLEN] = len(buf), len(prefix)
        head[L.H_EOS], head[L.H_EOSLEN] = len(buf) + len(prefix), len(eos)
        eos_id = d.index.get(eos, -1)  # the </s> ending each line: a word, known or not
        head[L.H_EOSWORD] = eos_id < d.nwords if eos_id >= 0 else not eos.startswith(prefix)
        head[L.H_EOSID] = eos_id if 0 <= eos_id < d.nwords else -1
        head[L.H_EOSHASH] = as_int32(fnv1a(eos))
        ints = np.concatenate([head] + tables)
        # one array for the kernels (each array argument costs a call ~0.1 us): ints, qf, u8
        ints[L.H_NINTS], ints[L.H_QFAT], ints[L.H_QFLEN] = len(ints), 8 * len(ints), len(qf)
        ints[L.H_U8AT] = 8 * len(ints) + 4 * len(qf)
        self.blob = np.concatenate([ints.view(np.uint8), qf.view(np.uint8), u8])
        self.predict_one = _entry_point(K.predict_one, self.blob, self.win, self.wout)

    def label_names(self, ft: Any, on_unicode_error: str) -> list[str]:
        names = self.names[on_unicode_error] = ft.get_labels(on_unicode_error=on_unicode_error)
        return names


def _entry_point(kernel: Any, blob: np.ndarray, win: np.ndarray, wout: np.ndarray) -> Any:
    """``kernel`` (``predict_one``) without numba's dispatch (the types of its arguments are
    fixed: they are looked up once, here), or ``kernel`` itself if numba hides the compiled
    function."""
    args = (b"", blob, win, wout, 1, 0.0, np.empty(1, np.int64), np.empty(1))
    want = kernel(*args)  # compiles, or loads from the cache
    try:
        from numba import typeof

        entry = kernel.overloads[tuple(typeof(a) for a in args)].entry_point
        if entry(*args) == want:
            return entry
    except Exception:  # noqa: BLE001  (another numba: the dispatcher does as well)
        pass
    return kernel


def _tree(paths: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The children of each node of fastText's Huffman tree (leaves: the labels ``0..n-1``,
    then the inner nodes, the root last; -1 for none) from ``_network.huffman_paths``."""
    ptr, nodes, codes = paths
    left = np.full(max(2 * n - 1, 1), -1, np.int64)
    right = left.copy()
    steps = np.arange(nodes.size)
    label = np.repeat(np.arange(n), np.diff(ptr))
    first = steps == ptr[label]
    child = np.where(first, label, n + nodes[np.maximum(steps - 1, 0)])
    parent = n + nodes.astype(np.int64)
    is_right = codes == 1
    right[parent[is_right]] = child[is_right]
    left[parent[~is_right]] = child[~is_right]
    return left, right
