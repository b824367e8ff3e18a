"""Vocabularies: tokens <-> ids, with torchtext's names, ordering and behaviour.

A ``Vocab`` is the seed's ``{"我": 0, "你": 1}`` with the bookkeeping done for you: the list of
tokens in id order (``get_itos()``), the reverse mapping (``get_stoi()``), and an optional
*default index* returned for tokens it has never seen.

Build one from tokenized text with ``build_vocab_from_iterator`` (most frequent first, ties in
token order, exactly as torchtext), from counts with ``vocab(ordered_dict)``, from a list with
``Vocab(tokens)`` or from a mapping with ``Vocab.from_stoi``. Save it as JSON with ``save`` and
read it back with ``Vocab.load``.

Coming from torchtext, only the import changes::

    from torchtext.vocab import vocab, Vocab, build_vocab_from_iterator       # before
    from firstlayer.text.vocab import vocab, Vocab, build_vocab_from_iterator  # after

Differences from torchtext: errors are ``KeyError`` (unknown token), ``IndexError`` (index out of
range) and ``ValueError`` (duplicate token) that are also ``RuntimeError`` (what torchtext
raises), and they say how to fix the call; ``vocab()`` does not remove the specials from the
dict you pass in; ``Vocab`` is not an ``nn.Module`` (there is nothing to train in it).

>>> v = build_vocab_from_iterator([["我", "你", "我"]], specials=["<unk>"])
>>> v.get_itos()
['<unk>', '我', '你']
>>> v.set_default_index(v["<unk>"])
>>> v(["你", "他"])
[2, 0]
"""

from __future__ import annotations

import itertools
import json
import numbers
import operator
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import _check as check
from .._atomic import atomic_write
from .._errors import ValueRuntimeError

__all__ = ["Vocab", "VocabIndexError", "VocabKeyError", "build_vocab_from_iterator", "vocab"]

FORMAT = "firstlayer.text.Vocab"  # the marker that tells our JSON files from any other JSON
FORMAT_VERSION = 1


class VocabKeyError(KeyError, RuntimeError):
    """A token that is not in the vocabulary, with no default index set.

    A ``KeyError`` (what a missing dict key raises) and a ``RuntimeError`` (what torchtext raises).
    """

    def __str__(self) -> str:
        # KeyError's str() shows repr(message), quotes and escapes included; show the message.
        return str(self.args[0]) if self.args else ""


class VocabIndexError(IndexError, RuntimeError):
    """An index outside the vocabulary: an ``IndexError`` and torchtext's ``RuntimeError``."""


def _index(value: Any, what: str) -> int:
    """``value`` as a Python int (NumPy and torch integers too); bools and floats are rejected."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got bool {value}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__} {value!r}") from None


def _check_token(token: Any, what: str) -> None:
    if not isinstance(token, str):
        raise TypeError(f"{what} must be a str, got {type(token).__name__} {token!r}")


def _first_non_str(items: Iterable[Any]) -> tuple[int, Any] | None:
    """The position and value of the first item that is not a str, or None if all are."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            return i, item
    return None


def _all_str(items: Iterable[Any]) -> bool:
    # map(type, ...) runs in C: much faster than an isinstance() per item for big vocabularies.
    return all(issubclass(t, str) for t in set(map(type, items)))


class Vocab:
    """Maps tokens to indices and back (torchtext's ``Vocab``).

    Args:
        tokens: the tokens in index order (token ``tokens[i]`` gets index ``i``); no duplicates.
        default_index: the index returned for unknown tokens; ``None`` (the default) makes an
            unknown token an error. Set it later with ``set_default_index``.

    >>> v = Vocab(["<unk>", "我", "你"])
    >>> v["你"], len(v), "我" in v
    (2, 3, True)
    >>> v.lookup_tokens([1, 2])
    ['我', '你']
    """

    __slots__ = ("_itos", "_stoi", "_default_index")
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __init__(self, tokens: Iterable[str] = (), default_index: int | None = None) -> None:
        if isinstance(tokens, str):
            raise TypeError(
                f"Vocab takes a list of tokens, got the str {tokens!r}; write Vocab([{tokens!r}]) "
                f"for one token, or Vocab(char_tokenize(text)) for its characters"
            )
        if isinstance(tokens, Mapping):
            raise TypeError(
                "Vocab takes tokens in index order, not a mapping; for a token -> index dict "
                'such as {"我": 0, "你": 1} use Vocab.from_stoi(mapping), and for token -> count '
                "use vocab(counts) or build_vocab_from_iterator"
            )
        itos = list(tokens)
        if not _all_str(itos):
            pos, bad = next((i, t) for i, t in enumerate(itos) if not isinstance(t, str))
            raise TypeError(
                f"Vocab tokens must be str, got {type(bad).__name__} {bad!r} at position {pos}"
            )
        stoi = {token: i for i, token in enumerate(itos)}
        if len(stoi) != len(itos):
            seen: dict[str, int] = {}
            for i, token in enumerate(itos):
                if token in seen:
                    raise ValueRuntimeError(
                        f"Duplicate token {token!r} at positions {seen[token]} and {i}: each "
                        "token may appear only once in a Vocab"
                    )
                seen[token] = i
        self._itos: list[str] = itos
        self._stoi: dict[str, int] = stoi
        self._default_index: int | None = None
        self.set_default_index(default_index)

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], default_index: int | None = None) -> Vocab:
        """The same as ``Vocab(tokens, default_index)``: token ``tokens[i]`` gets index ``i``.

        >>> Vocab.from_tokens(["我", "你"])["你"]
        1
        """
        return cls(tokens, default_index)

    @classmethod
    def from_stoi(cls, stoi: Mapping[str, int], default_index: int | None = None) -> Vocab:
        """A Vocab from a token -> index mapping whose indices are exactly ``0 .. len - 1``.

        This is the seed's vocabulary, as a Vocab:

        >>> v = Vocab.from_stoi({"我": 0, "你": 1})
        >>> v.get_itos()
        ['我', '你']
        """
        itos: list[Any] = [None] * len(stoi)
        for token, raw in stoi.items():
            _check_token(token, "from_stoi: each key")
            index = _index(raw, f"from_stoi: the index of {token!r}")
            if not 0 <= index < len(stoi):
                raise ValueError(
                    f"from_stoi: token {token!r} has index {index}, outside [0, {len(stoi)}); the "
                    f"indices of {len(stoi)} tokens must be exactly 0 .. {len(stoi) - 1} (if the "
                    "values are counts, use vocab(counts) or build_vocab_from_iterator)"
                )
            if itos[index] is not None:
                raise ValueError(
                    f"from_stoi: tokens {itos[index]!r} and {token!r} both have index {index}; "
                    "each index must belong to one token"
                )
            itos[index] = token
        return cls(itos, default_index)

    # ---- token -> index ---------------------------------------------------------------------
    def __getitem__(self, token: str) -> int:
        """The index of ``token``; the default index if it is unknown and a default is set.

        Raises:
            KeyError: ``token`` is unknown and no default index is set.
        """
        try:
            index = self._stoi.get(token)
        except TypeError:  # unhashable (a list, say): reported by the type check below
            index = None
        if index is not None:
            return index
        if not isinstance(token, str):
            if isinstance(token, numbers.Integral):
                hint = f"; for the token at index {token} use vocab.lookup_token({token})"
            elif isinstance(token, (list, tuple)):
                hint = "; for the indices of several tokens use vocab(tokens)"
            else:
                hint = ""
            raise TypeError(
                f"a Vocab is indexed by a token (str), got {type(token).__name__}{hint}"
            )
        if self._default_index is not None:
            return self._default_index
        raise self._not_found(token)

    def _not_found(self, token: str, position: int | None = None) -> VocabKeyError:
        where = "" if position is None else f" (at position {position} of the input)"
        if "<unk>" in self._stoi:
            fix = 'call vocab.set_default_index(vocab["<unk>"]) to map unknown tokens to <unk>'
        else:
            fix = (
                'build the vocab with specials=["<unk>"] and call '
                'vocab.set_default_index(vocab["<unk>"]) to map unknown tokens to <unk>'
            )
        return VocabKeyError(
            f"Token {token!r}{where} not found and default index is not set; {fix}"
        )

    def lookup_indices(self, tokens: Iterable[str]) -> list[int]:
        """The index of each token (unknown tokens get the default index, or raise ``KeyError``).

        Shape: ``len(tokens)`` in, the same length out.

        >>> Vocab(["我", "你"]).lookup_indices(["你", "我", "你"])
        [1, 0, 1]
        """
        if isinstance(tokens, str):
            raise TypeError(
                f"lookup_indices takes a list of tokens, got the str {tokens!r}; tokenize it "
                f"first (e.g. char_tokenize(text)), or write [{tokens!r}] for a single token"
            )
        stoi = self._stoi
        default = self._default_index
        # A list, so that an error below can go back and say where the bad token is.
        tokens = tokens if isinstance(tokens, (list, tuple)) else list(tokens)
        # Build the list in one comprehension either way: dict lookups run at C speed, with no
        # Python-level try/except per token.
        try:
            if default is not None:
                get = stoi.get
                return [get(token, default) for token in tokens]
            return [stoi[token] for token in tokens]
        except KeyError:
            pass  # report the first unknown token and where it is, below
        except TypeError:  # an unhashable token, such as a nested list
            for pos, token in enumerate(tokens):
                if not isinstance(token, str):
                    raise TypeError(
                        f"lookup_indices takes a flat list of str tokens, got "
                        f"{type(token).__name__} at position {pos}; for a batch of token lists "
                        "write [vocab(tokens) for tokens in batch]"
                    ) from None
            raise
        for pos, token in enumerate(tokens):
            if token not in stoi:
                raise self._not_found(token, pos)
        raise AssertionError("unreachable: a KeyError with every token found")

    def __call__(self, tokens: Iterable[str]) -> list[int]:
        """``vocab(tokens)`` is ``vocab.lookup_indices(tokens)`` (torchtext's ``forward``)."""
        return self.lookup_indices(tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __len__(self) -> int:
        return len(self._itos)

    def __iter__(self) -> Iterator[str]:
        """The tokens in index order (so a Vocab can go wherever a list of words is accepted)."""
        return iter(self._itos)

    # ---- index -> token ---------------------------------------------------------------------
    def _out_of_range(self, index: int, where: str = "") -> VocabIndexError:
        n = len(self._itos)
        valid = f"[0, {n})" if n else "none: the vocab is empty"
        return VocabIndexError(
            f"index {index}{where} is out of range for a vocab of {n} tokens (valid: {valid})"
        )

    def lookup_token(self, index: int) -> str:
        """The token at ``index``.

        Raises:
            IndexError: ``index`` is not in ``[0, len(vocab))`` (negative indices do not wrap).

        >>> Vocab(["我", "你"]).lookup_token(1)
        '你'
        """
        i = _index(index, "lookup_token: the index")
        if not 0 <= i < len(self._itos):
            raise self._out_of_range(i)
        return self._itos[i]

    def lookup_tokens(self, indices: Iterable[int]) -> list[str]:
        """The token at each index; a NumPy array or a tensor of ids works too.

        Shape: ``len(indices)`` in, the same length out.

        >>> Vocab(["我", "你"]).lookup_tokens([1, 0, 1])
        ['你', '我', '你']
        """
        if hasattr(indices, "tolist"):  # ndarray, firstlayer or torch tensor: plain ints
            indices = indices.tolist()
        idx = indices if isinstance(indices, list) else list(indices)
        if set(map(type, idx)) - {int}:  # rare: NumPy scalars, bools, floats... (checked in C)
            idx = [
                _index(i, f"lookup_tokens: the index at position {pos}")
                for pos, i in enumerate(idx)
            ]
        n = len(self._itos)
        if idx and (min(idx) < 0 or max(idx) >= n):
            pos, bad = next((p, i) for p, i in enumerate(idx) if not 0 <= i < n)
            raise self._out_of_range(int(bad), f" at position {pos}")
        itos = self._itos
        return [itos[i] for i in idx]

    def get_itos(self) -> list[str]:
        """A copy of the tokens in index order (index -> token)."""
        return list(self._itos)

    def get_stoi(self) -> dict[str, int]:
        """A copy of the token -> index mapping."""
        return dict(self._stoi)

    # ---- changing the vocabulary ------------------------------------------------------------
    def insert_token(self, token: str, index: int) -> None:
        """Insert ``token`` at ``index``; the tokens from ``index`` on move up by one.

        The default index is a number and, as in torchtext, it does not move: if it pointed at a
        token that moved, a warning says so.

        Raises:
            IndexError: ``index`` is not in ``[0, len(vocab)]``.
            ValueError: ``token`` is already in the vocab.

        >>> v = Vocab(["a", "b"])
        >>> v.insert_token("<pad>", 0)
        >>> v.get_itos(), v["a"]
        (['<pad>', 'a', 'b'], 1)
        """
        _check_token(token, "insert_token: the token")
        i = _index(index, "insert_token: the index")
        n = len(self._itos)
        if not 0 <= i <= n:
            raise VocabIndexError(
                f"insert_token: index {i} is out of range for a vocab of {n} tokens; a token can "
                f"be inserted at 0 .. {n} (range [0, {n}], {n} appends)"
            )
        self._check_new(token, "insert_token")
        default = self._default_index
        if default is not None and i <= default < n:
            warnings.warn(
                f"insert_token({token!r}, {i}) moves {self._itos[default]!r} from the default "
                f"index {default} to {default + 1}; the default index stays {default} (now "
                f"{token!r}), as in torchtext. Call set_default_index again if that is not what "
                "you want.",
                stacklevel=2,
            )
        self._itos.insert(i, token)
        stoi, itos = self._stoi, self._itos
        for j in range(i, n + 1):  # renumber the inserted token and every token after it
            stoi[itos[j]] = j

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end (index ``len(vocab)``).

        Raises:
            ValueError: ``token`` is already in the vocab.

        >>> v = Vocab(["a"])
        >>> v.append_token("<unk>")
        >>> v["<unk>"]
        1
        """
        _check_token(token, "append_token: the token")
        self._check_new(token, "append_token")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def _check_new(self, token: str, who: str) -> None:
        if token in self._stoi:
            raise ValueRuntimeError(
                f"{who}: Token {token!r} already exists in the Vocab with index "
                f"{self._stoi[token]}"
            )

    def set_default_index(self, index: int | None) -> None:
        """Return ``index`` for unknown tokens from now on; ``None`` makes them an error again.

        Usually the index of an ``<unk>`` token: ``vocab.set_default_index(vocab["<unk>"])``.
        As in torchtext any int is accepted (torchtext's examples use ``-1`` as a marker).
        """
        self._default_index = None if index is None else _index(index, "the default index")

    def get_default_index(self) -> int | None:
        """The index returned for unknown tokens, or ``None`` if unknown tokens are an error."""
        return self._default_index

    # ---- comparison and display ------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self._itos == other._itos and self._default_index == other._default_index

    def __repr__(self) -> str:
        n = len(self._itos)
        if n <= 10:
            shown = repr(self._itos)
        else:
            head = ", ".join(repr(t) for t in self._itos[:5])
            tail = ", ".join(repr(t) for t in self._itos[-3:])
            shown = f"{n} tokens: [{head}, ..., {tail}]"
        return f"Vocab({shown}, default_index={self._default_index})"

    # ---- files ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary to ``path`` as JSON, atomically (a failed save changes nothing).

        The file holds a format marker, a version, the default index and the tokens in index
        order, one per line::

            {"format": "firstlayer.text.Vocab",
            "version": 1,
            "default_index": 0,
            "itos": ["<unk>",
            "我",
            "你"]}

        >>> Vocab(["我", "你"]).save("/tmp/firstlayer-vocab.json")
        """
        doc = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "default_index": self._default_index,
            "itos": self._itos,
        }
        # Separators put one token per line (readable, diffable) while keeping json's fast C
        # encoder, which indent= would switch off.
        text = json.dumps(doc, ensure_ascii=False, separators=(",\n", ": ")) + "\n"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in a token: write it \u-escaped instead
            text = json.dumps(doc, ensure_ascii=True, separators=(",\n", ": ")) + "\n"
            data = text.encode("ascii")
        with atomic_write(path, "wb") as f:
            f.write(data)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocab:
        """Read a vocabulary written by ``save``. Only JSON is parsed: no code is ever run.

        Raises:
            ValueError: the file is not a firstlayer vocab file (not UTF-8, not JSON, another
                JSON document, wrong types, duplicate tokens); the message names the file and
                the problem.

        >>> Vocab.load("/tmp/firstlayer-vocab.json").get_itos()  # doctest: +SKIP
        ['我', '你']
        """
        name = os.fspath(path)
        raw = Path(path).read_bytes()

        def bad(problem: str) -> ValueError:
            return ValueError(f"{name!r} is not a firstlayer vocab file: {problem}")

        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            snippet = raw[e.start : e.start + 8]
            raise bad(f"byte {e.start} is not UTF-8 text ({snippet!r})") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise bad(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        itos, default_index = _parse_document(doc, bad)
        try:
            return cls(itos, default_index)
        except ValueError as e:  # duplicate tokens
            raise bad(str(e)) from None


def _parse_document(doc: Any, bad: Any) -> tuple[list[str], int | None]:
    """The tokens and default index of a parsed vocab file; ``bad(problem)`` makes the error."""
    if isinstance(doc, list):
        hint = (
            "; it looks like a list of tokens: build it with Vocab(json.load(f))"
            if _all_str(doc)
            else ""
        )
        raise bad(f"the JSON document is a list, not an object with a format marker{hint}")
    if not isinstance(doc, dict):
        raise bad(f"the JSON document is a {type(doc).__name__}, not an object")
    if doc.get("format") != FORMAT:
        looks_like_stoi = doc and all(
            isinstance(v, int) and not isinstance(v, bool) for v in doc.values()
        )
        hint = (
            "; it looks like a token -> index mapping: build it with "
            "Vocab.from_stoi(json.load(f))"
            if looks_like_stoi
            else f" (its keys: {', '.join(repr(k) for k in list(doc)[:5])})"
        )
        raise bad(f'no "format": "{FORMAT}" marker{hint}')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f'"version" must be a positive int, got {version!r}')
    if version > FORMAT_VERSION:
        raise bad(
            f"it has format version {version}, newer than this firstlayer reads "
            f"({FORMAT_VERSION}); upgrade firstlayer"
        )
    itos = doc.get("itos")
    if not isinstance(itos, list):
        raise bad(f'"itos" must be a list of tokens, got {type(itos).__name__}')
    found = _first_non_str(itos) if not _all_str(itos) else None
    if found is not None:
        pos, value = found
        raise bad(f'token {pos} of "itos" must be a str, got {type(value).__name__} {value!r}')
    # Duplicate tokens are found by Vocab() itself, as it builds its dict; load() reports them.
    default = doc.get("default_index")
    if default is not None and (not isinstance(default, int) or isinstance(default, bool)):
        raise bad(f'"default_index" must be an int or null, got {default!r}')
    return itos, default


def _check_specials(specials: Iterable[str] | None) -> list[str]:
    if specials is None:
        return []
    if isinstance(specials, str):
        raise TypeError(
            f"specials must be a list of tokens, got the str {specials!r}; write "
            f"specials=[{specials!r}]"
        )
    out = list(specials)
    found = _first_non_str(out)
    if found is not None:
        raise TypeError(f"specials must be str, got {type(found[1]).__name__} {found[1]!r}")
    if len(set(out)) != len(out):
        dup = next(s for i, s in enumerate(out) if s in out[:i])
        raise ValueError(f"special token {dup!r} is listed twice in specials={out!r}")
    return out


def _place_specials(tokens: list[str], specials: list[str], special_first: bool) -> list[str]:
    return specials + tokens if special_first else tokens + specials


def vocab(
    ordered_dict: Mapping[str, int],
    min_freq: int = 1,
    specials: list[str] | None = None,
    special_first: bool = True,
) -> Vocab:
    """A Vocab from token counts, keeping the order of ``ordered_dict`` (torchtext's factory).

    The tokens with a count ``>= min_freq`` keep the mapping's order (sort it first if you want
    most frequent first, or use ``build_vocab_from_iterator``); the ``specials`` go first or last
    in the order given, whatever their count. Unlike torchtext, ``ordered_dict`` is not modified.

    Args:
        ordered_dict: token -> count, in the order the tokens should get indices.
        min_freq: the smallest count a token needs to be kept.
        specials: tokens such as ``"<unk>"`` or ``"<pad>"`` to add.
        special_first: put the specials at the start (``True``) or at the end.

    >>> vocab({"b": 3, "a": 1, "c": 2}, min_freq=2, specials=["<unk>"]).get_itos()
    ['<unk>', 'b', 'c']
    """
    check.number("min_freq", min_freq, finite=False)  # any count, as torchtext
    special_list = _check_specials(specials)
    special_set = set(special_list)
    tokens = [
        token
        for token, freq in ordered_dict.items()
        if freq >= min_freq and token not in special_set
    ]
    return Vocab(_place_specials(tokens, special_list, special_first))


def build_vocab_from_iterator(
    iterator: Iterable[Iterable[str]],
    min_freq: int = 1,
    specials: list[str] | None = None,
    special_first: bool = True,
    max_tokens: int | None = None,
) -> Vocab:
    """Count the tokens of every token list in ``iterator`` and build a Vocab, as torchtext does.

    Tokens are ordered by descending count, ties by the token itself (Python string order), so
    the result does not depend on the order of the input. Then, in torchtext's order of steps:

    1. ``max_tokens``: keep the ``max_tokens - len(specials)`` most frequent tokens, so the
       specials count towards ``max_tokens``;
    2. drop the tokens that are also specials, and those counted fewer than ``min_freq`` times;
    3. put the specials first (``special_first=True``) or last, in the order given.

    (As in torchtext, a special that also occurs in the text takes a place in step 1 before it is
    dropped in step 2, so such a vocab can end up shorter than ``max_tokens``.)

    Args:
        iterator: yields lists (or any iterables) of tokens, e.g. one tokenized line at a time.
            A str yielded here is counted as its characters, as in torchtext.
        min_freq: the smallest count a token needs to be kept.
        specials: tokens such as ``"<unk>"`` or ``"<pad>"``, added whatever their count.
        special_first: put the specials at the start or at the end.
        max_tokens: the most tokens the vocab may hold, specials included.

    >>> lines = [["a", "b", "b"], ["c", "c", "a"]]
    >>> build_vocab_from_iterator(lines, specials=["<unk>"]).get_itos()
    ['<unk>', 'a', 'b', 'c']
    """
    check.number("min_freq", min_freq, finite=False)  # any count, as torchtext
    special_list = _check_specials(specials)
    if max_tokens is not None:
        max_tokens = check.integer("max_tokens", max_tokens)
        if max_tokens <= len(special_list):
            raise ValueError(
                f"max_tokens={max_tokens} leaves no room besides the {len(special_list)} "
                f"specials {special_list!r}: max_tokens counts the specials, so it must be more "
                f"than {len(special_list)}"
            )

    # One Counter.update over all tokens: the counting loop runs in C (collections'
    # _count_elements), without a Python-level call per line.
    counter: Counter[str] = Counter()
    counter.update(itertools.chain.from_iterable(iterator))
    if not _all_str(counter):
        bad = next(t for t in counter if not isinstance(t, str))
        raise TypeError(
            f"tokens must be str, got {type(bad).__name__} {bad!r}; the iterator should yield "
            "lists of str tokens"
        )

    # Sort by (-count, token) in two stable passes, cheaper than a tuple key per token: first by
    # token, then by count descending (reverse=True keeps equal counts in token order).
    ordered = sorted(counter)
    ordered.sort(key=counter.__getitem__, reverse=True)
    if max_tokens is not None:
        ordered = ordered[: max_tokens - len(special_list)]

    special_set = set(special_list)
    tokens = [t for t in ordered if counter[t] >= min_freq and t not in special_set]
    return Vocab(_place_specials(tokens, special_list, special_first))
