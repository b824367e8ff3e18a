"""``firstlayer.optim``: optimizers that take dense and row-sparse gradients, and
``lr_scheduler``.

Every optimizer writes torch's update formula in its docstring, accepts the row-sparse
gradients of ``Embedding(sparse=True)`` (with a documented "lazy" rule where a dense update
would touch every row), and leaves rows frozen with ``Embedding.freeze_rows`` untouched.

Each takes its torch namesake's exact arguments (``foreach``, ``fused``, ``capturable``,
``differentiable``, ``lr`` as a tensor, ``named_parameters()``) and keeps ``param_groups``,
``state_dict()`` and ``repr`` as torch does; ``foreach``/``fused`` change no value (there is one
implementation), ``differentiable=True`` raises NotImplementedError. Step and state-dict hooks
(``register_step_pre_hook``...) run as in torch.

State kept per row of a ``(V, D)`` table (in elements of the table's dtype; a sparse step
reads and writes only the present rows of the table and of its state):

=====================================  ==============  ========================================
optimizer                              state per row   notes
=====================================  ==============  ========================================
SGD                                    0               ``momentum > 0``: D (``momentum_buffer``)
RowWiseAdagrad                         1               ``sum``: one accumulator per row
Adagrad                                D               ``sum``
RMSprop                                D               + D with momentum, + D if centered
Adam, AdamW                            2 D             + D with ``amsgrad``
SparseAdam                             2 D             ``exp_avg``, ``exp_avg_sq``
=====================================  ==============  ========================================

For a 2^27 x 64 float32 table (34 GB) that is 0.5 GB of state for RowWiseAdagrad and 34 GB
for Adagrad. Zero-initialised states are allocated lazily (their pages cost memory once
touched); ``RowWiseAdagrad(..., state_dir=...)`` keeps its accumulators in mapped files.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rowwise_adagrad import RowWiseAdagrad
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "RowWiseAdagrad", "SparseAdam",
    "lr_scheduler",
]
