"""The demo's generated Chinese corpus (``firstlayer.demo_corpus``) and its group score.

The corpus must be what its docstring says (every sentence from one template, slots from their
groups, right sums, doubled family words), the same for a seed, and balanced; the score must be
1.0 on perfect clusters, the chance level on random vectors, and agree with a brute-force count.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firstlayer.demo_corpus import (
    GROUPS,
    PRONOUNS,
    SLOTS,
    SUM_TEMPLATE,
    TEMPLATES,
    chance_purity,
    generate_corpus,
    neighbour_purity,
    template_pattern,
)

GROUP_CHARS = "".join(GROUPS.values())
PATTERNS = [template_pattern(t) for t in (*TEMPLATES, SUM_TEMPLATE)]


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return generate_corpus(3000, seed=0)


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    assert generate_corpus(300, seed=5) == generate_corpus(300, seed=5)
    assert generate_corpus(300, seed=5) != generate_corpus(300, seed=6)
    # A longer corpus starts with the shorter one: one draw stream, consumed in order.
    assert generate_corpus(500, seed=5)[:300] == generate_corpus(300, seed=5)
    assert generate_corpus(0) == []
    with pytest.raises(ValueError, match="n_sentences must be >= 0, got -1"):
        generate_corpus(-1)


def test_sentences_are_character_tokens_from_the_templates(corpus: list[list[str]]) -> None:
    assert len(corpus) == 3000
    for sentence in corpus:
        assert all(isinstance(t, str) and len(t) == 1 for t in sentence)
        text = "".join(sentence)
        matches = [i for i, p in enumerate(PATTERNS) if p.fullmatch(text)]
        assert matches, text
    # Every template is used, about equally often (3000 / 14 = 214 each).
    used = Counter(next(i for i, p in enumerate(PATTERNS) if p.fullmatch("".join(s)))
                   for s in corpus)
    assert len(used) == len(PATTERNS)
    assert min(used.values()) > 150 and max(used.values()) < 290


def test_every_group_character_appears_about_equally_often(corpus: list[list[str]]) -> None:
    counts = Counter(t for s in corpus for t in s)
    for name, group in GROUPS.items():
        n = [counts[c] for c in group]
        assert min(n) > 0, name
        # Uniform slot filling: within a group no character is rare. (Sums make small numbers
        # a bit more frequent than 十, which is only ever a result.)
        assert min(n) > 0.6 * np.mean(n) and max(n) < 1.5 * np.mean(n), (name, n)


def test_group_characters_come_only_from_slots() -> None:
    # The templates' own text holds no group character, so a group character's contexts are
    # made by the slots alone; and the groups and pronouns do not overlap.
    for template in (*TEMPLATES, SUM_TEMPLATE):
        literal = re.sub(r"\{\w\}", "", template)
        assert not set(literal) & set(GROUP_CHARS + PRONOUNS), template
    assert len(set(GROUP_CHARS)) == len(GROUP_CHARS) == 33
    assert not set(PRONOUNS) & set(GROUP_CHARS)
    assert set(SLOTS) == {"N", "C", "A", "F", "P"}


def test_slot_rules(corpus: list[list[str]]) -> None:
    texts = ["".join(s) for s in corpus]
    family = GROUPS["family"]
    numbers = GROUPS["numbers"]
    sums = [t for t in texts if "加" in t]
    assert len(sums) > 100
    for text in sums:  # "三加四等于七": right, with every number in 一..十
        m = re.fullmatch(f"([{numbers}])加([{numbers}])等于([{numbers}])", text)
        assert m is not None, text
        a, b, c = (numbers.index(x) + 1 for x in m.groups())
        assert a + b == c, text
    for text in texts:
        # A family member is written doubled: every family character sits in a pair.
        for run in re.findall(f"[{family}]+", text):
            assert len(run) % 2 == 0 and all(run[i] == run[i + 1] for i in range(0, len(run), 2))
    together = [t for t in texts if "和" in t]  # "{F}和{F}去看{A}": two different people
    assert together and all(t[0] != t[3] for t in together)
    dates = [t for t in texts if t.startswith("今天是")]  # "{N}月{N}号": two different numbers
    assert dates and all(t[3] != t[5] for t in dates)


def test_template_pattern_matches_exactly() -> None:
    p = template_pattern("{F}和{F}去看{A}")
    assert p.fullmatch("爸爸和妈妈去看猫")
    assert not p.fullmatch("爸妈和妈妈去看猫")  # family words are doubled
    assert not p.fullmatch("爸爸和妈妈去看红")  # a colour in an animal's slot
    assert template_pattern("{P}住在{N}楼").fullmatch("她住在十楼")


# ---- the score ---------------------------------------------------------------------------------
def brute_force_purity(x: np.ndarray, labels: list[int], k: int) -> float:
    """Each point's k highest cosines (ties: lower index first), counted one by one."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    shares = []
    for i in range(len(x)):
        others = sorted((j for j in range(len(x)) if j != i),
                        key=lambda j: (-float(unit[i] @ unit[j]), j))
        shares.append(sum(labels[j] == labels[i] for j in others[:k]) / k)
    return float(np.mean(shares))


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(2, 6), min_size=2, max_size=5),
    dim=st.integers(6, 12),
    seed=st.integers(0, 2**16),
)
def test_perfect_clusters_score_1(sizes: list[int], dim: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[: len(sizes)] * 10  # orthogonal group directions
    x = np.concatenate([c + rng.normal(0, 0.1, (n, dim)) for c, n in zip(centres, sizes)])
    labels = [g for g, n in enumerate(sizes) for _ in range(n)]
    k = min(sizes) - 1
    assert neighbour_purity(x, labels, k=k) == 1.0
    assert neighbour_purity(x * rng.uniform(0.1, 5, (len(x), 1)), labels, k=k) == 1.0  # cosine


@settings(max_examples=20, deadline=None)
@given(n=st.integers(4, 15), k=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_matches_a_brute_force_count(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = [int(v) for v in rng.integers(0, 3, n)]
    assert neighbour_purity(x, labels, k=k) == pytest.approx(brute_force_purity(x, labels, k))


def test_random_vectors_score_about_chance() -> None:
    labels = [g for g, group in enumerate(GROUPS.values()) for _ in group]
    chance = chance_purity(labels)
    # (9*10 + 6*7 + 7*8 + 7*8) / (33 * 32): each character's own group among the other 32.
    assert chance == pytest.approx(244 / 1056)
    rng = np.random.default_rng(0)
    scores = [neighbour_purity(rng.normal(size=(33, 16)), labels, k=5) for _ in range(200)]
    assert np.mean(scores) == pytest.approx(chance, abs=0.02)


def test_chance_purity_by_hand() -> None:
    assert chance_purity([0, 0, 1, 1]) == pytest.approx(1 / 3)
    assert chance_purity([0, 1, 2]) == 0.0  # nobody shares a group
    assert chance_purity([7, 7, 7]) == 1.0
    # Unequal groups: 3 points see 2 of 4 others, 2 points see 1 of 4.
    assert chance_purity([0, 0, 0, 1, 1]) == pytest.approx((3 * 2 / 4 + 2 * 1 / 4) / 5)
    with pytest.raises(ValueError, match="at least 2 labels"):
        chance_purity([0])


def test_purity_rejects_bad_arguments() -> None:
    x = np.eye(4)
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\] for 4 points, got 4"):
        neighbour_purity(x, [0, 0, 1, 1], k=4)
    with pytest.raises(ValueError, match="k must be"):
        neighbour_purity(x, [0, 0, 1, 1], k=0)
    with pytest.raises(ValueError, match=r"need vectors \(n, D\) and n labels"):
        neighbour_purity(x, [0, 1, 1], k=1)
    # A zero vector is orthogonal to everything (no division by zero).
    x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 0.0], [0.0, 1.0]])
    assert np.isfinite(neighbour_purity(x, [0, 0, 1, 1], k=1))
