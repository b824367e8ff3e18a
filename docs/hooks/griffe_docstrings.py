"""A griffe extension that lets the docstrings stay as they are written for ``help()`` and
doctest, and still read well on the site.

The docstrings follow the project's style: ``>>>`` examples at the end, without an
``Examples:`` heading, and a few reStructuredText roles (``:class:`Vocab```). Markdown would
read a ``>>>`` line as three nested quotes and ``x[0][1]`` in it as a link, so each run of
``>>>`` lines (with its output, up to the next blank line) is put in a ``pycon`` code block,
and a role becomes plain code. Only the text that is rendered changes; the source does not.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj):`(~?)([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each run of ``>>>`` lines and their output in a fenced ``pycon`` block."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(f"{indent}```")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def plain_roles(text: str) -> str:
    """``:class:`~a.b.C``` -> ```C```, ``:meth:`f``` -> ```f```."""

    def code(m: re.Match[str]) -> str:
        name = m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2)
        return f"`{name}`"

    return _ROLE.sub(code, text)


class DoctestBlocks(griffe.Extension):
    """Rewrites each docstring once, when its object is loaded."""

    def _fix(self, obj: griffe.Object) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(fence_doctests(obj.docstring.value))

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        self._fix(obj)
