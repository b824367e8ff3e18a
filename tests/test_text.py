"""Tokenizers of ``firstlayer.text``: characters, words, whitespace, torchtext's basic_english and
jieba, on English, Chinese (the seed's 我/你), mixed spaces (NBSP, U+3000, CRLF), emoji and
combining marks. torchtext itself no longer installs, so its documented outputs are written out
as expected values (basic_english's are torchtext's own test case)."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstlayer.text import (
    basic_english_tokenize,
    char_tokenize,
    get_tokenizer,
    jieba_tokenize,
    whitespace_tokenize,
    word_tokenize,
)

HAS_JIEBA = importlib.util.find_spec("jieba") is not None
PROPERTY = settings(max_examples=150, deadline=None)

SEPARATORS = " \t\r\n\x0b\x0c\xa0\u1680\u2000\u2009\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"
# An alphabet that hits every branch of the patterns: CJK, Latin, digits, punctuation, every kind
# of space, combining marks, emoji with modifiers and joiners, regional indicators, kana.
TRICKY = list(
    "我你他們a Zé9_.,!?'\"-"
    "\u3000\xa0\r\n\t\u200b\ufeff"
    "\u0301\u0308\u093f\u094d\u20e3\ufe0f"  # acute, diaeresis, Devanagari i, virama, keycap, VS16
    "\u200d\u200c"  # zero-width joiner, non-joiner
    "👍🏽👩💻🇫🇷🇩🇪"  # emoji, skin tone, woman, laptop, regional indicators
    "コーン"  # katakana with the prolonged sound mark
    "ᑌ"
)
texts = st.text(alphabet=st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=40)


def without_separators(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and c not in "\u200b\ufeff")


# ---- chars -----------------------------------------------------------------------------------
def test_chars_on_the_seed_vocabulary() -> None:
    assert char_tokenize("我你") == ["我", "你"]
    assert char_tokenize("我 你") == ["我", "你"]
    assert char_tokenize("") == []
    assert char_tokenize(" \u3000\r\n") == []


def test_chars_english_and_punctuation() -> None:
    assert char_tokenize("Hi, you!") == ["H", "i", ",", "y", "o", "u", "!"]


def test_chars_every_kind_of_space_separates() -> None:
    text = "我\u3000你\xa0他\r\n們\t!\u200b?\ufeff."
    assert char_tokenize(text) == ["我", "你", "他", "們", "!", "?", "."]


def test_chars_keep_combining_marks_with_their_letter() -> None:
    # decomposed é (e + U+0301) is one token; so is a letter with two marks
    assert char_tokenize("ne\u0301e") == ["n", "e\u0301", "e"]
    assert char_tokenize("a\u0301\u0308b") == ["a\u0301\u0308", "b"]
    # a mark with no letter before it (text starts with it, or follows a space) stands alone
    assert char_tokenize("\u0301a \u0301") == ["\u0301", "a", "\u0301"]
    assert char_tokenize("हि") == ["हि"]  # Devanagari ha + vowel sign i (a spacing mark)


def test_chars_keep_emoji_sequences_whole() -> None:
    woman_coder = "👩\u200d💻"
    england = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    keycap = "1\ufe0f\u20e3"
    text = f"👍🏽 {woman_coder}🇫🇷🇩🇪{england}{keycap}❤\ufe0f"
    assert char_tokenize(text) == ["👍🏽", woman_coder, "🇫🇷", "🇩🇪", england, keycap, "❤\ufe0f"]


@PROPERTY
@given(texts)
def test_chars_lose_only_the_spaces(text: str) -> None:
    tokens = char_tokenize(text)
    assert "".join(tokens) == without_separators(text)
    assert all(tokens) and not any(without_separators(t) != t for t in tokens)


@PROPERTY
@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Z", "Cc"]), max_size=40))
def test_chars_without_marks_or_joiners_are_the_code_points(text: str) -> None:
    # with nothing that joins characters (marks, ZWJ, emoji modifiers, regional indicators),
    # a token is exactly one non-space code point
    text = re.sub("[\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff]", "", text)
    assert char_tokenize(text) == list(without_separators(text))


# ---- words -----------------------------------------------------------------------------------
def test_words_english() -> None:
    assert word_tokenize("Hello, world! It's 3.14.") == [
        "Hello", ",", "world", "!", "It", "'", "s", "3", ".", "14", ".",
    ]
    assert word_tokenize("Hello, World", lower=True) == ["hello", ",", "world"]
    assert word_tokenize("snake_case __label__spam e-mail") == [
        "snake_case", "__label__spam", "e", "-", "mail",
    ]


def test_words_chinese_is_characters() -> None:
    assert word_tokenize("我你") == ["我", "你"] == char_tokenize("我你")
    assert word_tokenize("我爱NLP和Python3！") == ["我", "爱", "NLP", "和", "Python3", "！"]
    assert word_tokenize("今天，天气很好。") == char_tokenize("今天，天气很好。")
    # kana too (Japanese has no spaces); the prolonged sound mark stays a token of its own
    assert word_tokenize("コーヒーを") == ["コ", "ー", "ヒ", "ー", "を"]
    # full-width Latin letters are letters: one word
    assert word_tokenize("ＡＢＣ１２３") == ["ＡＢＣ１２３"]


def test_words_mixed_spaces() -> None:
    text = "one\xa0two\u3000three\r\nfour\tfive\u200bsix\ufeffseven"
    assert word_tokenize(text) == ["one", "two", "three", "four", "five", "six", "seven"]


def test_words_keep_marks_inside() -> None:
    assert word_tokenize("nai\u0308ve café") == ["nai\u0308ve", "café"]
    assert word_tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # vowel signs and virama are marks
    assert word_tokenize("می\u200cخواهم") == ["می\u200cخواهم"]  # Persian: ZWNJ inside a word
    assert word_tokenize("Привет, мир") == ["Привет", ",", "мир"]


def test_words_emoji_are_tokens() -> None:
    assert word_tokenize("good👍🏽job 👩\u200d💻!") == ["good", "👍🏽", "job", "👩\u200d💻", "!"]
    assert word_tokenize("go 🇫🇷🇩🇪") == ["go", "🇫🇷", "🇩🇪"]


def test_words_lower_is_str_lower() -> None:
    assert word_tokenize("ÉCOLE Straße", lower=True) == ["école", "straße"]


@PROPERTY
@given(texts, st.booleans())
def test_words_lose_only_the_spaces(text: str, lower: bool) -> None:
    tokens = word_tokenize(text, lower=lower)
    assert "".join(tokens) == without_separators(text.lower() if lower else text)
    assert all(tokens) and not any(without_separators(t) != t for t in tokens)
    # a token with a Han character in it is that character (with its marks, if any)
    for token in tokens:
        if re.search("[\u4e00-\u9fff]", token):
            assert re.fullmatch("[\u4e00-\u9fff]\\W*", token), token


# ---- whitespace, basic_english -------------------------------------------------------------------
def test_whitespace() -> None:
    assert whitespace_tokenize("a  b\u3000c\xa0d\r\ne\t") == ["a", "b", "c", "d", "e"]
    assert whitespace_tokenize("Hi, you!") == ["Hi,", "you!"]


@PROPERTY
@given(texts)
def test_whitespace_is_str_split(text: str) -> None:
    assert whitespace_tokenize(text) == text.split()


def test_basic_english_matches_torchtext() -> None:
    # torchtext's own test case (test_BasicEnglishNormalize) and its docstring example
    punctuation = "'\".<br />,()!?;:"
    sample = f"{punctuation}   Basic English Normalization for a Line of Text   {punctuation}"
    expected = [
        "'", ".", ",", "(", ")", "!", "?", "basic", "english", "normalization",
        "for", "a", "line", "of", "text", "'", ".", ",", "(", ")", "!", "?",
    ]
    assert basic_english_tokenize(sample) == expected
    assert get_tokenizer("basic_english")("You can now install TorchText using pip!") == [
        "you", "can", "now", "install", "torchtext", "using", "pip", "!",
    ]
    # other punctuation stays attached; apostrophes split off; non-English is only split on spaces
    assert basic_english_tokenize("Don't e-mail me; OK?") == [
        "don", "'", "t", "e-mail", "me", "ok", "?",
    ]
    assert basic_english_tokenize("我 你。") == ["我", "你。"]


# ---- jieba -----------------------------------------------------------------------------------
@pytest.mark.skipif(not HAS_JIEBA, reason="jieba is an optional extra (firstlayer[zh])")
def test_jieba_segments_words() -> None:
    assert jieba_tokenize("我爱北京天安门") == ["我", "爱", "北京", "天安门"]
    # jieba's space tokens are dropped, as every tokenizer here drops spaces
    assert jieba_tokenize("我爱 NLP\u3000你呢") == ["我", "爱", "NLP", "你", "呢"]
    assert get_tokenizer("jieba") is jieba_tokenize


def test_jieba_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jieba", None)  # makes `import jieba` raise ImportError
    for call in (lambda: jieba_tokenize("我爱你"), lambda: get_tokenizer("jieba")):
        with pytest.raises(ImportError) as info:
            call()
        message = str(info.value)
        assert 'pip install "firstlayer[zh]"' in message
        assert "pip install jieba" in message
        assert "char_tokenize" in message


# ---- get_tokenizer ---------------------------------------------------------------------------
def test_get_tokenizer_names() -> None:
    assert get_tokenizer("chars") is char_tokenize
    assert get_tokenizer("words") is word_tokenize
    assert get_tokenizer("whitespace") is whitespace_tokenize
    assert get_tokenizer("basic_english") is basic_english_tokenize
    assert get_tokenizer(None)("a  b\u3000c") == ["a", "b", "c"]  # torchtext: None is str.split

    def mine(text: str) -> list[str]:
        return text.split(",")

    assert get_tokenizer(mine) is mine  # a callable comes back unchanged, as in torchtext


def test_get_tokenizer_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown tokenizer 'char'.*'chars'.*'words'"):
        get_tokenizer("char")
    with pytest.raises(ValueError, match=r"does not wrap the 'spacy' tokenizer.*callable"):
        get_tokenizer("spacy")
    with pytest.raises(ValueError, match=r"only available for English.*language='de'"):
        get_tokenizer("basic_english", language="de")
    with pytest.raises(TypeError, match="a name, a callable or None, got int"):
        get_tokenizer(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "tokenize", [char_tokenize, word_tokenize, whitespace_tokenize, basic_english_tokenize]
)
def test_tokenizers_want_str(tokenize) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=r"takes a str, got bytes; decode it first"):
        tokenize("我".encode())
    with pytest.raises(TypeError, match=r"takes a str, got list"):
        tokenize(["a"])
