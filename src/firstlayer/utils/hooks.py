"""``RemovableHandle``: what ``register_*_hook`` returns, as ``torch.utils.hooks`` has it.

Hooks live in ordered dicts keyed by the handle's ``id``; removing a handle deletes its entry
(and the entries under the same id in its ``extra_dict``\\s, e.g. a module's "with kwargs" and
"always call" flags), so a removed hook never runs. Like torch, a handle holds its dicts weakly:
it does not keep a module or tensor alive.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


def _ref(d: Any) -> Callable[[], Any]:
    # A plain dict can't be weakly referenced (an OrderedDict can): hold that one strongly.
    try:
        return weakref.ref(d)
    except TypeError:
        return lambda: d


class RemovableHandle:
    """A handle that removes the hook it was returned for: ``handle.remove()``, or leave a
    ``with handle:`` block.

    Args:
        hooks_dict: the ordered dict the hook is stored in (under ``handle.id``).
        extra_dict: a dict, or a list of dicts, whose entry under ``handle.id`` is deleted
            along with the hook's.

    >>> hooks = OrderedDict()
    >>> handle = RemovableHandle(hooks)
    >>> hooks[handle.id] = print
    >>> handle.remove(); len(hooks)
    0
    """

    id: int
    next_id: int = 0  # shared by all handles, as in torch: ids never repeat

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = _ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (_ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(_ref(d) for d in extra_dict)

    def remove(self) -> None:
        """Unregister the hook (a no-op when it is already gone)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()

    def __getstate__(self) -> tuple:
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state: tuple) -> None:
        self.hooks_dict_ref = _ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extra = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(_ref(d) for d in extra if d is not None)
