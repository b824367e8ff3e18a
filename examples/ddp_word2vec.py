"""A firstlayer Word2Vec's two tables trained as skip-gram with negative sampling on N processes
with PyTorch's DistributedDataParallel, then put back into the Word2Vec and saved.

firstlayer's ``Word2Vec`` builds the vocabulary and its two tables (``model.input``, the word
vectors, and ``model.output``, gensim's ``syn1neg``: both ``nn.Embedding(V, D, sparse=True)``).
``to_torch`` turns them into torch ``nn.Embedding``s over the same memory; DDP trains them with
the skip-gram negative-sampling loss; ``from_torch`` brings them back and ``model.save`` writes
firstlayer's Word2Vec file (``Word2Vec.load`` reads it, ``model.wv.most_similar`` queries it).

    torchrun --standalone --nproc_per_node=2 examples/ddp_word2vec.py --out w2v.safetensors
    python examples/ddp_word2vec.py --world-size 2 --out w2v.safetensors    # without torchrun
    python examples/ddp_word2vec.py --out w2v.safetensors                   # one process

Data: ``--corpus-file FILE`` (one sentence a line, words separated by spaces), or by default
firstlayer's demo corpus (Chinese characters in four groups that the vectors should recover).

The loss, for a centre word c, a context word o and K noise words n_k drawn from the unigram
distribution raised to 3/4 (word2vec's)::

    loss = -log sigmoid(in[c] . out[o]) - sum_k log sigmoid(-in[c] . out[n_k])

averaged over the batch. This is word2vec's objective trained with minibatch SGD, not gensim's
per-word updates: numbers differ from ``Word2Vec.train``; the tables and the file are the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from firstlayer.demo_corpus import GROUPS, chance_purity, generate_corpus, neighbour_purity
from firstlayer.interop import from_torch, to_torch
from firstlayer.models import Word2Vec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ddp_launch  # noqa: E402  (the examples' shared launcher, next to this file)


class SkipGramNS(torch.nn.Module):
    """Skip-gram with negative sampling over a Word2Vec's two tables (converted, not copied).

    Shape: ``centre`` (B,), ``context`` (B,), ``noise`` (B, K) -> a scalar loss.
    """

    def __init__(self, model: Word2Vec, sparse: bool = True):
        super().__init__()
        self.input = to_torch(model.input)
        self.output = to_torch(model.output)
        self.input.sparse = self.output.sparse = sparse

    def forward(self, centre: torch.Tensor, context: torch.Tensor,
                noise: torch.Tensor) -> torch.Tensor:
        u = self.input(centre)                                    # (B, D)
        positive = (u * self.output(context)).sum(-1)             # (B,)
        negative = (self.output(noise) @ u.unsqueeze(-1)).squeeze(-1)   # (B, K)
        return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(-1)).mean()


def back_to_firstlayer(module: SkipGramNS, model: Word2Vec) -> Word2Vec:
    """Write the trained tables into ``model`` (``from_torch``; GPU tensors come back to the
    CPU). Copied into the model's own arrays so that ``model.wv`` sees them."""
    np.copyto(model.wv.vectors, from_torch(module.input.cpu()).weight.detach().numpy())
    np.copyto(model.syn1neg, from_torch(module.output.cpu()).weight.detach().numpy())
    return model


# ---- data: (centre, context) pairs, noise words drawn per global batch ---------------------
def load_corpus(args: argparse.Namespace) -> list[list[str]]:
    if args.corpus_file:
        with open(args.corpus_file, encoding="utf-8") as f:
            return [line.split() for line in f if line.strip()]
    return generate_corpus(args.sentences, seed=args.seed)


def build_model(args: argparse.Namespace, corpus: list[list[str]]) -> Word2Vec:
    """A Word2Vec with its vocabulary and initial tables (gensim's init: input random, output
    zero), the same in every process (seeded)."""
    model = Word2Vec(vector_size=args.dim, window=args.window, min_count=args.min_count, sg=1,
                     negative=args.negative, seed=args.seed, workers=1, progress=False)
    model.build_vocab(corpus)
    return model


def skipgram_pairs(model: Word2Vec, corpus: list[list[str]], window: int) -> np.ndarray:
    """Every (centre, context) id pair at distance 1..window within a sentence: (P, 2)."""
    index = model.wv.key_to_index
    pairs = []
    for sentence in corpus:
        ids = np.array([index[w] for w in sentence if w in index], dtype=np.int64)
        for d in range(1, window + 1):
            if len(ids) > d:
                pairs.append(np.stack([ids[:-d], ids[d:]], axis=1))
                pairs.append(np.stack([ids[d:], ids[:-d]], axis=1))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)


def noise_words(model: Word2Vec, size: int, k: int, seed: int, epoch: int,
                step: int) -> np.ndarray:
    """(size, k) noise words for one global batch, drawn with probability ~ count ** 0.75;
    seeded by (seed, epoch, step) so every process draws the same, whatever the world size."""
    p = model.counts.astype(np.float64) ** model.ns_exponent
    rng = np.random.default_rng([seed, epoch, step, 1])
    return rng.choice(len(p), size=(size, k), p=p / p.sum())


# ---- training --------------------------------------------------------------------------------
def train(args: argparse.Namespace, rank: int, world: int) -> tuple[SkipGramNS, Word2Vec, dict]:
    corpus = load_corpus(args)
    model = build_model(args, corpus)
    pairs = skipgram_pairs(model, corpus, args.window)
    device = ddp_launch.init_process_group(args)
    module = SkipGramNS(model, sparse=args.sparse).to(device)
    net: torch.nn.Module = module
    if ddp_launch.is_distributed(args):
        net = torch.nn.parallel.DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.SGD(module.parameters(), lr=args.lr)
    losses, start, steps = [], 0.0, 0
    for epoch, step, batch in ddp_launch.global_batches(
        len(pairs), args.batch_size, args.epochs, args.steps, args.seed
    ):
        if step == 1:
            start = time.perf_counter()
        noise = noise_words(model, len(batch), args.negative, args.seed, epoch, step)
        mine = ddp_launch.shard(np.arange(len(batch)), rank, world)
        centre, context = (torch.from_numpy(a).to(device) for a in pairs[batch[mine]].T)
        optimizer.zero_grad()
        loss = net(centre, context, torch.from_numpy(noise[mine]).to(device))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        steps = step + 1
        if not args.quiet and rank == 0 and step % 200 == 0:
            print(f"epoch {epoch} step {step} loss {losses[-1]:.4f} (rank 0's slice)", flush=True)
    elapsed = time.perf_counter() - start if steps > 1 else 0.0
    stats = {"steps": steps, "steps_per_s": (steps - 1) / elapsed if elapsed else 0.0,
             "last_loss": losses[-1] if losses else float("nan"), "pairs": len(pairs)}
    return module, model, stats


def group_purity(model: Word2Vec) -> tuple[float, float] | None:
    """For the demo corpus: the share of each group character's 5 nearest that share its
    group, and chance's share."""
    chars = [c for group in GROUPS.values() for c in group]
    if not all(c in model.wv.key_to_index for c in chars):
        return None
    labels = [g for g, group in enumerate(GROUPS.values()) for _ in group]
    return neighbour_purity(model.wv[chars], labels, k=5), chance_purity(labels)


def worker(rank: int, world: int, args: argparse.Namespace) -> None:
    module, model, stats = train(args, rank, world)
    if rank == 0:
        back_to_firstlayer(module, model)
        if args.out:
            model.save(args.out)
        if args.torch_out:
            torch.save(module.cpu().state_dict(), args.torch_out)
        purity = group_purity(model)
        print(f"world {world} ({args.backend if ddp_launch.is_distributed(args) else 'single'}"
              f", sparse={args.sparse}): {stats['pairs']} pairs, {stats['steps']} steps, "
              f"{stats['steps_per_s']:.1f} steps/s, last loss {stats['last_loss']:.4f}"
              + (f", own group among 5 nearest {purity[0]:.0%} (chance {purity[1]:.0%})"
                 if purity else "")
              + (f", saved {args.out}" if args.out else ""), flush=True)
    ddp_launch.finish()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    ddp_launch.add_arguments(parser)
    parser.add_argument("--corpus-file", default=None)
    parser.add_argument("--sentences", type=int, default=2000, help="demo corpus sentences")
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=1)
    parser.set_defaults(batch_size=256, epochs=3)
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 5.0
    try:
        ddp_launch.resolve(args)
        corpus = load_corpus(args)
        n_pairs = len(skipgram_pairs(build_model(args, corpus), corpus, args.window))
        ddp_launch.check_split(n_pairs, args.batch_size, args.world_size)
    except (ValueError, OSError) as exc:  # before any process starts or any group forms
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> None:
    ddp_launch.launch(worker, parse_args(argv))


if __name__ == "__main__":
    main()
