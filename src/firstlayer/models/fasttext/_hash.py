"""fastText's hashing, exactly: words, word n-grams and character n-grams -> rows of the input
matrix.

fastText (``src/dictionary.cc``) gives the input matrix ``nwords + bucket`` rows: one per word
of the vocabulary, then ``bucket`` shared rows that word n-grams and character n-grams are
hashed into. Matching its three hashes bit for bit means that the same settings give a model of
the same size whose n-grams land in the same rows.

1. A token's hash is 32-bit FNV-1a over its UTF-8 bytes read as **signed** 8-bit values (what
   early fastText did on compilers where ``char`` is signed, kept since for compatibility)::

       h = 2166136261
       for each byte c:  h = (h XOR uint32(int8(c))) * 16777619      (mod 2**32)

   A byte >= 0x80 (every byte of a non-ASCII character) is sign-extended: 0xC3 XORs in
   0xFFFFFFC3, not 0xC3.
2. Word n-grams (``wordNgrams=n``): fastText keeps each token's hash as an ``int32`` and, for
   every start ``i`` and length 2..n, combines them in 64 bits (the int32 values are
   sign-extended to 64 bits on the way)::

       h = int64(hash[i]);  h = h * 116049371 + int64(hash[j])   for j = i+1 .. i+n-1
       row = nwords + (h mod 2**64) % bucket

   Every token of the line counts, including ``</s>`` and words outside the vocabulary, but
   not labels.
3. Character n-grams (``minn``/``maxn`` > 0) of ``"<" + word + ">"``: every run of ``minn`` to
   ``maxn`` UTF-8 characters (never splitting a character; single-character n-grams at the
   edges ``<`` and ``>`` left out), each at row ``nwords + fnv1a(ngram) % bucket``.

The pure-Python functions here are the readable reference and serve single words and lines;
``_hash_kernels`` has the same arithmetic compiled (for ``_read_kernels`` and
``_predict_kernels``).

>>> fnv1a("hello")
1335831723
>>> fnv1a("é")  # bytes C3 A9, sign-extended
1023043777
"""

from __future__ import annotations

from collections.abc import Sequence

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
NGRAM_MULTIPLIER = 116049371
EOS = "</s>"
BOW = "<"
EOW = ">"

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


def fnv1a(token: str | bytes) -> int:
    """fastText's hash of a token: FNV-1a over its UTF-8 bytes as signed bytes, in [0, 2**32).

    >>> fnv1a(b"</s>") == fnv1a("</s>")
    True
    """
    data = token.encode("utf-8", "surrogateescape") if isinstance(token, str) else token
    h = FNV_OFFSET
    for byte in data:
        # int8(byte) as uint32: bytes >= 0x80 are negative, i.e. 0xFFFFFF00 | byte
        h ^= byte | 0xFFFFFF00 if byte >= 0x80 else byte
        h = (h * FNV_PRIME) & _MASK32
    return h


def as_int32(h: int) -> int:
    """A uint32 hash as fastText stores it in a ``std::vector<int32_t>`` (two's complement)."""
    return h - (1 << 32) if h >= 1 << 31 else h


def word_ngram_rows(hashes: Sequence[int], n: int, bucket: int, nwords: int) -> list[int]:
    """The rows of a line's word n-grams (lengths 2..n), in fastText's order.

    Args:
        hashes: ``fnv1a`` of each non-label token of the line, in order (``</s>`` included).
        n: ``wordNgrams``; 1 gives no rows.
        bucket: the number of hash rows (must be > 0 when n > 1).
        nwords: the vocabulary size; the rows are ``nwords + (h % bucket)``.

    >>> word_ngram_rows([fnv1a("a"), fnv1a("b")], 2, 10, 3)
    [4]
    """
    rows = []
    signed = [as_int32(h) & _MASK64 for h in hashes]  # sign-extended to 64 bits
    for i in range(len(signed)):
        h = signed[i]
        for j in range(i + 1, min(len(signed), i + n)):
            h = (h * NGRAM_MULTIPLIER + signed[j]) & _MASK64
            rows.append(nwords + h % bucket)
    return rows


def char_ngram_rows(word: str | bytes, minn: int, maxn: int, bucket: int, nwords: int) -> list[int]:
    """The rows of the character n-grams of ``"<" + word + ">"`` (fastText's ``computeSubwords``).

    Lengths count UTF-8 characters (a continuation byte ``10xxxxxx`` never starts an n-gram);
    the one-character n-grams ``"<"`` and ``">"`` are left out. ``</s>`` has none.

    >>> len(char_ngram_rows("ab", 1, 2, 100, 0))  # "a", "b", "<a", "ab", "b>"
    5
    """
    return [nwords + fnv1a(ngram) % bucket for ngram in char_ngrams(word, minn, maxn)]


def char_ngrams(word: str | bytes, minn: int, maxn: int) -> list[bytes]:
    """The character n-grams of ``"<" + word + ">"`` as UTF-8 bytes, in fastText's order
    (``char_ngram_rows`` hashes them).

    >>> char_ngrams("ab", 2, 3)
    [b'<a', b'<ab', b'ab', b'ab>', b'b>']
    """
    data = word.encode("utf-8", "surrogateescape") if isinstance(word, str) else word
    if data == EOS.encode() or maxn <= 0:
        return []
    data = b"<" + data + b">"
    ngrams = []
    size = len(data)
    for i in range(size):
        if data[i] & 0xC0 == 0x80:  # inside a character
            continue
        j, n = i, 1
        while j < size and n <= maxn:
            j += 1
            while j < size and data[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                ngrams.append(data[i:j])
            n += 1
    return ngrams
