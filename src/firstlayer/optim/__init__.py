"""``firstlayer.optim``: optimizers that take dense and row-sparse gradients, and
``lr_scheduler``.

Every optimizer writes torch's update formula in its docstring, accepts the row-sparse
gradients of ``Embedding(sparse=True)`` (with a documented "lazy" rule where a dense update
would touch every row), and leaves rows frozen with ``Embedding.freeze_rows`` untouched.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SparseAdam", "lr_scheduler",
]
