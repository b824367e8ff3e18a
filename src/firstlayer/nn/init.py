"""Ways to fill a layer's weights before training: PyTorch's ``torch.nn.init``.

Every function here fills its tensor *in place* and returns that same tensor, so both
``nn.init.zeros_(layer.bias)`` and ``w = nn.init.xavier_uniform_(torch.empty(3, 5))`` work.
They write straight into the tensor's NumPy array (``tensor._data``): an initialisation is not
part of the model's computation, so autograd must not record it. That is what PyTorch does with
``torch.no_grad()``, and it is why these functions work on an ``nn.Parameter`` that requires
grad, where an ordinary in-place op would raise.

Randomness comes from ``generator`` (a ``firstlayer.Generator``) or, without one, from the
default generator that ``firstlayer.manual_seed`` seeds. The bit stream is NumPy's, not
PyTorch's, so the same seed gives the same *distribution* as PyTorch but different numbers.

``uniform_``, ``normal_``, ``xavier_*`` and ``kaiming_*`` fill large tensors in pieces of 4M
draws, with the same numbers as one draw of the whole tensor: a memory-mapped table larger than
memory (``firstlayer.from_file(...).view(V, D)``) is initialised with bounded memory.

Most schemes pick a scale from the tensor's "fans": for a ``Linear`` weight of shape
``(out_features, in_features)``, ``fan_in = in_features`` and ``fan_out = out_features``; for a
convolution weight ``(out_channels, in_channels, *kernel)`` both are multiplied by the kernel's
size (its "receptive field").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .._errors import TypeNotImplementedError, ValueRuntimeError
from .._random import Generator, rng

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    # Deprecated spellings without the trailing underscore, kept by PyTorch for old code.
    "uniform",
    "normal",
    "constant",
    "eye",
    "dirac",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "orthogonal",
    "sparse",
]

_NonlinearityType = Literal[
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]
_FanMode = Literal["fan_in", "fan_out"]


# PyTorch's names for dtypes in its "not implemented for 'Long'" messages.
_TORCH_SCALAR_NAMES = {"bool": "Bool", "int32": "Int", "int64": "Long"}


# ---- helpers ----------------------------------------------------------------------------------
def _check_floating_point(tensor: Tensor, fn: str, kernel: str) -> None:
    """Random values are real numbers: refuse to squeeze them into an integer tensor.

    ``kernel`` is the name PyTorch's error mentions (the sampler that refuses the dtype).
    """
    if tensor.dtype.is_floating_point:
        return
    name = _TORCH_SCALAR_NAMES.get(tensor.dtype.name, tensor.dtype.name)
    raise TypeNotImplementedError(
        f"\"{kernel}\" not implemented for '{name}': nn.init.{fn} fills the tensor with random "
        f"real numbers, so it needs a floating-point tensor (float16, float32 or float64), "
        f"got dtype {tensor.dtype}. Create it with a float dtype or convert it with .float()."
    )


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` (an array of the tensor's shape, or a scalar) into ``tensor`` in place.

    Assigning into ``_data[...]`` keeps the same array (views of it see the change) and casts to
    its dtype, so float64 samples become float32 weights and 3.7 becomes 3 in an int tensor.
    """
    tensor._data[...] = values
    return tensor


# Elements drawn at a time by _fill_drawn: 32 MiB of float64 samples.
_DRAW_CHUNK = 1 << 22


def _fill_drawn(tensor: Tensor, draw: Callable[[Any], np.ndarray]) -> Tensor:
    """Fill ``tensor`` in place with ``draw(size)`` samples, a piece at a time when it is large.

    NumPy's generators draw in sequence, so pieces of ``_DRAW_CHUNK`` draws give the same
    numbers as one draw of the whole shape, while the float64 samples in memory at once stay
    at 32 MiB: a memory-mapped table larger than memory (``firstlayer.from_file``) can be
    initialised this way, its pages written to the file as they fill.
    """
    arr = tensor._data
    n = arr.size
    if n <= _DRAW_CHUNK or not arr.flags.c_contiguous:
        return _fill(tensor, draw(tensor.shape))
    flat = arr.reshape(-1)  # a view: arr is contiguous
    for i in range(0, n, _DRAW_CHUNK):
        j = min(i + _DRAW_CHUNK, n)
        flat[i:j] = draw(j - i)
    return tensor


def _norm_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z."""
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


# ---- gains and fans ---------------------------------------------------------------------------
def calculate_gain(nonlinearity: _NonlinearityType, param: int | float | None = None) -> float:
    """Return the recommended gain for a nonlinearity: how much to scale the init's spread.

    An activation such as ReLU zeroes half its inputs and so halves the variance of what passes
    through it; the gain makes up for that, so signals keep their size from layer to layer.

    ================= ==================================
    nonlinearity      gain
    ================= ==================================
    linear, conv*     1
    sigmoid           1
    tanh              5 / 3
    relu              sqrt(2)
    leaky_relu        sqrt(2 / (1 + negative_slope ** 2))
    selu              3 / 4
    ================= ==================================

    Args:
        nonlinearity: the activation's ``nn.functional`` name, e.g. ``"relu"``.
        param: ``leaky_relu``'s negative slope (default 0.01); ignored by the others.

    >>> nn.init.calculate_gain("leaky_relu", 0.2)  # leaky_relu with negative_slope=0.2
    1.3867504905630728
    """
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01  # nn.LeakyReLU's default slope
        # True and False are ints in Python, but a slope of True is surely a mistake.
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        # Found empirically (https://github.com/pytorch/pytorch/pull/50664).
        return 3.0 / 4
    raise ValueError(
        f"Unsupported nonlinearity {nonlinearity}; use one of "
        f"{[*linear_fns, 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']}"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)``: how many inputs feed each output unit, and vice versa.

    fan_in  = size(1) * receptive_field
    fan_out = size(0) * receptive_field
    where receptive_field is the product of the sizes after the first two (1 for a matrix).

    >>> nn.init._calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5))  # a conv2d weight
    (75, 400)
    """
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)}); fans are defined for weights of shape "
            "(out_features, in_features, *kernel_size)"
        )
    num_input_fmaps = tensor.shape[1]
    num_output_fmaps = tensor.shape[0]
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    fan_in = num_input_fmaps * receptive_field_size
    fan_out = num_output_fmaps * receptive_field_size
    return fan_in, fan_out


def _calculate_correct_fan(tensor: Tensor, mode: _FanMode) -> int:
    """Return the fan that ``mode`` names: ``"fan_in"`` or ``"fan_out"`` (any letter case)."""
    lowered = mode.lower()  # torch accepts "FAN_IN" too
    valid_modes = ["fan_in", "fan_out"]
    if lowered not in valid_modes:
        raise ValueError(f"Mode {lowered} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if lowered == "fan_in" else fan_out


# ---- plain distributions ----------------------------------------------------------------------
def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with values drawn from the uniform distribution U(a, b).

    Args:
        tensor: an n-dimensional floating-point tensor.
        a: the lower bound of the distribution.
        b: the upper bound of the distribution.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.uniform_(w, -0.1, 0.1) is w  # filled in place and returned
    True
    """
    _check_floating_point(tensor, "uniform_", "check_uniform_bounds")
    if a > b:
        raise ValueRuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}"
        )
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.uniform(a, b, size))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with values drawn from the normal distribution N(mean, std²).

    Args:
        tensor: an n-dimensional floating-point tensor.
        mean: the mean of the normal distribution.
        std: the standard deviation of the normal distribution (>= 0).
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.normal_(w, std=0.02) is w
    True
    """
    _check_floating_point(tensor, "normal_", "normal_kernel_cpu")
    if std < 0:
        raise ValueRuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.normal(mean, std, size))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with values from N(mean, std²) truncated to the interval [a, b].

    The values follow the normal distribution restricted to [a, b] (values outside are, in
    effect, redrawn until they fall inside). ``a`` and ``b`` are absolute bounds, not numbers
    of standard deviations: ``trunc_normal_(w, std=0.02)`` keeps the default [-2, 2], which
    then truncates nothing.

    Sampling is exact, as in PyTorch 2.13, by one of two rejection samplers:

    * when [a, b] holds more than 30% of the normal's mass, draw from the normal and redraw
      the values that fall outside;
    * otherwise draw uniformly on [a, b] and keep a draw x with probability
      pdf(x) / pdf(peak), where peak is the point of [a, b] nearest the mean.

    Args:
        tensor: an n-dimensional floating-point tensor.
        mean: the mean of the normal distribution.
        std: the standard deviation of the normal distribution (> 0).
        a: the minimum value (absolute; may be ``-math.inf`` if [a, b] holds >30% of the mass).
        b: the maximum value (absolute; may be ``math.inf`` likewise).
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = nn.init.trunc_normal_(torch.empty(3, 5), std=0.5, a=-1.0, b=1.0)
    >>> -1.0 <= float(w.min()) and float(w.max()) <= 1.0
    True
    """
    _check_floating_point(tensor, "trunc_normal_", "normal_kernel_cpu")
    if not std > 0:
        raise ValueError(f"trunc_normal_ expects std > 0, but found std {std:g}")
    if a > b:
        raise ValueRuntimeError(f"trunc_normal_ expects a <= b, but found a={a} > b={b}")
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )

    g = rng(generator)
    n = tensor.numel()
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if mass > 0.3:
        samples = _redraw_outside(g, n, mean, std, a, b)
    elif math.isinf(a) or math.isinf(b):
        raise ValueRuntimeError(
            f"trunc_normal_ can't sample [{a}, {b}] with mean={mean}, std={std}: the interval "
            f"holds only {mass:.3g} of the normal's mass, too little to redraw from the normal, "
            "and it is unbounded, so it can't be sampled uniformly either; give finite a and b"
        )
    else:
        samples = _accept_uniform_draws(g, n, mean, std, a, b)

    # Rounding a float64 sample to float32 (or float16) can push it just past a bound that the
    # smaller type can't represent exactly (b = 0.1, say); clip to the representable values
    # inside [a, b] so the promise "every value lies in [a, b]" holds in the tensor's own dtype.
    np_dtype = tensor._data.dtype
    lo, hi = _representable_inside(a, b, np_dtype)
    values = np.clip(samples.astype(np_dtype), lo, hi)
    return _fill(tensor, values.reshape(tensor.shape))


def _redraw_outside(
    g: np.random.Generator, n: int, mean: float, std: float, a: float, b: float
) -> np.ndarray:
    """``n`` draws from N(mean, std²), redrawing those outside [a, b] until none are."""
    samples = g.normal(mean, std, n)
    outside = (samples < a) | (samples > b)
    while outside.any():
        samples[outside] = g.normal(mean, std, int(outside.sum()))
        outside = (samples < a) | (samples > b)
    return samples


def _accept_uniform_draws(
    g: np.random.Generator, n: int, mean: float, std: float, a: float, b: float
) -> np.ndarray:
    """``n`` draws of N(mean, std²) on [a, b] by rejection from U(a, b).

    A candidate x is kept with probability pdf(x) / pdf(peak) (at most 1, since the normal's
    density on [a, b] is highest at ``peak``, the point of [a, b] nearest the mean). Kept
    candidates are then distributed exactly as the truncated normal.
    """
    peak = max(a, min(mean, b))
    log_pdf_peak = -0.5 * ((peak - mean) / std) ** 2
    samples = np.empty(n)
    pending = np.arange(n)  # positions still without an accepted draw
    while pending.size:
        x = g.uniform(a, b, pending.size)
        log_ratio = -0.5 * ((x - mean) / std) ** 2 - log_pdf_peak
        # log(1 - U) with U in [0, 1) is never log(0), unlike log(U).
        accept = np.log1p(-g.random(pending.size)) <= log_ratio
        samples[pending[accept]] = x[accept]
        pending = pending[~accept]
    return samples


def _representable_inside(a: float, b: float, np_dtype: np.dtype) -> tuple[Any, Any]:
    """The smallest value >= a and the largest value <= b that ``np_dtype`` can hold."""
    lo = np_dtype.type(a)
    if float(lo) < a:  # float() is exact; comparing in float32 would hide the rounding
        lo = np.nextafter(lo, np_dtype.type(np.inf))
    hi = np_dtype.type(b)
    if float(hi) > b:
        hi = np.nextafter(hi, np_dtype.type(-np.inf))
    return lo, hi


# ---- constants and structured matrices --------------------------------------------------------
def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with the value ``val`` (cast to its dtype, as ``fill_`` does).

    Args:
        tensor: an n-dimensional tensor, of any dtype.
        val: the value to fill it with.

    >>> nn.init.constant_(torch.empty(2, 3), 0.5)
    tensor([[0.5000, 0.5000, 0.5000],
            [0.5000, 0.5000, 0.5000]])
    """
    return _fill(tensor, np.asarray(val))


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with the scalar value 1.

    Args:
        tensor: an n-dimensional tensor, of any dtype.

    >>> nn.init.ones_(torch.empty(2, 3))
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with the scalar value 0 (the usual init for biases).

    Args:
        tensor: an n-dimensional tensor, of any dtype.

    >>> nn.init.zeros_(torch.empty(2, 3))
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill the 2-D ``tensor`` with the identity matrix: ones on the diagonal, zeros elsewhere.

    A ``Linear`` layer with this weight passes as many of its inputs through unchanged as its
    shape allows (all of them when it is square).

    Args:
        tensor: a 2-dimensional tensor, of any dtype.

    >>> nn.init.eye_(torch.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if tensor.dim() != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})"
        )
    rows, cols = tensor.shape
    return _fill(tensor, np.eye(rows, cols))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill the {3, 4, 5}-D ``tensor`` with the Dirac delta: a convolution that copies its input.

    The weight has shape ``(out_channels, in_channels, *kernel)``. Output channel d of each
    group gets a single 1 at input channel d, in the centre of the kernel (index size // 2 on
    each kernel axis); everything else is 0. So the convolution passes through as many input
    channels as it has outputs per group, unchanged.

    Args:
        tensor: a 3-, 4- or 5-dimensional tensor (conv1d, conv2d, conv3d weight), any dtype.
        groups: the conv layer's number of groups; ``tensor.shape[0]`` must divide by it.

    >>> nn.init.dirac_(torch.empty(2, 2, 3))
    tensor([[[0., 1., 0.],
             [0., 0., 0.]],
    <BLANKLINE>
            [[0., 0., 0.],
             [0., 1., 0.]]])
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError(
            "Only tensors with 3, 4, or 5 dimensions are supported "
            f"(got shape {tuple(tensor.shape)})"
        )
    # torch fails here with a ZeroDivisionError (or silently for negative groups): say why.
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError(
            f"dim 0 must be divisible by groups (dim 0 is {sizes[0]}, groups is {groups})"
        )

    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    centre = tuple(s // 2 for s in sizes[2:])  # the middle of the kernel on each axis

    tensor._data[...] = 0
    for g in range(groups):
        for d in range(min_dim):
            tensor._data[(g * out_chans_per_grp + d, d) + centre] = 1
    return tensor


# ---- scaled to the layer's size: Xavier / Glorot and Kaiming / He -----------------------------
def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with U(-bound, bound), the Xavier (Glorot) uniform initialisation.

        bound = gain * sqrt(6 / (fan_in + fan_out))

    That is, std = gain * sqrt(2 / (fan_in + fan_out)), a compromise that keeps the variance
    of activations (forward) and of gradients (backward) about the same from layer to layer
    (Glorot & Bengio, 2010). See ``_calculate_fan_in_and_fan_out`` for the fans.

    Args:
        tensor: a floating-point tensor with at least 2 dimensions.
        gain: an optional scaling factor, e.g. ``calculate_gain("tanh")``.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu")) is w
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # U(-b, b) has std b / sqrt(3)
    _check_floating_point(tensor, "xavier_uniform_", "check_uniform_bounds")
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.uniform(-bound, bound, size))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` with N(0, std²), the Xavier (Glorot) normal initialisation.

        std = gain * sqrt(2 / (fan_in + fan_out))

    Args:
        tensor: a floating-point tensor with at least 2 dimensions.
        gain: an optional scaling factor, e.g. ``calculate_gain("tanh")``.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.xavier_normal_(w) is w
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    _check_floating_point(tensor, "xavier_normal_", "normal_kernel_cpu")
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.normal(0.0, std, size))


def _kaiming_std(
    tensor: Tensor, a: float, mode: _FanMode, nonlinearity: _NonlinearityType
) -> float:
    """std = gain / sqrt(fan), with ``fan`` picked by ``mode`` and the gain of ``nonlinearity``."""
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: _FanMode = "fan_in",
    nonlinearity: _NonlinearityType = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with U(-bound, bound), the Kaiming (He) uniform initialisation.

        bound = gain * sqrt(3 / fan_mode)

    That is, std = gain / sqrt(fan_mode), which keeps the variance of activations (with
    ``mode="fan_in"``) or of gradients (``mode="fan_out"``) constant through layers followed by
    a ReLU-like nonlinearity (He et al., 2015). This is how ``nn.Linear`` initialises its weight
    (with ``a=math.sqrt(5)``).

    Args:
        tensor: a floating-point tensor with at least 2 dimensions, shaped like a ``Linear``
            weight ``(out_features, in_features)`` (pass ``w.T`` if you use ``x @ w``).
        a: the negative slope of the leaky ReLU after this layer (only used with
            ``"leaky_relu"``; 0 gives the ReLU gain sqrt(2)).
        mode: ``"fan_in"`` (default) preserves the variance in the forward pass,
            ``"fan_out"`` in the backward pass.
        nonlinearity: the activation's ``nn.functional`` name; best with ``"relu"`` or
            ``"leaky_relu"`` (default).
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu") is w
    True
    """
    if 0 in tensor.shape:
        # Nothing to fill, and the fans could be 0; torch warns instead of failing.
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std  # U(-b, b) has std b / sqrt(3)
    _check_floating_point(tensor, "kaiming_uniform_", "check_uniform_bounds")
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.uniform(-bound, bound, size))


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: _FanMode = "fan_in",
    nonlinearity: _NonlinearityType = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with N(0, std²), the Kaiming (He) normal initialisation.

        std = gain / sqrt(fan_mode)

    Args:
        tensor: a floating-point tensor with at least 2 dimensions, shaped like a ``Linear``
            weight ``(out_features, in_features)`` (pass ``w.T`` if you use ``x @ w``).
        a: the negative slope of the leaky ReLU after this layer (only used with
            ``"leaky_relu"``).
        mode: ``"fan_in"`` (default) preserves the variance in the forward pass,
            ``"fan_out"`` in the backward pass.
        nonlinearity: the activation's ``nn.functional`` name; best with ``"relu"`` or
            ``"leaky_relu"`` (default).
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu") is w
    True
    """
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    _check_floating_point(tensor, "kaiming_normal_", "normal_kernel_cpu")
    g = rng(generator)
    return _fill_drawn(tensor, lambda size: g.normal(0.0, std, size))


# ---- orthogonal and sparse --------------------------------------------------------------------
def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    The tensor is viewed as a matrix W of shape (rows, cols) = (size(0), numel / size(0)).
    Then W Wᵀ = gain² I when rows <= cols, and Wᵀ W = gain² I when rows >= cols.

    How: take a (rows, cols) matrix of N(0, 1) samples (transposed if wide, so it is tall),
    factor it as Q R, and flip the sign of each column of Q where R's diagonal is negative.
    That sign fix makes Q uniformly distributed over orthogonal matrices (Mezzadri, 2006,
    https://arxiv.org/abs/math-ph/0609050); a plain QR would favour some directions.

    Args:
        tensor: a floating-point tensor with at least 2 dimensions.
        gain: an optional scaling factor.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = torch.empty(3, 5)
    >>> nn.init.orthogonal_(w) is w
    True
    """
    if tensor.dim() < 2:
        raise ValueError(
            "Only tensors with 2 or more dimensions are supported "
            f"(got shape {tuple(tensor.shape)})"
        )
    if tensor.numel() == 0:
        return tensor  # nothing to fill
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    _check_floating_point(tensor, "orthogonal_", "normal_kernel_cpu")
    # float64 for the factorisation: it is accurate, and NumPy's QR has no float16.
    flattened = rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flattened = flattened.T

    q, r = np.linalg.qr(flattened)  # q: (max, min) with orthonormal columns
    q *= np.sign(np.diag(r))  # flip column j of q when r[j, j] < 0

    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """Fill the 2-D ``tensor`` as a sparse matrix (Martens, 2010).

    Every entry is drawn from N(0, std²), then in each column ceil(sparsity * rows) entries,
    at random rows, are set to 0.

    Args:
        tensor: a 2-dimensional floating-point tensor.
        sparsity: the fraction of each column to set to zero, in [0, 1].
        std: the standard deviation of the normal distribution of the non-zero values.
        generator: the ``firstlayer.Generator`` to draw from (default: the global one).

    >>> w = nn.init.sparse_(torch.empty(4, 3), sparsity=0.5)
    >>> int((w == 0).sum())  # ceil(0.5 * 4) = 2 zeros in each of the 3 columns
    6
    """
    if tensor.dim() != 2:
        raise ValueError(
            f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})"
        )
    # torch accepts any number here; a negative one silently zeroes almost every row.
    if not 0 <= sparsity <= 1:
        raise ValueError(
            f"sparsity is a fraction of each column and must be in [0, 1], got {sparsity}"
        )
    _check_floating_point(tensor, "sparse_", "normal_kernel_cpu")

    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    g = rng(generator)
    values = g.normal(0.0, std, (rows, cols))
    for col_idx in range(cols):
        zero_rows = g.permutation(rows)[:num_zeros]  # num_zeros distinct random rows
        values[zero_rows, col_idx] = 0
    return _fill(tensor, values)


# ---- deprecated aliases -----------------------------------------------------------------------
def _make_deprecate(meth: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``nn.init.uniform`` and friends: the old names, which warn and call the new ones."""
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated: use ``nn.init.{new_name}``, which this calls."
    deprecated_init.__name__ = old_name
    deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
