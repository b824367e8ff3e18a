"""The words of ``firstlayer demo`` in each language it speaks (``--lang en|zh``).

``firstlayer.demo`` holds the code it runs and prints; this module holds what it says around
the code: headings, paragraphs, the comments inside the code (written ``#{key}`` there and
filled in from :data:`COMMENTS`) and the labels of its table. The Chinese text follows the
Chinese tutorial (``docs/zh/first-layer.md``): the same terms, for the seed's readers.
"""

from __future__ import annotations

import os
import re
import textwrap
import unicodedata
from collections.abc import Mapping

LANGS = ("en", "zh")
# The locale variables that choose the language, in POSIX's order of precedence.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """``"zh"`` when the locale is Chinese (the first of LC_ALL, LC_MESSAGES, LANG that is set
    starts with ``zh``), else ``"en"``.

    >>> default_lang({"LANG": "zh_CN.UTF-8"}), default_lang({"LANG": "en_US.UTF-8"})
    ('zh', 'en')
    >>> default_lang({"LC_ALL": "C.UTF-8", "LANG": "zh_TW.UTF-8"})
    'en'
    """
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def columns(text: str) -> int:
    """Terminal columns of ``text``: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# A run of characters that may not be split across lines: a word of Latin letters, digits and
# ASCII punctuation, or one wide (CJK) character with the punctuation that must stay with it.
_CLOSING = "，。、：；！？）」』》,.;:!?)"
_UNIT = re.compile(
    rf"[^\s\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]+[{_CLOSING}]*|\S[{_CLOSING}]*|\s+"
)


def _join_lines(lines: list[str]) -> str:
    """Source lines of Chinese text as one line: joined as they are between two Chinese
    characters, with a space where a Latin word or number meets the line break."""
    text = ""
    for line in lines:
        if text and line and not (columns(text[-1]) == 2 and columns(line[0]) == 2):
            text += " "
        text += line
    return text


def fill(text: str, width: int, lang: str) -> str:
    """``text`` as one paragraph, wrapped to ``width`` terminal columns.

    English is joined on spaces and wrapped by words. Chinese is written without spaces, so the
    lines of its source are joined as they are and a line may break between any two
    characters, never inside a Latin word nor before a closing punctuation mark.
    """
    if lang != "zh":
        return textwrap.fill(" ".join(text.split()), width, break_on_hyphens=False)
    text = _join_lines([line.strip() for line in text.strip().splitlines()])
    # a number and its unit stay on one line: joined by U+2060 (a word joiner) until the end
    text = re.sub(r"(\d) (?=(?:[kMG]?B|ms|s|GFLOP)\b)", "\\1\u2060", text)
    lines, line = [], ""
    for unit in _UNIT.findall(text):
        if unit.isspace():
            unit = " "
        if line and columns(line + unit.rstrip()) > width:
            lines.append(line.rstrip())
            line = "" if unit == " " else unit
        else:
            line += unit
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines).replace("\u2060", " ")


# ---- what the tour says, by language ------------------------------------------------------------
EN: dict[str, str] = {
    "title": "firstlayer demo: a model's first layer, after the seed document",
    "seed_line": "(seed {seed}; lines after >>> are code, run as shown; output below them)",
    "h1": "1. Characters -> ids -> one-hot vectors",
    "p1": """A model reads numbers, not characters, so each character gets an id. The
        one-hot vector of id i is row i of the identity matrix: a 1 at position i, 0
        everywhere else, one dimension per character of the vocabulary.""",
    "h2": "2. Linear on one-hot vectors = Embedding on ids",
    "p2_linear": """One-hot vectors are long and say nothing about meaning; a linear layer turns
        them into short dense vectors, and those vectors are what the rest of the model
        reads. Multiplying a weight by a one-hot vector just picks one of its columns:""",
    "p2_embedding": """An Embedding does the picking directly, by id, and never builds the
        one-hot vectors (which saves their memory):""",
    "p2_same": """They are the same layer. Give a Linear without bias the Embedding's table,
        transposed (a Linear's weight is (out, in), a table is (V, D)): the outputs are
        equal, and so are the gradients that training uses, for any gradient coming back
        from the rest of the model.""",
    "p2_habit": """So an Embedding is a Linear whose input is a one-hot vector. By habit the
        first layer of a model is an Embedding; the layers after it are Linear.""",
    "h3": "3. Initialising the first layer",
    "p3": """Both layers start from random numbers: a Linear from U(-1/sqrt(in),
        1/sqrt(in)), an Embedding from N(0, 1). The seed shows three ways to choose them
        yourself; the first two work for both layers.""",
    "p3_init": """nn.init has the named schemes. Xavier (Glorot) uniform draws from U(-b, b)
        with b = gain * sqrt(6 / (fan_in + fan_out)), which keeps the variance of the
        activations and of the gradients about the same from layer to layer. For a
        weight (out, in): fan_in = in, fan_out = out.""",
    "h4": "4. Training moves the vectors",
    "p4": """The vectors of the first layer are parameters like any other: training
        updates them, and the characters end up with better vectors. A tiny task: tell
        the group of a character (pronoun, nature or number) with Embedding -> Linear ->
        cross-entropy, trained by plain SGD.""",
    "h5": "5. Why not one-hot + Linear: time and memory",
    "p5": """Both layers compute the same thing, but the one-hot path first builds an
        (N, V) matrix that is almost all zeros, then multiplies by it. Measured here with a
        vocabulary of V={V:,} characters, D={D} and a batch of N={N:,} ids, float32: time
        (building the one-hot matrix included) is the median of {repeats} runs, memory the
        peak allocated during a run (tracemalloc, which sees NumPy's arrays).""",
    "p5_quick": "(--quick: a small size; run `firstlayer demo` for V=50,000.)",
    "same_results": "same results:      max |difference| {out:.1g} (outputs), {grad:.1g} (grads)",
    "p5_after": """The one-hot matrix alone is N x V x 4 bytes = {one_hot}, for ids that take
        N x 8 bytes = {ids}; its product with the weight costs 2 x N x V x D = {gflop:.1f}
        GFLOP, for a lookup that copies N x D numbers. The backward is the same product
        again; it adds up the gradients of repeated ids in another order than the
        Embedding, hence a difference of float32 rounding at most. The Embedding's memory
        is its output and, with backward, the gradient of its table, as big as the table
        (Embedding(sparse=True) makes a gradient of only the rows used).""",
    "h6": "6. Vectors learned from text: word2vec on characters",
    "p6": """In section 4 the vectors learned from labels given by hand. word2vec learns
        them from plain text: an Embedding holds one vector per character, and training
        moves each vector to predict the characters around it (skip-gram), through a
        second table of output vectors that acts as the Linear layer over the vocabulary.
        Characters used in the same contexts must predict the same neighbours, so their
        vectors end up alike. A test whose answer is known: sentences generated from
        templates whose slots take characters of four groups.""",
    "p6_train": """Training: gensim's names and defaults, except a small vector_size and
        window for a small corpus; workers=1 and a seed make it reproducible.""",
    "p6_score": """How well do the vectors recover the groups? For each of the 33 group
        characters, take its 5 nearest among the other 32 and count the share from its own
        group. Vectors that knew nothing of the groups would score the chance level: about
        (size of its group - 1) / 32 for each character.""",
    "no_plot": "(no picture: --no-plot)",
    "no_matplotlib": """No picture: drawing needs matplotlib, which is not installed. To get
        the picture of these vectors: {hint}""",
    "plot_error": "No picture: {error}. Choose another file with --plot PATH.",
    "plot_title": "character vectors learned by word2vec (PCA)",
    "picture": "Picture: {path}",
    "p_picture": """The 33 characters on the two directions along which their vectors
        (scaled to length 1) vary most, one colour per group; vectors that recover the
        groups show four separate clouds. `firstlayer plot VECTORS WORD... -o plot.png`
        draws any words of a vectors file.""",
    "no_cjk_font": "No installed font has Chinese characters (apt-get install fonts-noto-cjk\n"
                   "gives one), so the picture shows numbers for them:",
    "summary_w2v": "Summary: word2vec, {purity:.0%} of a character's 5 nearest in its group "
                   "(chance {chance:.0%})",
    "summary_cost": "Summary: Embedding = one-hot + Linear, {t_lo:.0f}-{t_hi:.0f}x faster, "
                    "{m_lo:.0f}-{m_hi:.0f}x less memory",
    # the cost table
    "t_forward": "forward",
    "t_total": "forward + backward",
    "t_time": "time",
    "t_memory": "memory",
    "t_one_hot": "one-hot + Linear",
    "t_embedding": "Embedding",
    "t_ratio": "one-hot / Emb.",
}

ZH: dict[str, str] = {
    "title": "firstlayer demo：模型的第一层（沿着那篇博客一步一步来）",
    "seed_line": "（种子 {seed}；>>> 后面是代码，照原样运行；下面是它的输出）",
    "h1": "1. 字 -> 编号 -> one-hot 向量",
    "p1": """模型只会算数，不认识字，所以先给每个字分配一个编号。编号 i 的 one-hot 向量就是单位
        矩阵的
        第 i 行：第 i 位是 1，其余全是 0，向量长度等于词表大小。""",
    "h2": "2. 输入 one-hot 的 Linear = 输入编号的 Embedding",
    "p2_linear": """one-hot 向量又长，又没有任何语义信息；用一个线性层就能把它变成低维稠密的向量，
        模型后面的层读的就是这些向量。权重矩阵乘以 one-hot 向量，其实就是取出其中一列：""",
    "p2_embedding": """Embedding 直接按编号取出这一行，根本不构造 one-hot 向量（也就省下了存
        one-hot 矩阵的内存）：""",
    "p2_same": """两者其实是同一层。拿一个不带偏置的 Linear，把 Embedding 的表转置后作为它的权重
        （Linear 的权重是（输出，输入），表是（V, D））：两者的输出相等；不管后面的层传回来的梯
        度是什么，
        训练用到的梯度也相等。""",
    "p2_habit": """所以说，Embedding 就是输入为 one-hot 向量的 Linear。习惯上，模型的第一层用
        Embedding，后面的层用 Linear。""",
    "h3": "3. 第一层的初始化",
    "p3": """两种层一开始都是随机数：Linear 来自 U(-1/sqrt(in), 1/sqrt(in))，Embedding 来自
        N(0, 1)。想按自己的来，原文给了三种方法，前两种对 Embedding 和 Linear 都适用。""",
    "p3_init": """nn.init 里有各种常用的初始化方案。Xavier（Glorot）均匀初始化从 U(-b, b) 里取值，
        b = gain * sqrt(6 / (fan_in + fan_out))，作用是让激活值和梯度的方差在层与层之间大致保持
        不变。
        对形状为（输出，输入）的权重：fan_in = 输入，fan_out = 输出。""",
    "h4": "4. 训练会改变这些向量",
    "p4": """第一层的向量和其他参数一样，会在训练中更新，于是每个字得到越来越好的向量。来看一个
        小任务：
        判断一个字属于哪一组（代词、自然、数字），模型是 Embedding -> Linear -> 交叉熵，
        用最普通的 SGD 训练。""",
    "h5": "5. 为什么不用 one-hot + Linear：时间和内存",
    "p5": """两种做法算的是同一个东西，但 one-hot 的做法要先造一个几乎全是 0 的 (N, V) 矩阵，
        再拿它做矩阵乘法。这里实测：词表 V={V:,} 个字，D={D}，一个批次 N={N:,} 个编号，float32；
        时间取 {repeats} 次运行的中位数（包括构造 one-hot 矩阵），内存是一次运行中分配的峰值
        （用 tracemalloc 统计，它能看到 NumPy 的数组）。""",
    "p5_quick": "（--quick：规模较小；运行 `firstlayer demo --lang zh` 测 V=50,000。）",
    "same_results": "结果相同：         最大差值 {out:.1g}（输出），{grad:.1g}（梯度）",
    "p5_after": """光是 one-hot 矩阵就要 N x V x 4 字节 = {one_hot}，而编号只要 N x 8 字节 =
        {ids}；它和权重相乘要 2 x N x V x D = {gflop:.1f} GFLOP，而查表只是复制 N x D 个数。
        反向传播又是同样一次乘法；它累加重复编号的梯度时顺序和 Embedding 不同，所以最多差一点
        float32 的舍入误差。Embedding 的内存是它的输出，加上反向时整张表的梯度，和表一样大
        （Embedding(sparse=True) 的梯度只存用到的那几行）。""",
    "h6": "6. 从文本中学到的向量：字的 word2vec",
    "p6": """第 4 节的向量是从人工给的标签里学到的。word2vec 则直接从文本里学：Embedding 给每个
        字存一个向量，
        训练时让每个字的向量去预测它周围的字（skip-gram），中间经过第二张“输出向量”表，它的作用
        就是
        整个词表上的 Linear 层。用法相近的字要预测相同的邻居，所以它们的向量会变得相似。
        这里用一个答案已知的测试：句子由模板生成，模板的空位填入四组字。""",
    "p6_train": """训练：参数名和默认值都和 gensim 一样，只是语料小，所以 vector_size 和 window
        也取得小；workers=1 加上种子，结果可以复现。""",
    "p6_score": """这些向量能把四组字分开吗？对 33 个字中的每一个，在其余 32 个字里找出最近
        的 5 个，
        数一数其中有多少和它同组。如果向量对分组一无所知，得分只是碰运气的水平：每个字大约是
        （它那一组的大小 - 1）/ 32。""",
    "no_plot": "（不画图：--no-plot）",
    "no_matplotlib": """不画图：画图需要 matplotlib，但它没有安装。想看这些向量的图：{hint}""",
    "plot_error": "不画图：{error}。请用 --plot PATH 换一个文件。",
    "plot_title": "word2vec 学到的字向量（PCA）",
    "picture": "图片：{path}",
    "p_picture": """图上是 33 个字，画在它们的向量（缩放到长度 1）变化最大的两个方向上，每组一种
        颜色；
        能把分组学出来的向量会显示成四团分开的点。`firstlayer plot VECTORS WORD... -o plot.png`
        可以画出任何向量文件里的词。""",
    "no_cjk_font": "没有安装含中文字符的字体（apt-get install fonts-noto-cjk 可以装一个），\n"
                   "所以图上用数字代替这些字：",
    "summary_w2v": "小结：word2vec，每个字最近的 5 个字中 {purity:.0%} 和它同组"
                   "（碰运气 {chance:.0%}）",
    "summary_cost": "小结：Embedding = one-hot + Linear，快 {t_lo:.0f}-{t_hi:.0f} 倍，"
                    "内存少 {m_lo:.0f}-{m_hi:.0f} 倍",
    "t_forward": "前向",
    "t_total": "前向 + 反向",
    "t_time": "时间",
    "t_memory": "内存",
    "t_one_hot": "one-hot + Linear",
    "t_embedding": "Embedding",
    "t_ratio": "one-hot / Emb.",
}

# The comments inside the code the demo prints and runs (``#{key}`` in firstlayer.demo).
COMMENTS: dict[str, dict[str, str]] = {
    "en": {
        "imports": "PyTorch's names: the seed's code runs as is",
        "two_chars": 'two characters: "I" and "you"',
        "eye": "row i: the one-hot vector of id i",
        "linear": "y = x Wᵀ + b, W of shape (out, in) = (2, 2)",
        "linear_rows": "row i: the vector of character i (column i of W, plus b)",
        "seed_names": "the seed's names; PyTorch spells them num_embeddings, embedding_dim",
        "both": "both at once: one row per id",
        "upstream": "d(loss)/d(output), the same for both",
        "transposed": "= fc.weight.grad transposed",
        "way1": "1. assign a new Parameter: it replaces the layer's weight everywhere",
        "u01": "U(0, 1)",
        "way2": "2. write through .data: in place, not recorded by autograd",
        "u11": "now U(-1, 1)",
        "way3": "3. from_pretrained (Embedding only): a given table, frozen by default",
        "frozen": "freeze=False to train it further",
        "fans": "fan_in 50, fan_out 128",
        "before": "the vectors of 我 and 你 before training...",
        "after": "...and after",
        "predicted": "predicted groups",
        "sentence": "a sentence is a list of characters: the tokens",
        "nearest": "two of each group: its 5 nearest (cosine)",
    },
    "zh": {
        "imports": "PyTorch 的名字：原文的代码照原样就能跑",
        "two_chars": "两个字：“我”和“你”",
        "eye": "第 i 行：编号 i 的 one-hot 向量",
        "linear": "y = x Wᵀ + b，W 的形状是（输出，输入）= (2, 2)",
        "linear_rows": "第 i 行：第 i 个字的向量（W 的第 i 列加上 b）",
        "seed_names": "原文的参数名；PyTorch 里叫 num_embeddings、embedding_dim",
        "both": "一次查两个字：每个编号一行",
        "upstream": "后面的层传回来的梯度，两边用同一个",
        "transposed": "= fc.weight.grad 的转置",
        "way1": "方法一：直接赋值一个新的 Parameter，替换掉原来的权重",
        "u01": "(0, 1) 均匀分布",
        "way2": "方法二：通过 .data 原地修改，不会被 autograd 记录",
        "u11": "又改成 (-1, 1) 的均匀分布",
        "way3": "方法三：from_pretrained（只适用于 Embedding）：用现成的表，默认冻结",
        "frozen": "freeze=False 可以继续训练",
        "fans": "fan_in 50，fan_out 128",
        "before": "训练前“我”和“你”的向量……",
        "after": "……训练后",
        "predicted": "预测的组别",
        "sentence": "一个句子就是一串字：也就是它的 token",
        "nearest": "每组两个字：最近的 5 个（余弦相似度）",
    },
}

TEXT: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def comments(code: str, lang: str) -> str:
    """``code`` with each ``#{key}`` replaced by ``# `` and the comment in ``lang``."""
    table = COMMENTS[lang]
    return re.sub(r"#\{(\w+)\}", lambda m: "# " + table[m.group(1)], code)
