"""``firstlayer demo``: a guided, printed tour of the seed document, with real computed output.

The tour follows the seed ("The model's first layer: torch.nn.Embedding and torch.nn.Linear
explained") in five sections:

1. characters -> ids -> one-hot vectors (``torch.eye``);
2. ``nn.Linear`` on one-hot vectors and ``nn.Embedding`` on ids, then proof that they are the
   same layer: equal outputs and equal gradients;
3. the seed's three ways to initialise a layer, and one ``nn.init`` scheme with its formula;
4. a few SGD steps on a tiny task, showing that the first layer's vectors are trained;
5. time and memory of one-hot + Linear against Embedding at V=50,000;
6. beyond the seed: word2vec learns character vectors from a small generated Chinese corpus,
   and the characters used alike (numbers, colours, animals, family) end up close together,
   scored against chance and drawn as a picture (PCA).

Sections 1-4 and 6 are shown as an interactive session: each statement is printed after ``>>>`` and
run, and what it prints (or its value) follows, so every line can be typed in again with
PyTorch. Everything random comes from ``manual_seed(seed)``, so two runs with one seed print the
same text, except the measured times. The tour speaks English or Chinese (``lang``, by default
from the locale); its words are in ``firstlayer._demo_text``, the Chinese ones those of the
Chinese tutorial (docs/zh/first-layer.md).

>>> from firstlayer.demo import run_demo
>>> run_demo(seed=0, quick=True)  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import gc
import math
import os
import statistics
import tempfile
import textwrap
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import firstlayer as torch
import firstlayer.nn as nn
from firstlayer._demo_text import LANGS, TEXT, columns, comments, default_lang, fill
from firstlayer.tensor import Tensor

WIDTH = 79  # the widest line the demo prints, so it reads in an 80-column terminal
# The language the tour speaks, set by run_demo (its words are in firstlayer._demo_text).
_lang = "en"


def _t(key: str, **fields: Any) -> str:
    """The text ``key`` in the tour's language, its ``{fields}`` filled in."""
    text = TEXT[_lang][key]
    return text.format(**fields) if fields else text


# ---- printing helpers ----------------------------------------------------------------------
def _heading(title: str) -> None:
    print()
    print(title)
    print("=" * columns(title))


def _say(text: str) -> None:
    """A paragraph of explanation, wrapped to the terminal width."""
    print(fill(text, WIDTH, _lang))
    print()


def _session(code: str, ns: dict[str, Any]) -> None:
    """Print ``code`` as an interactive session and run it in the namespace ``ns``.

    Each statement is shown after ``>>>`` (its continuation lines after ``...``, comment lines
    as they are) and then run; as in the interpreter, the value of a bare expression is printed
    below it. What is shown is exactly what runs.
    """
    code = comments(textwrap.dedent(code).strip("\n"), _lang)  # the comments in _lang
    lines = code.splitlines()
    shown = 0  # lines printed so far
    for stmt in ast.parse(code).body:
        for line in lines[shown : stmt.lineno - 1]:  # comments between statements
            if line.strip():
                print(">>> " + line)
        first, *rest = lines[stmt.lineno - 1 : stmt.end_lineno]
        print(">>> " + first)
        for line in rest:
            print("... " + line)
        shown = stmt.end_lineno or stmt.lineno
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), "<demo>", "eval"), ns)
            if value is not None:
                print(repr(value))
        else:
            exec(compile(ast.Module([stmt], type_ignores=[]), "<demo>", "exec"), ns)
    print()


# ---- sections 1-4: the seed, run ------------------------------------------------------------
def _section_vocab(ns: dict[str, Any]) -> None:
    _heading(_t("h1"))
    _say(_t("p1"))
    _session("""
        import firstlayer as torch  #{imports}
        import firstlayer.nn as nn
        vocab = {"我": 0, "你": 1}  #{two_chars}
        vocab_vec = torch.eye(2)  #{eye}
        vocab_vec
    """, ns)


def _section_same_layer(ns: dict[str, Any]) -> None:
    """Linear on one-hot vectors vs Embedding on ids: same outputs, same gradients."""
    _heading(_t("h2"))
    _say(_t("p2_linear"))
    _session("""
        fc = nn.Linear(2, 2)  #{linear}
        fc(vocab_vec)  #{linear_rows}
    """, ns)
    _say(_t("p2_embedding"))
    _session("""
        #{seed_names}
        embedding = nn.Embedding(vocab_size=2, emb_size=2)
        me = torch.tensor([0], dtype=torch.int64)
        you = torch.tensor([1], dtype=torch.int64)
        embedding(me)
        embedding(you)
        meyou = torch.tensor([0, 1], dtype=torch.int64)
        embedding(meyou)  #{both}
    """, ns)
    _say(_t("p2_same"))
    _session("""
        fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            fc.weight.copy_(embedding.weight.T)
        out_linear = fc(vocab_vec)
        out_embedding = embedding(meyou)
        out_diff = (out_linear - out_embedding).abs().max().item()
        print("max |difference| of the outputs:", out_diff)
        upstream = torch.randn(2, 2)  #{upstream}
        out_linear.backward(upstream)
        out_embedding.backward(upstream)
        fc.weight.grad
        embedding.weight.grad  #{transposed}
        grad_diff = (fc.weight.grad.T - embedding.weight.grad).abs().max().item()
        print("max |difference| of the gradients:", grad_diff)
    """, ns)
    _say(_t("p2_habit"))


def _section_init(ns: dict[str, Any]) -> None:
    _heading(_t("h3"))
    _say(_t("p3"))
    _session("""
        #{way1}
        fc = nn.Linear(2, 2)
        fc.weight = nn.Parameter(torch.rand(2, 2))  #{u01}
        fc.weight
        #{way2}
        embedding.weight.data.uniform_(-1, 1)  #{u11}
        embedding.weight
        #{way3}
        a = torch.tensor([[1, 2], [2, 2]], dtype=torch.float32)
        embedding = nn.Embedding.from_pretrained(a)
        embedding.weight
        embedding.weight.requires_grad  #{frozen}
    """, ns)
    _say(_t("p3_init"))
    _session("""
        w = nn.init.xavier_uniform_(torch.empty(128, 50))  #{fans}
        bound = math.sqrt(6 / (50 + 128))
        print(f"bound b = {bound:.4f}, largest |w| = {w.abs().max().item():.4f}")
    """, ns)


def _section_training(ns: dict[str, Any]) -> None:
    """A few SGD steps of Embedding -> Linear, printing the loss and the vectors."""
    _heading(_t("h4"))
    _say(_t("p4"))
    _session("""
        import firstlayer.nn.functional as F
        import firstlayer.optim as optim
        chars = "我你他她山水火木一二三"
        vocab = {c: i for i, c in enumerate(chars)}
        ids = torch.tensor([vocab[c] for c in chars])
        groups = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
        model = nn.Sequential(nn.Embedding(len(vocab), 4), nn.Linear(4, 3))
        before = model[0].weight.detach().clone()
        opt = optim.SGD(model.parameters(), lr=0.5)
        for step in range(1, 41):
            loss = F.cross_entropy(model(ids), groups)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step == 1 or step % 8 == 0:
                print(f"step {step:2d}   loss {loss.item():.4f}")
        before[:2]  #{before}
        model[0].weight.detach()[:2]  #{after}
        model(ids).argmax(dim=1)  #{predicted}
        groups
    """, ns)


# ---- section 5: the cost of building the one-hot vectors ------------------------------------
@dataclass
class Cost:
    """What a path costs: median seconds and peak bytes, for the forward and forward+backward."""

    forward_s: float
    total_s: float
    forward_peak: int
    total_peak: int


def measure(forward: Callable[[], Tensor], upstream: Tensor, repeats: int) -> tuple[Cost, Tensor]:
    """Run ``forward()`` then ``backward(upstream)`` ``1 + repeats`` times; return their cost
    and the output of the first run.

    The first run is traced by tracemalloc for the peak memory (NumPy reports its array buffers
    to it; only what is allocated during the run counts) and doubles as a warm-up. The others
    are timed, untraced, as tracing slows allocation down. ``forward`` should reset the
    gradients it produces, so that every run allocates the same.
    """
    gc.collect()
    tracemalloc.start()
    try:
        y = forward()
        forward_peak = tracemalloc.get_traced_memory()[1]
        y.backward(upstream)
        total_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    first = y.detach()  # the values without the graph, which holds the inputs alive
    del y
    forward_s, total_s = [], []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        y = forward()
        mid = time.perf_counter()
        y.backward(upstream)
        end = time.perf_counter()
        del y
        forward_s.append(mid - start)
        total_s.append(end - start)
    cost = Cost(statistics.median(forward_s), statistics.median(total_s), forward_peak, total_peak)
    return cost, first


def _fmt_time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def _fmt_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}" if unit == "GB" else f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def _ratios(slow: Cost, fast: Cost) -> tuple[float, float, float, float]:
    """How many times more ``slow`` costs: forward time, memory; forward+backward time, memory."""
    return (
        slow.forward_s / fast.forward_s, slow.forward_peak / fast.forward_peak,
        slow.total_s / fast.total_s, slow.total_peak / fast.total_peak,
    )


def _pad(text: str, width: int, align: str) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two): < > or ^."""
    space = max(width - columns(text), 0)
    left = {"<": 0, ">": space, "^": space // 2}[align]
    return " " * left + text + " " * (space - left)


def _cost_table(one_hot: Cost, lookup: Cost) -> None:
    print((" " * 17 + _pad(_t("t_forward"), 24, "^") + _pad(_t("t_total"), 24, "^")).rstrip())
    print(" " * 17 + "".join(_pad(_t(k), 12, ">") for k in ("t_time", "t_memory") * 2))
    for label, c in ((_t("t_one_hot"), one_hot), (_t("t_embedding"), lookup)):
        print(
            f"{label:<17}{_fmt_time(c.forward_s):>12}{_fmt_bytes(c.forward_peak):>12}"
            f"{_fmt_time(c.total_s):>12}{_fmt_bytes(c.total_peak):>12}"
        )
    ratios = _ratios(one_hot, lookup)
    print(f"{_t('t_ratio'):<17}" + "".join(f"{r:>10.0f} x" for r in ratios))
    print()


def _section_cost(quick: bool) -> tuple[Cost, Cost]:
    """Measure and print the time and memory of both paths; returns their costs."""
    V, D, N = (5_000, 32, 1_024) if quick else (50_000, 128, 8_192)
    repeats = 3
    _heading(_t("h5"))
    _say(_t("p5", V=V, D=D, N=N, repeats=repeats))
    if quick:
        _say(_t("p5_quick"))
    embedding = nn.Embedding(V, D)
    fc = nn.Linear(V, D, bias=False)
    with torch.no_grad():
        fc.weight.copy_(embedding.weight.T)
    ids = torch.randint(0, V, (N,))
    upstream = torch.randn(N, D)  # one gradient from "the rest of the model" for both

    def one_hot_linear() -> Tensor:
        fc.weight.grad = None
        # Built as float32 directly: F.one_hot returns int64, twice the bytes again.
        x = torch.zeros(N, V)
        x[torch.arange(N), ids] = 1.0
        return fc(x)

    def lookup() -> Tensor:
        embedding.weight.grad = None
        return embedding(ids)

    print("one-hot + Linear:  x = torch.zeros(N, V); x[torch.arange(N), ids] = 1; fc(x)")
    print("Embedding:         embedding(ids)")
    one_hot_cost, y_one_hot = measure(one_hot_linear, upstream, repeats)
    lookup_cost, y_lookup = measure(lookup, upstream, repeats)
    assert fc.weight.grad is not None and embedding.weight.grad is not None
    out_diff = (y_one_hot - y_lookup).abs().max().item()
    grad_diff = (fc.weight.grad.T - embedding.weight.grad).abs().max().item()
    print(_t("same_results", out=out_diff, grad=grad_diff))
    print()
    _cost_table(one_hot_cost, lookup_cost)
    _say(_t("p5_after", one_hot=_fmt_bytes(N * V * 4), ids=_fmt_bytes(N * 8),
            gflop=2 * N * V * D / 1e9))
    return one_hot_cost, lookup_cost


# ---- section 6: vectors learned from text ---------------------------------------------------
# Section 6's corpus and training: ~22,000 characters, 10 epochs; about 0.1 s of training,
# so --quick keeps it (its picture needs this much text to show four clear groups).
SENTENCES = 3_000
EPOCHS = 10
# Two characters of each group whose neighbours are printed.
SHOWN = "三八红蓝猫马妈爷"
# The picture's name in the temporary folder when no --plot PATH is given: one fixed name, so
# that runs overwrite it rather than pile up files, and nothing lands in the current folder.
DEFAULT_PLOT_NAME = "firstlayer-demo.png"


def default_plot_path() -> str:
    """Where ``firstlayer demo`` writes its picture unless told: the temporary folder."""
    return os.path.join(tempfile.gettempdir(), DEFAULT_PLOT_NAME)


def _section_word2vec(ns: dict[str, Any], seed: int) -> tuple[float, float]:
    """Train word2vec on the generated corpus, print neighbours and the group score.

    Returns ``(purity, chance)``.
    """
    _heading(_t("h6"))
    _say(_t("p6"))
    _session(f"""
        from firstlayer.demo_corpus import GROUPS, generate_corpus
        for name, group in GROUPS.items():
            print(f"{{name:8}} {{group}}")
        sentences = generate_corpus({SENTENCES}, seed={seed})
        sentences[0]  #{{sentence}}
        print(" ".join("".join(s) for s in sentences[1:4]))
        n_chars = sum(len(s) for s in sentences)
        print(f"{{len(sentences):,}} sentences, {{n_chars:,}} characters")
    """, ns)
    _say(_t("p6_train"))
    _session(f"""
        from firstlayer.models import Word2Vec
        model = Word2Vec(sentences, vector_size=16, window=3, min_count=1, sg=1,
                         negative=5, epochs={EPOCHS}, seed={seed}, workers=1,
                         progress=False)
        for char in "{SHOWN}":  #{{nearest}}
            near = model.wv.most_similar(char, topn=5)
            print(char, "  ".join(f"{{c}} {{score:.2f}}" for c, score in near))
    """, ns)
    _say(_t("p6_score"))
    _session("""
        from firstlayer.demo_corpus import chance_purity, neighbour_purity
        chars = list("".join(GROUPS.values()))
        labels = [g for g, group in enumerate(GROUPS.values()) for _ in group]
        purity = neighbour_purity(model.wv[chars], labels, k=5)
        chance = chance_purity(labels)
        print(f"own group among the 5 nearest: {purity:.0%} (chance: {chance:.0%})")
    """, ns)
    return float(ns["purity"]), float(ns["chance"])


def _section_picture(ns: dict[str, Any], path: str | None) -> None:
    """Draw the 33 characters on their first two principal components, one colour per group."""
    from .plot import INSTALL_HINT, has_matplotlib, plot_words

    if path is None:
        print(_t("no_plot"))
        print()
        return
    if not has_matplotlib():
        _say(_t("no_matplotlib", hint=INSTALL_HINT))
        return
    # The legend names each group with its characters: inside a tight cluster the labels of
    # the points overlap.
    groups = [f"{name} {group}" for name, group in ns["GROUPS"].items() for _ in group]
    with warnings.catch_warnings(record=True):  # a missing CJK font: said below instead
        warnings.simplefilter("always")
        try:
            result = plot_words(
                ns["chars"], ns["model"].wv[ns["chars"]], path, groups=groups,
                title=_t("plot_title"),
            )
        except OSError as exc:
            _say(_t("plot_error", error=exc))
            return
    print(_t("picture", path=result.path))  # on a line of its own, whatever its length
    _say(_t("p_picture"))
    if result.key:
        print(_t("no_cjk_font"))
        number = {word: n for n, word in result.key.items()}
        for name, group in ns["GROUPS"].items():
            print(f"  {name:8} " + " ".join(f"{number[c]}={c}" for c in group if c in number))
        print()


# The projector page's words (firstlayer.projector), in each language of the tour.
_PAGE_TEXT = {
    "en": (
        "Page: {path}",
        """The same vectors as an interactive page: open it in a browser to search a
        character, see its nearest neighbours and turn the 3-D view. `firstlayer projector
        VECTORS -o page.html` makes one for any vectors file.""",
        "No interactive page: {error}",
    ),
    "zh": (
        "页面：{path}",
        """同样的向量也写成了一个交互页面：用浏览器打开，可以搜索一个字、
        看它的最近邻、转动三维视图。`firstlayer projector VECTORS -o page.html`
        可以为任何向量文件生成这样的页面。""",
        "没有交互页面：{error}",
    ),
}


def _section_page(ns: dict[str, Any], path: str | None) -> None:
    """Write the projector page of the 33 characters beside the picture (same name, .html)."""
    if path is None:
        return
    from .projector import MissingExtraError, write_html

    line, said, failed = _PAGE_TEXT.get(_lang, _PAGE_TEXT["en"])
    page = os.path.splitext(path)[0] + ".html"
    groups = {c: f"{name} {group}" for name, group in ns["GROUPS"].items() for c in group}
    try:
        write_html(ns["model"], page, keys=ns["chars"], labels=groups, title=_t("plot_title"))
    except (MissingExtraError, OSError) as exc:
        _say(failed.format(error=exc))
        return
    print(line.format(path=page))  # on a line of its own, whatever its length
    _say(said)


# ---- the tour --------------------------------------------------------------------------------
def run_demo(
    seed: int = 0, quick: bool = False, plot: bool | str | os.PathLike = True,
    lang: str | None = None,
) -> None:
    """Print the guided tour of the seed document to stdout.

    Args:
        seed: seeds ``firstlayer.manual_seed`` and section 6's corpus and training; the same
            seed prints the same text (except the measured times and the ratios made from
            them).
        quick: measure section 5 at a small size (V=5,000) instead of V=50,000, in well under
            a second, for tests.
        plot: where section 6 writes its picture: a path, ``True`` for
            :func:`default_plot_path` (the temporary folder), ``False`` for no picture.
            Without matplotlib the demo says how to get it and draws nothing.
        lang: ``"en"`` or ``"zh"`` (the words of the Chinese tutorial); ``None``: from the
            locale, Chinese when LC_ALL, LC_MESSAGES or LANG starts with ``zh``.

    >>> run_demo(seed=0, quick=True)  # doctest: +SKIP
    firstlayer demo: a model's first layer, after the seed document ...
    """
    global _lang
    lang = default_lang() if lang is None else lang
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    previous, _lang = _lang, lang
    try:
        _tour(seed, quick, plot)
    finally:
        _lang = previous


def _tour(seed: int, quick: bool, plot: bool | str | os.PathLike) -> None:
    torch.manual_seed(seed)
    print(_t("title"))
    print(_t("seed_line", seed=seed))
    ns: dict[str, Any] = {"math": math}
    _section_vocab(ns)
    _section_same_layer(ns)
    _section_init(ns)
    _section_training(ns)
    t_fwd, m_fwd, t_total, m_total = _ratios(*_section_cost(quick))
    purity, chance = _section_word2vec(ns, seed)
    path = default_plot_path() if plot is True else None if plot is False else os.fspath(plot)
    _section_picture(ns, path)
    _section_page(ns, path)
    print(_t("summary_w2v", purity=purity, chance=chance))
    print(_t("summary_cost", t_lo=min(t_fwd, t_total), t_hi=max(t_fwd, t_total),
             m_lo=min(m_fwd, m_total), m_hi=max(m_fwd, m_total)))
