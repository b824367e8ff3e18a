"""``firstlayer.backends``: torch's backend queries, answered for a CPU-only library.

>>> from firstlayer.backends import mps
>>> mps.is_available()
False
"""

from . import mps

__all__ = ["mps"]
