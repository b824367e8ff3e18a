"""Side-by-side timings of whole training steps of small models against PyTorch, in one process.

Each workload is written once, as PyTorch code taking the library as an argument (``lib`` is
``torch`` or ``firstlayer``: what a user changes is the import), built in both libraries with
the same weights (torch's initial weights copied into firstlayer's model) and fed the same data.
One timed call is one training step (forward + backward + optimizer step), or one epoch:

1. ``classifier-epoch``  the "Text classification with the torchtext library" tutorial's
                         ``train()`` for one epoch: 20k short texts (10-60 ids each from a Zipf
                         law over 95k ids, 4 classes) in a ``Dataset`` -> ``DataLoader(batch_size=
                         64, shuffle=True, collate_fn=collate_batch)`` (the tutorial's collate:
                         ``torch.tensor`` per text, offsets ``cumsum``, ``torch.cat``) ->
                         ``EmbeddingBag(95k, 64)`` + ``Linear`` -> ``CrossEntropyLoss`` ->
                         ``clip_grad_norm_(0.1)`` -> ``SGD(lr=5)``, plus its accuracy count.
2. ``lstm-tagger``       ``Embedding(10k, 64)`` + ``LSTM(64, 128, batch_first=True)`` +
                         ``Linear(128, 20)`` + ``CrossEntropyLoss`` over every token; batch of
                         32 sequences of 50 steps; SGD.
   ``gru-2layer-bi``     the same with a 2-layer bidirectional ``GRU`` (``Linear(256, 20)``).
3. ``textcnn``           Kim's CNN: ``Embedding(20k, 128)`` -> ``Conv1d(128, 100, k)`` for k in
                         3, 4, 5 -> relu -> ``max_pool1d`` over time -> ``cat`` -> ``Dropout(0.5)``
                         -> ``Linear(300, 4)``; batch 64 x 100 tokens; Adam.
4. ``transformer-ish-block``  ``x + Dropout(Linear(GELU(Linear(LayerNorm(x)))))`` (256 -> 1024
                         -> 256, dropout 0.1) on ``(64, 50, 256)``, MSE to a target; Adam.
5. ``ops-mix``           ``Linear(256, 256)`` then masked mean and max pooling over padded
                         sequences (``masked_fill``, ``sum``, ``clamp``, ``where``, ``max``),
                         ``stack``/``cat`` of the pooled features -> ``Linear(768, 4)``;
                         (64, 50, 256), lengths 5-50; SGD.

Timing method (alternating runs, pauses so the other library's spinning threads are idle,
median of each, ratio firstlayer / torch with torch at 2 threads), the report of how busy the
machine was and the wait for a quiet machine are those of ``bench_core.py``: both import them
from ``_harness.py``.

Usage::

    python bench/bench_model.py --runs 3          # three runs, a table of medians at the end
    python bench/bench_model.py --quick            # fewer repetitions (a smoke test)
    python bench/bench_model.py --only textcnn lstm-tagger
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import firstlayer as fl
from _harness import Pair, Workloads, rounds, setup, summary_table, time_runs, zipf_ids

TARGETS: dict[str, float | None] = {
    "classifier-epoch": None,
    "lstm-tagger": None,
    "gru-2layer-bi": None,
    "textcnn": None,
    "transformer-ish-block": None,
    "ops-mix": None,
}


def copy_weights(t_model: Any, fl_model: Any) -> None:
    """firstlayer's model gets torch's initial weights (same names, same shapes)."""
    fl_params = dict(fl_model.named_parameters())
    t_params = dict(t_model.named_parameters())
    assert fl_params.keys() == t_params.keys(), (fl_params.keys(), t_params.keys())
    for name, p in t_params.items():
        fl_params[name].data = fl.from_numpy(p.detach().numpy().copy())


def both(build: Callable[[Any], tuple[Any, Callable[[], object]]]) -> Pair:
    """``build(lib)`` returns ``(model, step)``; build it in both libraries, copy torch's
    weights into firstlayer's model, and return the two steps (firstlayer's first)."""
    t_model, t_step = build(torch)
    fl_model, fl_step = build(fl)
    copy_weights(t_model, fl_model)
    return fl_step, t_step


# --- 1. the tutorial's classifier, one epoch --------------------------------------------------

VOCAB, EMSIZE, NUM_CLASS, NUM_TEXTS = 95_000, 64, 4, 20_000


def corpus(rng: np.random.Generator) -> list[tuple[int, list[int]]]:
    """(label 1..4, ids) rows: as AG_NEWS after the tutorial's vocab lookup, but synthetic. The
    ids are Python lists, which is what ``text_pipeline`` returns."""
    lengths = rng.integers(10, 61, size=NUM_TEXTS)
    ids = zipf_ids(rng, int(lengths.sum()), VOCAB, 1.1)
    labels = rng.integers(1, NUM_CLASS + 1, size=NUM_TEXTS)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [
        (int(labels[i]), ids[bounds[i]: bounds[i + 1]].tolist()) for i in range(NUM_TEXTS)
    ]


def classifier_epoch(rows: list[tuple[int, list[int]]]) -> Callable[[Any], tuple]:
    def build(lib: Any) -> tuple:
        nn = lib.nn

        class TextDataset(lib.utils.data.Dataset):
            def __init__(self, rows: list) -> None:
                self.rows = rows

            def __len__(self) -> int:
                return len(self.rows)

            def __getitem__(self, i: int) -> tuple:
                return self.rows[i]

        def collate_batch(batch: list) -> tuple:
            label_list, text_list, offsets = [], [], [0]
            for _label, _text in batch:
                label_list.append(_label - 1)
                processed_text = lib.tensor(_text, dtype=lib.int64)
                text_list.append(processed_text)
                offsets.append(processed_text.size(0))
            labels = lib.tensor(label_list, dtype=lib.int64)
            offs = lib.tensor(offsets[:-1]).cumsum(dim=0)
            return labels, lib.cat(text_list), offs

        class TextClassificationModel(nn.Module):
            def __init__(self, vocab_size: int, embed_dim: int, num_class: int) -> None:
                super().__init__()
                self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
                self.fc = nn.Linear(embed_dim, num_class)

            def forward(self, text: Any, offsets: Any) -> Any:
                return self.fc(self.embedding(text, offsets))

        model = TextClassificationModel(VOCAB, EMSIZE, NUM_CLASS)
        criterion = nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=5)
        dataloader = lib.utils.data.DataLoader(
            TextDataset(rows), batch_size=64, shuffle=True, collate_fn=collate_batch
        )

        def train() -> int:
            model.train()
            total_acc, total_count = 0, 0
            for label, text, offsets in dataloader:
                optimizer.zero_grad()
                predicted_label = model(text, offsets)
                loss = criterion(predicted_label, label)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 0.1)
                optimizer.step()
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
            return total_acc

        return model, train

    return build


# --- 2. recurrent taggers ---------------------------------------------------------------------

TAG_VOCAB, TAGS, BATCH, STEPS = 10_000, 20, 32, 50


def tagger(rng: np.random.Generator, rnn: str) -> Callable[[Any], tuple]:
    tokens = rng.integers(0, TAG_VOCAB, size=(BATCH, STEPS))
    tags = rng.integers(0, TAGS, size=(BATCH * STEPS,))

    def build(lib: Any) -> tuple:
        nn = lib.nn

        class Tagger(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.emb = nn.Embedding(TAG_VOCAB, 64)
                if rnn == "lstm":
                    self.rnn = nn.LSTM(64, 128, batch_first=True)
                else:
                    self.rnn = nn.GRU(64, 128, num_layers=2, bidirectional=True,
                                      batch_first=True)
                self.out = nn.Linear(128 if rnn == "lstm" else 256, TAGS)

            def forward(self, x: Any) -> Any:
                h, _ = self.rnn(self.emb(x))
                return self.out(h)

        model = Tagger()
        criterion = nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        x, y = lib.from_numpy(tokens.copy()), lib.from_numpy(tags.copy())

        def step() -> None:
            optimizer.zero_grad()
            loss = criterion(model(x).reshape(-1, TAGS), y)
            loss.backward()
            optimizer.step()

        return model, step

    return build


# --- 3. TextCNN ------------------------------------------------------------------------------


def textcnn(rng: np.random.Generator) -> Callable[[Any], tuple]:
    tokens = rng.integers(0, 20_000, size=(64, 100))
    labels = rng.integers(0, 4, size=(64,))

    def build(lib: Any) -> tuple:
        nn, F = lib.nn, lib.nn.functional

        class TextCNN(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.emb = nn.Embedding(20_000, 128)
                self.convs = nn.ModuleList([nn.Conv1d(128, 100, k) for k in (3, 4, 5)])
                self.dropout = nn.Dropout(0.5)
                self.fc = nn.Linear(300, 4)

            def forward(self, x: Any) -> Any:
                e = self.emb(x).transpose(1, 2)  # (N, 128, L)
                hs = [F.relu(conv(e)) for conv in self.convs]
                pooled = [F.max_pool1d(h, h.size(2)).squeeze(2) for h in hs]
                return self.fc(self.dropout(lib.cat(pooled, 1)))

        model = TextCNN()
        criterion = nn.CrossEntropyLoss()
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        x, y = lib.from_numpy(tokens.copy()), lib.from_numpy(labels.copy())

        def step() -> None:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()

        return model, step

    return build


# --- 4. a transformer's feed-forward half ----------------------------------------------------


def block(rng: np.random.Generator) -> Callable[[Any], tuple]:
    data = rng.standard_normal((64, 50, 256), dtype=np.float32)
    target = rng.standard_normal((64, 50, 256), dtype=np.float32)

    def build(lib: Any) -> tuple:
        nn = lib.nn

        class Block(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.norm = nn.LayerNorm(256)
                self.fc1 = nn.Linear(256, 1024)
                self.act = nn.GELU()
                self.fc2 = nn.Linear(1024, 256)
                self.drop = nn.Dropout(0.1)

            def forward(self, x: Any) -> Any:
                return x + self.drop(self.fc2(self.act(self.fc1(self.norm(x)))))

        model = Block()
        criterion = nn.MSELoss()
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        x, y = lib.from_numpy(data.copy()), lib.from_numpy(target.copy())

        def step() -> None:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()

        return model, step

    return build


# --- 5. masked pooling ops -------------------------------------------------------------------


def ops_mix(rng: np.random.Generator) -> Callable[[Any], tuple]:
    data = rng.standard_normal((64, 50, 256), dtype=np.float32)
    lengths = rng.integers(5, 51, size=(64,))
    labels = rng.integers(0, 4, size=(64,))

    def build(lib: Any) -> tuple:
        nn = lib.nn

        class Pooler(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.proj = nn.Linear(256, 256)
                self.head = nn.Linear(768, 4)

            def forward(self, x: Any, lengths: Any) -> Any:
                h = self.proj(x)  # (N, L, 256)
                mask = (lib.arange(x.size(1))[None, :] < lengths[:, None]).unsqueeze(-1)
                total = h.masked_fill(~mask, 0.0).sum(1)
                mean = total / mask.sum(1).clamp(min=1)
                mx = lib.where(mask, h, lib.full_like(h, -1e4)).max(1).values
                feats = lib.cat([lib.stack([mean, mx], 1).flatten(1), h[:, 0]], -1)
                return self.head(feats)

        model = Pooler()
        criterion = nn.CrossEntropyLoss()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        x, n, y = (lib.from_numpy(a.copy()) for a in (data, lengths, labels))

        def step() -> None:
            optimizer.zero_grad()
            criterion(model(x, n), y).backward()
            optimizer.step()

        return model, step

    return build


def main() -> None:
    args = setup(__doc__, TARGETS, repeats=7, warmup=2)
    repeats, warmup = rounds(args)
    print(f"{repeats} rounds after {warmup} warm-up, {args.pause} s pause before each call")
    rng = np.random.default_rng(args.seed)
    fl.manual_seed(args.seed)
    torch.manual_seed(args.seed)
    workloads: Workloads = {
        "classifier-epoch": lambda: both(classifier_epoch(corpus(rng))),
        "lstm-tagger": lambda: both(tagger(rng, "lstm")),
        "gru-2layer-bi": lambda: both(tagger(rng, "gru")),
        "textcnn": lambda: both(textcnn(rng)),
        "transformer-ish-block": lambda: both(block(rng)),
        "ops-mix": lambda: both(ops_mix(rng)),
    }
    runs = time_runs(workloads, args)
    print()
    print(summary_table(runs, TARGETS))


if __name__ == "__main__":
    main()
