"""Tokenizers: text -> a list of tokens (strings), before a ``Vocab`` turns tokens into ids.

Four rules, all pure Python, and one optional segmenter:

=================  ===========================================================================
``"chars"``        every non-space character is one token: right for Chinese, as in the seed
                   (``"我 你"`` -> ``["我", "你"]``). The default choice for CJK-heavy text.
``"words"``        runs of letters/digits/marks are words; each CJK character and each
                   punctuation mark or symbol is its own token (so Chinese comes out as chars).
``"whitespace"``   ``text.split()``: split on any Unicode whitespace, keep everything else.
``"basic_english"`` torchtext's rule: lowercase, put spaces around ``' . , ( ) ! ?``, drop
                   ``"``, turn ``<br />``, ``;`` and ``:`` into spaces, then split.
``"jieba"``        Chinese word segmentation (``pip install "firstlayer[zh]"``).
=================  ===========================================================================

"Space" means Unicode whitespace (``str.isspace``): ASCII spaces, tabs, ``\\r\\n``, the no-break
space U+00A0, the ideographic (full-width) space U+3000 and the other Zs characters. Two invisible
characters that are not whitespace to Unicode are treated as spaces too, because a token made of
one is never wanted: the zero-width space U+200B and the byte-order mark U+FEFF.

A "character" is what a reader sees as one: a code point with the combining marks that follow it
(``"e"`` + U+0301 stays ``"é"``), an emoji with its skin-tone modifier, variation selector or
zero-width-joiner sequence (``"👩‍💻"`` is one token), a flag (two regional indicators). Text is not
normalised; call ``unicodedata.normalize("NFC", text)`` first if your data mixes forms.

>>> char_tokenize("我 你")
['我', '你']
>>> word_tokenize("Hello, 世界!")
['Hello', ',', '世', '界', '!']
>>> get_tokenizer("basic_english")("You can now install TorchText using pip!")
['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "basic_english_tokenize",
    "char_tokenize",
    "get_tokenizer",
    "jieba_tokenize",
    "whitespace_tokenize",
    "word_tokenize",
]

Tokenizer = Callable[[str], list[str]]

# Characters that separate tokens and are never tokens: Unicode whitespace (regex \s matches
# exactly what str.isspace() accepts) plus the zero-width space and the byte-order mark.
_SEP = r"\s\u200b\ufeff"

# Characters that join the token before them rather than starting one. Combining marks (Unicode
# categories Mn, Mc, Me) are computed from this Python's Unicode tables in _marks(); these are
# the emoji extenders that are not marks: skin-tone modifiers (Sk) and tag characters (Cf, used
# by subdivision flags such as England's).
_EMOJI_EXTENDERS = "\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_ZWJ = "\u200d"  # zero-width joiner: glues two emoji into one (woman + laptop = woman coder)
_ZWNJ = "\u200c"  # zero-width non-joiner: appears inside Persian and Indic words
_FLAG = "[\U0001f1e6-\U0001f1ff]{2}"  # two regional indicator letters make one flag

# Scripts written without spaces between words, split into single characters by word_tokenize:
# Han ideographs (radicals, the CJK blocks and extensions A-H, compatibility ideographs, the
# ideographic iteration mark 々 and the number 〇) and the Japanese kana.
_CJK = (
    "\u2e80-\u2fdf"  # CJK and Kangxi radicals
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"  # 々 〇 Hangzhou numerals
    "\u3040-\u30ff"  # hiragana, katakana (with ー)
    "\u31f0-\u31ff"  # katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width katakana
    "\U00020000-\U0003134f\U00031350-\U000323af"  # CJK extensions B-H, compatibility supplement
)


def _check_str(text: object, who: str) -> None:
    if not isinstance(text, str):
        hint = "; decode it first, e.g. text.decode('utf-8')" if isinstance(text, bytes) else ""
        raise TypeError(f"{who} takes a str, got {type(text).__name__}{hint}")


@functools.cache
def _marks() -> str:
    """A regex character-class body matching every combining mark (categories Mn, Mc, Me).

    Python's ``re`` has no ``\\p{M}``, so the ranges are read from ``unicodedata`` once, on the
    first call (about 40 ms). Marks live in planes 0-3 and in plane 14 (variation selectors
    supplement); scanning only those keeps it quick.
    """
    ranges: list[tuple[int, int]] = []
    for lo, hi in ((0, 0x40000), (0xE0000, 0xE1000)):
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp))[0] == "M":
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    # No escaping needed: every mark is non-ASCII, and only ASCII is special inside [...].
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


@functools.cache
def _char_pattern() -> re.Pattern[str]:
    """One user-perceived character: a flag, or a non-space code point followed by its
    combining marks, emoji modifiers and zero-width-joiner continuations."""
    ext = f"[{_marks()}{_EMOJI_EXTENDERS}]"
    return re.compile(f"{_FLAG}|[^{_SEP}](?:{ext}|{_ZWJ}[^{_SEP}]?)*")


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """The token alternatives of ``word_tokenize``, tried in this order at each position."""
    marks = _marks()
    letter = f"[^\\W{_CJK}]"  # a word character (\w: letters, digits, _) that is not CJK
    word = f"{letter}(?:{letter}|[{marks}]|[{_ZWJ}{_ZWNJ}](?={letter}))*"
    cjk = f"[{_CJK}][{marks}]*"  # one ideograph or kana, with its marks (゙ ゚ are marks)
    other = f"[^{_SEP}](?:[{marks}{_EMOJI_EXTENDERS}]|{_ZWJ}[^{_SEP}]?)*"  # punctuation, emoji
    return re.compile(f"{_FLAG}|{word}|{cjk}|{other}")


def char_tokenize(text: str) -> list[str]:
    """Split ``text`` into characters, dropping every kind of space.

    Each token is one user-perceived character: a code point together with the combining marks
    that follow it, or a whole emoji sequence (see the module docstring). Spaces of every kind
    (``str.isspace``, including U+00A0 and U+3000) and the invisible U+200B and U+FEFF separate
    tokens and are dropped.

    >>> char_tokenize("我 你")
    ['我', '你']
    >>> char_tokenize("ne\\u0301e 👍🏽") == ["n", "e\\u0301", "e", "👍🏽"]
    True
    """
    _check_str(text, "char_tokenize")
    return _char_pattern().findall(text)


def word_tokenize(text: str, lower: bool = False) -> list[str]:
    """Split ``text`` into words, single CJK characters, and single punctuation marks/symbols.

    The rules, applied left to right:

    - a *word* is a run of word characters (``\\w``: letters and digits of any script, and
      ``_``), with the combining marks inside it kept (so Hindi, Thai vowel signs and decomposed
      accents stay in their word), except CJK;
    - each Han ideograph or kana is a token on its own (Chinese and Japanese are written without
      spaces, so this equals ``char_tokenize`` there; use ``jieba_tokenize`` for Chinese words);
    - every other non-space character (punctuation, symbols, emoji) is a token on its own, so
      ``"don't"`` gives ``don ' t`` and ``"3.14"`` gives ``3 . 14``;
    - spaces of every kind separate tokens and are dropped.

    Args:
        text: the text.
        lower: lowercase first (``str.lower``).

    >>> word_tokenize("Don't panic: 我爱NLP!", lower=True)
    ['don', "'", 't', 'panic', ':', '我', '爱', 'nlp', '!']
    """
    _check_str(text, "word_tokenize")
    if lower:
        text = text.lower()
    return _word_pattern().findall(text)


def whitespace_tokenize(text: str) -> list[str]:
    """Split on runs of Unicode whitespace (``text.split()``); nothing else is touched.

    >>> whitespace_tokenize("a  b\\u3000c\\r\\n")
    ['a', 'b', 'c']
    """
    _check_str(text, "whitespace_tokenize")
    return text.split()


# torchtext's basic_english rule (torchtext/data/utils.py), applied in this order after
# lowercasing. The replacement for the apostrophe really has two trailing spaces in torchtext;
# it makes no difference after the final split.
_BASIC_ENGLISH = [
    (re.compile(pattern), replacement)
    for pattern, replacement in [
        (r"\'", " '  "),
        (r"\"", ""),
        (r"\.", " . "),
        (r"<br \/>", " "),
        (r",", " , "),
        (r"\(", " ( "),
        (r"\)", " ) "),
        (r"\!", " ! "),
        (r"\?", " ? "),
        (r"\;", " "),
        (r"\:", " "),
        (r"\s+", " "),
    ]
]


def basic_english_tokenize(text: str) -> list[str]:
    """torchtext's ``get_tokenizer("basic_english")``, rule for rule.

    Lowercase; put spaces around ``'``, ``.``, ``,``, ``(``, ``)``, ``!``, ``?``; delete ``"``;
    replace ``<br />``, ``;`` and ``:`` with a space; split on whitespace. Other punctuation stays
    attached (``"e-mail"`` is one token) and non-English text is only split on spaces.

    >>> basic_english_tokenize('He said: "Hi!"<br />Bye.')
    ['he', 'said', 'hi', '!', 'bye', '.']
    """
    _check_str(text, "basic_english_tokenize")
    text = text.lower()
    for pattern, replacement in _BASIC_ENGLISH:
        text = pattern.sub(replacement, text)
    return text.split()


_JIEBA_MISSING = (
    "jieba_tokenize needs the jieba package (Chinese word segmentation), which is not "
    'installed; install it with: pip install "firstlayer[zh]"  (or: pip install jieba). '
    "Without it, char_tokenize splits Chinese into characters."
)


def _import_jieba():  # type: ignore[no-untyped-def]
    """Import jieba on first use, so that firstlayer works without it."""
    try:
        import jieba
    except ImportError as e:
        raise ImportError(_JIEBA_MISSING, name="jieba") from e
    return jieba


def jieba_tokenize(text: str) -> list[str]:
    """Segment Chinese text into words with jieba (optional extra ``zh``); spaces are dropped.

    jieba loads its dictionary on the first call (about half a second) and logs that it did.

    Raises:
        ImportError: jieba is not installed; the message says how to install it.

    >>> jieba_tokenize("我爱北京天安门")  # doctest: +SKIP
    ['我', '爱', '北京', '天安门']
    """
    _check_str(text, "jieba_tokenize")
    jieba = _import_jieba()
    # jieba yields the spaces between words as tokens of their own; drop them as the other
    # tokenizers do.
    return [token for token in jieba.cut(text) if token and not token.isspace()]


_TOKENIZERS: dict[str, Tokenizer] = {
    "chars": char_tokenize,
    "words": word_tokenize,
    "whitespace": whitespace_tokenize,
    "basic_english": basic_english_tokenize,
    "jieba": jieba_tokenize,
}

# torchtext's other names, each needing a library firstlayer does not wrap.
_FOREIGN = {"spacy", "moses", "toktok", "revtok", "subword"}


def get_tokenizer(tokenizer: str | Tokenizer | None, language: str = "en") -> Tokenizer:
    """The tokenizer called ``tokenizer``, with torchtext's ``get_tokenizer`` conventions.

    Args:
        tokenizer: ``"chars"``, ``"words"``, ``"whitespace"``, ``"jieba"``, torchtext's
            ``"basic_english"``; ``None`` for ``str.split`` (as torchtext); a callable is
            returned unchanged.
        language: only checked for ``"basic_english"``, which is English-only (as torchtext).

    Returns:
        A function ``str -> list[str]``.

    Raises:
        ValueError: an unknown name; ImportError: ``"jieba"`` without jieba installed.

    >>> get_tokenizer("chars")("我 你")
    ['我', '你']
    >>> get_tokenizer(None)("a b")
    ['a', 'b']
    """
    if tokenizer is None:
        return whitespace_tokenize
    if callable(tokenizer):
        return tokenizer
    if not isinstance(tokenizer, str):
        raise TypeError(
            f"get_tokenizer takes a name, a callable or None, got {type(tokenizer).__name__}"
        )
    if tokenizer == "basic_english" and language != "en":
        raise ValueError(
            f"basic_english is only available for English (language='en'), got "
            f"language={language!r}; use 'words' or 'chars' for other languages"
        )
    if tokenizer == "jieba":
        _import_jieba()  # fail now, with the install hint, rather than on the first text
    if tokenizer in _TOKENIZERS:
        return _TOKENIZERS[tokenizer]
    names = ", ".join(repr(name) for name in _TOKENIZERS)
    if tokenizer in _FOREIGN:
        raise ValueError(
            f"firstlayer does not wrap the {tokenizer!r} tokenizer; pass its tokenize function "
            f"as a callable instead (get_tokenizer(fn) returns fn), or use one of {names}"
        )
    raise ValueError(
        f"unknown tokenizer {tokenizer!r}; valid names: {names}, None (str.split), or a callable"
    )
