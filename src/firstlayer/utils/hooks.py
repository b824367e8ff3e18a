"""``RemovableHandle``: what ``register_*_hook`` returns, as ``torch.utils.hooks`` has it.

The optimizers keep their hooks in ordered dicts keyed by the handle's ``id``; removing a
handle deletes its entry (from every dict it was registered in), so a removed hook never runs.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class RemovableHandle:
    """A handle that removes the hook it was returned for: ``handle.remove()``, or leave a
    ``with handle:`` block.

    Args:
        hooks_dict: the ordered dict the hook is stored in (under ``handle.id``).

    >>> hooks = OrderedDict()
    >>> handle = RemovableHandle(hooks)
    >>> hooks[handle.id] = print
    >>> handle.remove(); len(hooks)
    0
    """

    next_id: int = 0  # shared by all handles, as in torch: ids never repeat

    def __init__(self, hooks_dict: OrderedDict[int, Any]) -> None:
        self.hooks_dict_ref = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        """Unregister the hook (a no-op when it is already gone)."""
        self.hooks_dict_ref.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()

    def __getstate__(self) -> tuple[OrderedDict[int, Any], int]:
        return (self.hooks_dict_ref, self.id)

    def __setstate__(self, state: tuple[OrderedDict[int, Any], int]) -> None:
        self.hooks_dict_ref, self.id = state
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
