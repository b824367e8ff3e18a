"""Print NumPy arrays the way PyTorch 2.13 prints tensors, character for character.

``tensor_repr(np.eye(2, dtype=np.float32))`` returns the same text as
``repr(torch.eye(2))``::

    tensor([[1., 0.],
            [0., 1.]])

How torch lays a tensor out, in the order this module does it:

1. **Pick the elements that will be shown.** A tensor with more than ``threshold`` elements
   is *summarised*: along every axis longer than ``2 * edgeitems`` only the first and last
   ``edgeitems`` entries are kept, and ``...`` stands for the rest.
2. **Choose one number format for the whole tensor** (``_Formatter``), looking only at the
   shown elements that are finite and nonzero:

   * if they are all whole numbers, floats print as ``1.`` ("int mode");
   * scientific notation (``1.0000e-05``) is used when the largest magnitude is more than
     1000 times the smallest, above 1e8, or below 1e-4; otherwise fixed point with
     ``precision`` decimals;
   * every element is right-aligned to the widest one, so columns line up.

3. **Lay out the nested brackets.** Rows of a vector wrap to fit ``linewidth``; each deeper
   dimension gets one more space of indentation, and dimension ``d`` blocks are separated by
   ``d - 2`` blank lines.
4. **Append the suffixes** (``dtype=torch.float64``, ``requires_grad=True``, ...) after the
   closing bracket, on a new line when they would not fit.

All the number formatting goes through Python's own ``format`` on the exact value as a Python
``float``/``int``/``bool``, because that is what torch does too; that is why the output agrees
digit for digit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "get_printoptions",
    "printoptions",
    "set_printoptions",
    "sparse_coo_repr",
    "tensor_repr",
]


# --------------------------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4  # digits after the decimal point
    threshold: float = 1000  # more elements than this: summarise (float so "full" can be inf)
    edgeitems: int = 3  # elements kept at each end of a summarised axis
    linewidth: int = 80  # characters per line before a vector wraps
    sci_mode: bool | None = None  # None: decide per tensor; True/False: force it


_OPTIONS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: int | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how tensors print, like ``torch.set_printoptions``.

    ``profile`` ("default", "short" or "full") first resets precision, threshold, edgeitems and
    linewidth; the other arguments then override it. Arguments left as ``None`` keep their
    value, except ``sci_mode``: as in torch, every call sets it, so leaving it out switches
    back to choosing the notation automatically. An unknown profile name is ignored, as in
    torch.
    """
    if profile in _PROFILES:
        p = _PROFILES[profile]
        _OPTIONS.precision, _OPTIONS.threshold, _OPTIONS.edgeitems, _OPTIONS.linewidth = p
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as a dict that ``set_printoptions(**d)`` accepts."""
    return dataclasses.asdict(_OPTIONS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Use other print options inside a ``with`` block, then restore the previous ones."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------------------------
# Dtypes
# --------------------------------------------------------------------------------------------

_TORCH_DTYPE_NAMES: dict[np.dtype[Any], str] = {
    np.dtype(np.bool_): "torch.bool",
    np.dtype(np.uint8): "torch.uint8",
    np.dtype(np.int8): "torch.int8",
    np.dtype(np.int16): "torch.int16",
    np.dtype(np.int32): "torch.int32",
    np.dtype(np.int64): "torch.int64",
    np.dtype(np.float16): "torch.float16",
    np.dtype(np.float32): "torch.float32",
    np.dtype(np.float64): "torch.float64",
}

# torch's default dtype; the one dtype never named, even for an empty tensor.
_DEFAULT_FLOAT = "torch.float32"
# A nonempty tensor of one of these dtypes does not name its dtype: the printed values already
# tell (``1.`` is a float, ``1`` an integer, ``True`` a bool).
_IMPLIED_DTYPES = frozenset({_DEFAULT_FLOAT, "torch.int64", "torch.bool"})


def _torch_dtype_name(dtype: np.dtype[Any]) -> str:
    try:
        return _TORCH_DTYPE_NAMES[np.dtype(dtype)]
    except KeyError:
        supported = ", ".join(str(d) for d in _TORCH_DTYPE_NAMES)
        raise TypeError(f"can't print arrays of dtype {dtype}; supported: {supported}") from None


# --------------------------------------------------------------------------------------------
# Step 1: which elements are shown
# --------------------------------------------------------------------------------------------


def _shown_elements(data: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will actually be printed; the number format is chosen from these.

    Summarising keeps the first and last ``edgeitems`` entries of every axis that is longer
    than ``2 * edgeitems``.
    """
    if not summarize or data.ndim == 0:
        return data
    edge = _OPTIONS.edgeitems
    if edge == 0:
        # Only "..." is printed, so there is nothing to measure.
        return data[(slice(0, 0),) * data.ndim]
    for axis, length in enumerate(data.shape):
        if length > 2 * edge:
            ends = np.r_[0:edge, length - edge : length]
            data = np.take(data, ends, axis=axis)
    return data


# --------------------------------------------------------------------------------------------
# Step 2: one number format for the whole tensor
# --------------------------------------------------------------------------------------------


class _Formatter:
    """Turns one element into text of a common width, chosen by looking at all shown elements."""

    def __init__(self, shown: np.ndarray) -> None:
        self.is_float = shown.dtype.kind == "f"
        self.int_mode = True  # floats that are all whole numbers print as "1."
        self.sci_mode = False
        self.width = 1

        if not self.is_float:
            # Integers and bools are printed with str(); pad to the longest one.
            for value in shown.ravel().tolist():
                self.width = max(self.width, len(str(value)))
            return

        # Zeros, infs and nans neither decide the format nor count towards the width (so a
        # "-0." or "nan" may stick out of its column, exactly as in torch).
        flat = shown.ravel()
        measured = flat[np.isfinite(flat) & (flat != 0)]
        if measured.size == 0:
            return  # nothing to measure: plain "0.", "nan", "inf", even if sci_mode is forced

        self.int_mode = bool(np.all(measured == np.ceil(measured)))
        self.sci_mode = self._wants_sci_mode(np.abs(measured.astype(np.float64)))

        values = measured.astype(np.float64).tolist()
        if self.sci_mode:
            lengths = [len(self._sci(v)) for v in values]
        elif self.int_mode:
            lengths = [len(self._whole(v)) for v in values]  # includes the trailing "."
        else:
            lengths = [len(self._fixed(v)) for v in values]
        self.width = max(self.width, *lengths)

    @staticmethod
    def _wants_sci_mode(magnitudes: np.ndarray) -> bool:
        """Fixed point would show too many zeros or lose small values: switch to 1.0e+09."""
        if _OPTIONS.sci_mode is not None:
            return _OPTIONS.sci_mode
        largest, smallest = float(magnitudes.max()), float(magnitudes.min())
        return largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4

    @staticmethod
    def _sci(value: float) -> str:
        return f"{value:.{_OPTIONS.precision}e}"

    @staticmethod
    def _fixed(value: float) -> str:
        return f"{value:.{_OPTIONS.precision}f}"

    @staticmethod
    def _whole(value: float) -> str:
        # The "." marks the number as a float; "inf" and "nan" are plainly floats already.
        text = f"{value:.0f}"
        return text if math.isinf(value) or math.isnan(value) else text + "."

    def format(self, value: float | int | bool) -> str:
        if not self.is_float:
            text = str(value)
        elif self.sci_mode:
            text = self._sci(float(value))
        elif self.int_mode:
            text = self._whole(float(value))
        else:
            text = self._fixed(float(value))
        return text.rjust(self.width)


# --------------------------------------------------------------------------------------------
# Step 3: brackets, wrapping and indentation
# --------------------------------------------------------------------------------------------


def _is_cut(length: int, summarize: bool) -> bool:
    """Whether an axis of this length loses its middle entries to "..."."""
    return summarize and length > 2 * _OPTIONS.edgeitems


def _vector_str(row: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """A 1-D array: ``[a, b, c]``, wrapped so each line holds as many elements as fit.

    ``indent`` is the column of the opening bracket; wrapped lines start one column right of
    it, under the first element.
    """
    edge = _OPTIONS.edgeitems
    if summarize and edge == 0:
        items = ["..."]
    elif _is_cut(len(row), summarize):
        head = [fmt.format(v) for v in row[:edge].tolist()]
        tail = [fmt.format(v) for v in row[-edge:].tolist()]
        items = [*head, " ...", *tail]  # the space keeps "..." clear of the comma before it
    else:
        items = [fmt.format(v) for v in row.tolist()]

    # Every element costs its width plus ", ". Always at least one per line.
    per_line = max(1, (_OPTIONS.linewidth - indent) // (fmt.width + 2))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Any number of dimensions, recursively: a bracket around the sub-arrays of axis 0."""
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)

    edge = _OPTIONS.edgeitems
    if _is_cut(len(data), summarize):
        kept = list(range(edge))
        dropped = list(range(len(data) - edge, len(data)))
        parts = [_nested_str(data[i], indent + 1, summarize, fmt) for i in kept]
        parts.append("...")
        parts += [_nested_str(data[i], indent + 1, summarize, fmt) for i in dropped]
    else:
        parts = [_nested_str(sub, indent + 1, summarize, fmt) for sub in data]

    # Deeper blocks are set apart by more line breaks: a matrix's rows by one newline, the
    # matrices of a 3-D tensor by a blank line, and so on.
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _body_str(data: np.ndarray, indent: int) -> str:
    """The bracketed values of a tensor whose opening bracket sits at column ``indent``."""
    if data.size == 0:
        return "[]"
    summarize = data.size > _OPTIONS.threshold
    fmt = _Formatter(_shown_elements(data, summarize))
    return _nested_str(data, indent, summarize, fmt)


# --------------------------------------------------------------------------------------------
# Step 4: suffixes
# --------------------------------------------------------------------------------------------


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int, force_newline: bool) -> str:
    """Append ``, suffix`` for each suffix and the closing ``)``.

    A suffix that would overflow the line goes on a line of its own, aligned under the first
    character after the prefix.
    """
    # torch's estimate of the last line's length is two more than its real length (it counts
    # from one before the "\n"); we reproduce that, or we would wrap at different places.
    line_len = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if force_newline or line_len + len(suffix) + 2 > _OPTIONS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
            force_newline = False
        else:
            pieces.append(", " + suffix)
            line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _size_str(shape: Sequence[int]) -> str:
    return "size=" + str(tuple(int(n) for n in shape))


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def tensor_repr(data: np.ndarray, extras: Sequence[str] = (), prefix: str = "tensor(") -> str:
    """What ``repr(torch.from_numpy(data))`` prints, with ``extras`` appended after the dtype.

    ``extras`` are further suffixes in torch's order, e.g. ``["requires_grad=True"]`` or
    ``["grad_fn=<AddBackward0>"]``. ``prefix`` is the text before the values; continuation
    lines are indented by its length.
    """
    data = np.asarray(data)
    dtype_name = _torch_dtype_name(data.dtype)
    indent = len(prefix)
    suffixes: list[str] = []

    if data.size == 0:
        # No values to look at: say the shape (unless it is the plain (0,)), and the dtype
        # unless it is the default float dtype.
        if data.ndim != 1:
            suffixes.append(_size_str(data.shape))
        if dtype_name != _DEFAULT_FLOAT:
            suffixes.append("dtype=" + dtype_name)
        body = "[]"
    else:
        if _OPTIONS.edgeitems == 0:
            # With no edge items everything summarised shows as "...", so torch states the
            # shape; it does so for every nonempty tensor, summarised or not.
            suffixes.append(_size_str(data.shape))
        if dtype_name not in _IMPLIED_DTYPES:
            suffixes.append("dtype=" + dtype_name)
        body = _body_str(data, indent)

    suffixes.extend(extras)
    return _add_suffixes(prefix + body, suffixes, indent, force_newline=False)


def sparse_coo_repr(
    indices: np.ndarray,
    values: np.ndarray,
    size: tuple[int, ...],
    extras: Sequence[str] = (),
) -> str:
    """What torch prints for a sparse COO tensor.

    ``indices`` is the ``(sparse_dims, nnz)`` integer array, ``values`` the ``(nnz, *dense)``
    array, ``size`` the full shape. The gradient of ``Embedding(V, D, sparse=True)`` for
    instance has ``indices`` of shape ``(1, nnz)``, ``values`` of shape ``(nnz, D)`` and
    ``size == (V, D)``. Torch always puts the suffixes (size, nnz, dtype, layout, then
    ``extras``) on a new line.
    """
    indices = np.asarray(indices)
    values = np.asarray(values)
    if indices.ndim != 2 or values.ndim < 1 or indices.shape[1] != values.shape[0]:
        raise ValueError(
            f"expected indices of shape (sparse_dims, nnz) and values of shape (nnz, ...), "
            f"got {indices.shape} and {values.shape}"
        )
    prefix = "tensor("
    indent = len(prefix)

    def part(name: str, array: np.ndarray) -> str:
        # Each part is printed like a tensor of its own, indented under its own "name=tensor(".
        part_prefix = f"{name}=tensor("
        body = _body_str(array, indent + len(part_prefix))
        if array.size == 0:
            body += ", " + _size_str(array.shape)
        return part_prefix + body + ")"

    body = part("indices", indices) + ",\n" + " " * indent + part("values", values)

    suffixes = [_size_str(size), f"nnz={indices.shape[1]}"]
    dtype_name = _torch_dtype_name(values.dtype)
    if dtype_name not in _IMPLIED_DTYPES:
        suffixes.append("dtype=" + dtype_name)
    suffixes.append("layout=torch.sparse_coo")
    suffixes.extend(extras)
    return _add_suffixes(prefix + body, suffixes, indent, force_newline=True)
