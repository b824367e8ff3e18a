"""``LoadReport``: what a load found, attached to the result as ``kv.load_report``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadReport:
    """What :func:`firstlayer.vectors.load` read and kept.

    Attributes:
        format: ``"word2vec"``, ``"glove"``, ``"word2vec-binary"`` or ``"cache"``.
        compression: ``"gzip"``, ``"bz2"``, ``"xz"`` or ``None``.
        count: vectors kept (rows of the matrix).
        dim: their dimension.
        duplicates_dropped: later copies of a key already read (the first one is kept).
        lines_repaired: keys whose bytes were not valid in the encoding and were repaired by
            ``unicode_errors="replace"``/``"ignore"``.
        found_exact: with ``vocab=``: vocabulary words found as they are.
        found_lowercase: with ``vocab=`` and ``lower_case_backup=True``: words found only as
            ``word.lower()``.
        missing: with ``vocab=``: the vocabulary words not found, in vocabulary order.
        header_count: the vector count the file's header promised (``None``: no header).
        bad_lines: with ``on_bad_lines="warn"``/``"skip"``: the numbers (1-based, the header
            is line 1) of the lines left out because they are not ``word x1 ... xdim``;
            ``None`` otherwise (a bad line is an error).

    >>> report = LoadReport("glove", None, count=2, dim=3)
    >>> report.count, report.duplicates_dropped, report.missing
    (2, 0, None)
    """

    format: str
    compression: str | None
    count: int
    dim: int
    duplicates_dropped: int = 0
    lines_repaired: int = 0
    found_exact: int | None = None
    found_lowercase: int | None = None
    missing: list[str] | None = field(default=None, repr=False)
    header_count: int | None = None
    bad_lines: list[int] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        parts = [
            f"format={self.format!r}",
            f"compression={self.compression!r}",
            f"count={self.count}",
            f"dim={self.dim}",
            f"duplicates_dropped={self.duplicates_dropped}",
            f"lines_repaired={self.lines_repaired}",
        ]
        if self.found_exact is not None:
            parts.append(f"found_exact={self.found_exact}")
            parts.append(f"found_lowercase={self.found_lowercase}")
            parts.append(f"missing={len(self.missing or [])}")
        if self.header_count is not None:
            parts.append(f"header_count={self.header_count}")
        if self.bad_lines is not None:
            parts.append(f"bad_lines={len(self.bad_lines)}")
        return f"LoadReport({', '.join(parts)})"
