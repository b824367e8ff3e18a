"""A small Chinese corpus with a known structure, and a score for how well vectors recover it.

``firstlayer demo`` trains character vectors on this corpus and checks what they learned. The
sentences come from templates with slots; each slot is filled from one *group* of characters
(numbers, colours, animals, family), so the characters of a group appear in the same contexts:
"我家的猫是白色的" and "他家的狗是黑色的" differ only in the pronoun, the animal and the
colour. That is the
distributional hypothesis in miniature: characters used alike get alike vectors, and the
groups should come out as clusters. Nothing in the corpus says which group a character is in;
only the contexts do.

>>> sentences = generate_corpus(3, seed=0)
>>> ["".join(s) for s in sentences]  # doctest: +SKIP
['妹妹说羊跑得很快', '哥哥坐一路车', '我住在二楼']
>>> sentences[0][:3]  # one token per character  # doctest: +SKIP
['妹', '妹', '说']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# The groups the vectors should recover, in the order the demo prints them.
GROUPS: dict[str, str] = {
    "numbers": "一二三四五六七八九十",
    "colours": "红黄蓝绿白黑紫",
    "animals": "猫狗牛马羊鸡鸭鱼",
    "family": "爸妈哥姐弟妹爷奶",
}

# Filler: pronouns, the other slot of many templates. A fifth group of sorts, never scored.
PRONOUNS = "我你他她"

# Slot letters -> the characters that fill them. A family member is written doubled, as in
# Chinese (妈妈, 哥哥): {F} becomes two characters.
SLOTS: dict[str, str] = {
    "N": GROUPS["numbers"],
    "C": GROUPS["colours"],
    "A": GROUPS["animals"],
    "F": GROUPS["family"],
    "P": PRONOUNS,
}

# Each template is filled slot by slot; a letter used twice in one template gets two different
# characters ("爸爸和妈妈", never "妈妈和妈妈"). Apart from the slots, the templates use only
# characters outside the groups, so a group character's contexts come from the slots alone.
# Numbers come with floors, dates, bus lines and sums, where every number reads right (a count
# would need 两 for two, 两只猫, and each animal its own measure word: 一头牛, 一匹马).
# Most templates hold one group, so each group has contexts of its own: the groups then differ
# in several directions, and a 2-D picture (PCA) shows all four apart.
TEMPLATES: tuple[str, ...] = (
    # one group each
    "{P}住在{N}楼",
    "今天是{N}月{N}号",
    "{P}坐{N}路车",
    "{P}喜欢{C}色",
    "这朵花是{C}色的",
    "{P}把墙刷成{C}色",
    "{P}家的{A}很可爱",
    "{A}在吃东西",
    "{P}养的{A}生病了",
    "{P}的{F}回家了",
    "{F}和{F}去公园",
    "{P}想{F}了",
    # two groups: contexts shared across groups, as in real text
    "{F}住在{N}楼",
    "{P}家的{A}是{C}色的",
    "{F}穿{C}色的衣服",
    "{F}说{A}跑得很快",
)
# Plus one template with arithmetic that is right: "三加四等于七" (sums up to ten).
SUM_TEMPLATE = "{N}加{N}等于{N}"


def _fill(template: str, rng: np.random.Generator) -> str:
    used: dict[str, set[str]] = {}

    def draw(match: re.Match[str]) -> str:
        letter = match.group(1)
        choices = [c for c in SLOTS[letter] if c not in used.setdefault(letter, set())]
        char = choices[int(rng.integers(len(choices)))]
        used[letter].add(char)
        return char * 2 if letter == "F" else char

    return re.sub(r"\{(\w)\}", draw, template)


def _sum_sentence(rng: np.random.Generator) -> str:
    numbers = GROUPS["numbers"]  # 一 is 1, ..., 十 is 10
    a = int(rng.integers(1, 10))
    b = int(rng.integers(1, 11 - a))
    return f"{numbers[a - 1]}加{numbers[b - 1]}等于{numbers[a + b - 1]}"


def generate_corpus(n_sentences: int, seed: int = 0) -> list[list[str]]:
    """``n_sentences`` sentences, each a list of characters (the tokens), from the templates.

    Each sentence picks a template uniformly (the sum template as one of them) and fills its
    slots uniformly from their groups, so every character of a group is about equally frequent.
    The same ``seed`` gives the same corpus.

    Args:
        n_sentences: how many sentences (>= 0).
        seed: seeds NumPy's PCG64 generator that makes every choice.

    Returns:
        A list of ``n_sentences`` lists of one-character strings, the shape ``Word2Vec`` takes.

    >>> len(generate_corpus(100, seed=1))
    100
    """
    if n_sentences < 0:
        raise ValueError(f"n_sentences must be >= 0, got {n_sentences}")
    rng = np.random.default_rng(seed)
    n_templates = len(TEMPLATES) + 1
    sentences = []
    for _ in range(n_sentences):
        k = int(rng.integers(n_templates))
        text = _sum_sentence(rng) if k == len(TEMPLATES) else _fill(TEMPLATES[k], rng)
        sentences.append(list(text))
    return sentences


def template_pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching exactly the sentences ``template`` can make.

    >>> bool(template_pattern("{P}住在{N}楼").fullmatch("我住在三楼"))
    True
    """
    parts = []
    for literal, letter in re.findall(r"([^{]*)(?:\{(\w)\})?", template):
        parts.append(re.escape(literal))
        if letter == "F":  # doubled: 妈妈, never 妈爸
            parts.append("(?:" + "|".join(c * 2 for c in SLOTS["F"]) + ")")
        elif letter:
            parts.append(f"[{SLOTS[letter]}]")
    return re.compile("".join(parts))


# ---- how well vectors recover the groups ----------------------------------------------------
def neighbour_purity(vectors: np.ndarray, labels: Sequence[int], k: int = 5) -> float:
    """The mean share of each point's ``k`` nearest neighbours (cosine) that share its label.

    1.0 when every point's ``k`` closest others are from its own group; about
    :func:`chance_purity` for vectors that know nothing of the groups.

    Args:
        vectors: ``(n, D)``, one row per point (zero rows count as orthogonal to all).
        labels: ``n`` group ids.
        k: neighbours per point, ``1 <= k < n``.

    Shape: ``vectors`` (n, D), ``labels`` (n,).

    >>> x = np.array([[1.0, 0.1], [1.0, 0.2], [0.1, 1.0], [0.2, 1.0]])
    >>> neighbour_purity(x, [0, 0, 1, 1], k=1)
    1.0
    """
    x = np.asarray(vectors, dtype=np.float64)
    y = np.asarray(labels)
    n = len(x)
    if x.ndim != 2 or y.shape != (n,):
        raise ValueError(f"need vectors (n, D) and n labels, got {x.shape} and {y.shape}")
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for {n} points, got {k}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit = x / np.where(norms > 0, norms, 1.0)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -np.inf)  # a point is not its own neighbour
    # Stable sort on -cosine: ties go to the lower index, so the score is deterministic.
    nearest = np.argsort(-cosine, axis=1, kind="stable")[:, :k]
    return float((y[nearest] == y[:, None]).mean())


def chance_purity(labels: Sequence[int]) -> float:
    """What :func:`neighbour_purity` expects for neighbours drawn at random (any ``k``).

    A random other point has point i's label with probability (n_i - 1) / (n - 1), n_i the
    size of i's group; the score averages that over the points.

    >>> chance_purity([0, 0, 1, 1])
    0.3333333333333333
    """
    y = np.asarray(labels)
    n = len(y)
    if n < 2:
        raise ValueError(f"need at least 2 labels, got {n}")
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    return float(((counts[inverse] - 1) / (n - 1)).mean())
