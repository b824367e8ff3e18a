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
same text, except the measured times.

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
from firstlayer.tensor import Tensor

WIDTH = 79  # the widest line the demo prints, so it reads in an 80-column terminal


# ---- printing helpers ----------------------------------------------------------------------
def _heading(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


def _say(text: str) -> None:
    """A paragraph of explanation, wrapped to the terminal width."""
    print(textwrap.fill(" ".join(text.split()), WIDTH, break_on_hyphens=False))
    print()


def _session(code: str, ns: dict[str, Any]) -> None:
    """Print ``code`` as an interactive session and run it in the namespace ``ns``.

    Each statement is shown after ``>>>`` (its continuation lines after ``...``, comment lines
    as they are) and then run; as in the interpreter, the value of a bare expression is printed
    below it. What is shown is exactly what runs.
    """
    code = textwrap.dedent(code).strip("\n")
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
    _heading("1. Characters -> ids -> one-hot vectors")
    _say("""A model reads numbers, not characters, so each character gets an id. The
         one-hot vector of id i is row i of the identity matrix: a 1 at position i, 0
         everywhere else, one dimension per character of the vocabulary.""")
    _session("""
        import firstlayer as torch  # PyTorch's names: the seed's code runs as is
        import firstlayer.nn as nn
        vocab = {"我": 0, "你": 1}  # two characters: "I" and "you"
        vocab_vec = torch.eye(2)  # row i: the one-hot vector of id i
        vocab_vec
    """, ns)


def _section_same_layer(ns: dict[str, Any]) -> None:
    """Linear on one-hot vectors vs Embedding on ids: same outputs, same gradients."""
    _heading("2. Linear on one-hot vectors = Embedding on ids")
    _say("""One-hot vectors are long and say nothing about meaning; a linear layer turns
         them into short dense vectors, and those vectors are what the rest of the model
         reads. Multiplying a weight by a one-hot vector just picks one of its columns:""")
    _session("""
        fc = nn.Linear(2, 2)  # y = x Wᵀ + b, W of shape (out, in) = (2, 2)
        fc(vocab_vec)  # row i: the vector of character i (column i of W, plus b)
    """, ns)
    _say("""An Embedding does the picking directly, by id, and never builds the one-hot
         vectors (which saves their memory):""")
    _session("""
        # the seed's names; PyTorch spells them num_embeddings, embedding_dim
        embedding = nn.Embedding(vocab_size=2, emb_size=2)
        me = torch.tensor([0], dtype=torch.int64)
        you = torch.tensor([1], dtype=torch.int64)
        embedding(me)
        embedding(you)
        meyou = torch.tensor([0, 1], dtype=torch.int64)
        embedding(meyou)  # both at once: one row per id
    """, ns)
    _say("""They are the same layer. Give a Linear without bias the Embedding's table,
         transposed (a Linear's weight is (out, in), a table is (V, D)): the outputs are
         equal, and so are the gradients that training uses, for any gradient coming back
         from the rest of the model.""")
    _session("""
        fc = nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            fc.weight.copy_(embedding.weight.T)
        out_linear = fc(vocab_vec)
        out_embedding = embedding(meyou)
        out_diff = (out_linear - out_embedding).abs().max().item()
        print("max |difference| of the outputs:", out_diff)
        upstream = torch.randn(2, 2)  # d(loss)/d(output), the same for both
        out_linear.backward(upstream)
        out_embedding.backward(upstream)
        fc.weight.grad
        embedding.weight.grad  # = fc.weight.grad transposed
        grad_diff = (fc.weight.grad.T - embedding.weight.grad).abs().max().item()
        print("max |difference| of the gradients:", grad_diff)
    """, ns)
    _say("""So an Embedding is a Linear whose input is a one-hot vector. By habit the first
         layer of a model is an Embedding; the layers after it are Linear.""")


def _section_init(ns: dict[str, Any]) -> None:
    _heading("3. Initialising the first layer")
    _say("""Both layers start from random numbers: a Linear from U(-1/sqrt(in),
         1/sqrt(in)), an Embedding from N(0, 1). The seed shows three ways to choose them
         yourself; the first two work for both layers.""")
    _session("""
        # 1. assign a new Parameter: it replaces the layer's weight everywhere
        fc = nn.Linear(2, 2)
        fc.weight = nn.Parameter(torch.rand(2, 2))  # U(0, 1)
        fc.weight
        # 2. write through .data: in place, not recorded by autograd
        embedding.weight.data.uniform_(-1, 1)  # now U(-1, 1)
        embedding.weight
        # 3. from_pretrained (Embedding only): a given table, frozen by default
        a = torch.tensor([[1, 2], [2, 2]], dtype=torch.float32)
        embedding = nn.Embedding.from_pretrained(a)
        embedding.weight
        embedding.weight.requires_grad  # freeze=False to train it further
    """, ns)
    _say("""nn.init has the named schemes. Xavier (Glorot) uniform draws from U(-b, b)
         with b = gain * sqrt(6 / (fan_in + fan_out)), which keeps the variance of the
         activations and of the gradients about the same from layer to layer. For a
         weight (out, in): fan_in = in, fan_out = out.""")
    _session("""
        w = nn.init.xavier_uniform_(torch.empty(128, 50))  # fan_in 50, fan_out 128
        bound = math.sqrt(6 / (50 + 128))
        print(f"bound b = {bound:.4f}, largest |w| = {w.abs().max().item():.4f}")
    """, ns)


def _section_training(ns: dict[str, Any]) -> None:
    """A few SGD steps of Embedding -> Linear, printing the loss and the vectors."""
    _heading("4. Training moves the vectors")
    _say("""The vectors of the first layer are parameters like any other: training
         updates them, and the characters end up with better vectors. A tiny task: tell
         the group of a character (pronoun, nature or number) with Embedding -> Linear ->
         cross-entropy, trained by plain SGD.""")
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
        before[:2]  # the vectors of 我 and 你 before training...
        model[0].weight.detach()[:2]  # ...and after
        model(ids).argmax(dim=1)  # predicted groups
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


def _cost_table(one_hot: Cost, lookup: Cost) -> None:
    print(f"{'':17}{'forward':^24}{'forward + backward':^24}".rstrip())
    print(f"{'':17}{'time':>12}{'memory':>12}{'time':>12}{'memory':>12}")
    for label, c in (("one-hot + Linear", one_hot), ("Embedding", lookup)):
        print(
            f"{label:<17}{_fmt_time(c.forward_s):>12}{_fmt_bytes(c.forward_peak):>12}"
            f"{_fmt_time(c.total_s):>12}{_fmt_bytes(c.total_peak):>12}"
        )
    ratios = _ratios(one_hot, lookup)
    print(f"{'one-hot / Emb.':<17}" + "".join(f"{r:>10.0f} x" for r in ratios))
    print()


def _section_cost(quick: bool) -> tuple[Cost, Cost]:
    """Measure and print the time and memory of both paths; returns their costs."""
    V, D, N = (5_000, 32, 1_024) if quick else (50_000, 128, 8_192)
    repeats = 3
    _heading("5. Why not one-hot + Linear: time and memory")
    _say(f"""Both layers compute the same thing, but the one-hot path first builds an
         (N, V) matrix that is almost all zeros, then multiplies by it. Measured here with a
         vocabulary of V={V:,} characters, D={D} and a batch of N={N:,} ids, float32: time
         (building the one-hot matrix included) is the median of {repeats} runs, memory the
         peak allocated during a run (tracemalloc, which sees NumPy's arrays).""")
    if quick:
        _say("(--quick: a small size; run `firstlayer demo` for V=50,000.)")
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
    print(f"same results:      max |difference| {out_diff:.1g} (outputs), {grad_diff:.1g} (grads)")
    print()
    _cost_table(one_hot_cost, lookup_cost)
    _say(f"""The one-hot matrix alone is N x V x 4 bytes = {_fmt_bytes(N * V * 4)}, for
         ids that take N x 8 bytes = {_fmt_bytes(N * 8)}; its product with the weight costs
         2 x N x V x D = {2 * N * V * D / 1e9:.1f} GFLOP, for a lookup that copies N x D
         numbers. The backward is the same product again; it adds up the gradients of
         repeated ids in another order than the Embedding, hence a difference of float32
         rounding at most. The Embedding's memory is its output and, with backward, the
         gradient of its table, as big as the table (Embedding(sparse=True) makes a
         gradient of only the rows used).""")
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
    _heading("6. Vectors learned from text: word2vec on characters")
    _say("""In section 4 the vectors learned from labels given by hand. word2vec learns
         them from plain text: an Embedding holds one vector per character, and training
         moves each vector to predict the characters around it (skip-gram), through a
         second table of output vectors that acts as the Linear layer over the vocabulary.
         Characters used in the same contexts must predict the same neighbours, so their
         vectors end up alike. A test whose answer is known: sentences generated from
         templates whose slots take characters of four groups.""")
    _session(f"""
        from firstlayer.demo_corpus import GROUPS, generate_corpus
        for name, group in GROUPS.items():
            print(f"{{name:8}} {{group}}")
        sentences = generate_corpus({SENTENCES}, seed={seed})
        sentences[0]  # a sentence is a list of characters: the tokens
        print(" ".join("".join(s) for s in sentences[1:4]))
        n_chars = sum(len(s) for s in sentences)
        print(f"{{len(sentences):,}} sentences, {{n_chars:,}} characters")
    """, ns)
    _say("""Training: gensim's names and defaults, except a small vector_size and window for
         a small corpus; workers=1 and a seed make it reproducible.""")
    _session(f"""
        from firstlayer.models import Word2Vec
        model = Word2Vec(sentences, vector_size=16, window=3, min_count=1, sg=1,
                         negative=5, epochs={EPOCHS}, seed={seed}, workers=1,
                         progress=False)
        for char in "{SHOWN}":  # two of each group: its 5 nearest (cosine)
            near = model.wv.most_similar(char, topn=5)
            print(char, "  ".join(f"{{c}} {{score:.2f}}" for c, score in near))
    """, ns)
    _say("""How well do the vectors recover the groups? For each of the 33 group
         characters, take its 5 nearest among the other 32 and count the share from its own
         group. Vectors that knew nothing of the groups would score the chance level: about
         (size of its group - 1) / 32 for each character.""")
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
        print("(no picture: --no-plot)")
        print()
        return
    if not has_matplotlib():
        _say(f"""No picture: drawing needs matplotlib, which is not installed. To get the
             picture of these vectors: {INSTALL_HINT}""")
        return
    # The legend names each group with its characters: inside a tight cluster the labels of
    # the points overlap.
    groups = [f"{name} {group}" for name, group in ns["GROUPS"].items() for _ in group]
    with warnings.catch_warnings(record=True):  # a missing CJK font: said below instead
        warnings.simplefilter("always")
        try:
            result = plot_words(
                ns["chars"], ns["model"].wv[ns["chars"]], path, groups=groups,
                title="character vectors learned by word2vec (PCA)",
            )
        except OSError as exc:
            _say(f"No picture: {exc}. Choose another file with --plot PATH.")
            return
    print(f"Picture: {result.path}")  # on a line of its own, whatever its length
    _say("""The 33 characters on the two directions along which their vectors (scaled to
         length 1) vary most, one colour per group; vectors that recover the groups show
         four separate clouds. `firstlayer plot VECTORS WORD... -o plot.png` draws any
         words of a vectors file.""")
    if result.key:
        print("No installed font has Chinese characters (apt-get install fonts-noto-cjk")
        print("gives one), so the picture shows numbers for them:")
        number = {word: n for n, word in result.key.items()}
        for name, group in ns["GROUPS"].items():
            print(f"  {name:8} " + " ".join(f"{number[c]}={c}" for c in group if c in number))
        print()


# ---- the tour --------------------------------------------------------------------------------
def run_demo(
    seed: int = 0, quick: bool = False, plot: bool | str | os.PathLike = True
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

    >>> run_demo(seed=0, quick=True)  # doctest: +SKIP
    firstlayer demo: a model's first layer, after the seed document ...
    """
    torch.manual_seed(seed)
    print("firstlayer demo: a model's first layer, after the seed document")
    print(f"(seed {seed}; lines after >>> are code, run as shown; output below them)")
    ns: dict[str, Any] = {"math": math}
    _section_vocab(ns)
    _section_same_layer(ns)
    _section_init(ns)
    _section_training(ns)
    t_fwd, m_fwd, t_total, m_total = _ratios(*_section_cost(quick))
    purity, chance = _section_word2vec(ns, seed)
    path = default_plot_path() if plot is True else None if plot is False else os.fspath(plot)
    _section_picture(ns, path)
    print(f"Summary: word2vec, {purity:.0%} of a character's 5 nearest in its group "
          f"(chance {chance:.0%})")
    print(
        f"Summary: Embedding = one-hot + Linear, "
        f"{min(t_fwd, t_total):.0f}-{max(t_fwd, t_total):.0f}x faster, "
        f"{min(m_fwd, m_total):.0f}-{max(m_fwd, m_total):.0f}x less memory"
    )
