"""A firstlayer text classifier (EmbeddingBag + Linear) trained on N processes with PyTorch's
DistributedDataParallel, then brought back to firstlayer and saved in its format.

The model is built with firstlayer, moved with ``firstlayer.interop.to_torch`` (its arrays are
shared, not copied), wrapped in ``torch.nn.parallel.DistributedDataParallel`` and trained with
``torch.optim.SGD``; rank 0 converts it back with ``from_torch`` and writes a safetensors file
that ``firstlayer.load`` reads. See docs/distributed.md.

    # 2 processes on this machine, gloo, sparse embedding gradients
    torchrun --standalone --nproc_per_node=2 examples/ddp_classifier.py --out clf.safetensors
    # the same without torchrun (torch.multiprocessing.spawn, 127.0.0.1 only)
    python examples/ddp_classifier.py --world-size 2 --out clf.safetensors
    # one process, no torch.distributed: the reference the runs above reproduce
    python examples/ddp_classifier.py --out clf.safetensors
    # GPUs: NCCL, one GPU a process, dense gradients (NCCL has no sparse all-reduce)
    torchrun --standalone --nproc_per_node=8 examples/ddp_classifier.py --backend nccl
    # two machines: the same command on each, --node-rank 0 and 1
    torchrun --nnodes=2 --node-rank=0 --nproc_per_node=8 --rdzv-backend=c10d \\
        --rdzv-endpoint=HOST0:29500 examples/ddp_classifier.py --backend nccl

Data: ``--data FILE`` in fastText's format (``__label__sport the match ...`` a line), or by
default a synthetic corpus whose classes differ in the words they use.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import firstlayer as fl
import firstlayer.nn as fnn
from firstlayer.interop import from_torch, to_torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ddp_launch  # noqa: E402  (the examples' shared launcher, next to this file)


# ---- the model: written once for firstlayer, once for torch, from the same layers ------------
class TextClassifier(fnn.Module):
    """Mean of a document's word vectors, then a linear layer: fastText's classifier.

    Shape: ``ids`` (total tokens,), ``offsets`` (documents,) -> logits (documents, classes).
    """

    def __init__(self, vocab_size: int, dim: int, num_classes: int, sparse: bool = True):
        super().__init__()
        self.embedding = fnn.EmbeddingBag(vocab_size, dim, mode="mean", sparse=sparse)
        self.fc = fnn.Linear(dim, num_classes)
        # fastText's start: small word vectors, a zero output layer (all classes equally likely)
        fnn.init.uniform_(self.embedding.weight, -1.0 / dim, 1.0 / dim)
        fnn.init.zeros_(self.fc.weight)
        fnn.init.zeros_(self.fc.bias)

    def forward(self, ids: fl.Tensor, offsets: fl.Tensor) -> fl.Tensor:
        return self.fc(self.embedding(ids, offsets))


class TorchTextClassifier(torch.nn.Module):
    """The same network in torch, made of the firstlayer model's layers (``to_torch``: the
    weights are the same memory). ``to_torch`` converts firstlayer's own layer classes; a model
    class of yours is converted layer by layer, as here."""

    def __init__(self, model: TextClassifier):
        super().__init__()
        self.embedding = to_torch(model.embedding)
        self.fc = to_torch(model.fc)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.fc(self.embedding(ids, offsets))


def back_to_firstlayer(module: torch.nn.Module, model: TextClassifier) -> TextClassifier:
    """Put a trained torch twin's layers into ``model`` with ``from_torch`` (GPU tensors come
    back to the CPU)."""
    model.embedding = from_torch(module.embedding.cpu())
    model.fc = from_torch(module.fc.cpu())
    return model


# ---- data: documents as one flat array of ids plus where each starts --------------------------
class Docs:
    """``n`` documents: ``tokens`` (all ids, end to end), ``starts`` (n + 1), ``labels`` (n)."""

    def __init__(self, tokens: np.ndarray, starts: np.ndarray, labels: np.ndarray,
                 vocab_size: int, num_classes: int):
        self.tokens, self.starts, self.labels = tokens, starts, labels
        self.vocab_size, self.num_classes = vocab_size, num_classes

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """EmbeddingBag's input for documents ``idx``: ids, offsets and labels."""
        pieces = [self.tokens[self.starts[i]:self.starts[i + 1]] for i in idx]
        lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return np.concatenate(pieces).astype(np.int64), offsets, self.labels[idx]


def synthetic_docs(n: int, vocab_size: int, num_classes: int, seed: int) -> Docs:
    """Documents of 5-30 words: half drawn from a Zipf background shared by all classes, half
    from the class's own slice of the vocabulary (Zipf too: a few words say most about a class).
    The same seed gives the same documents."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(num_classes, size=n)
    lengths = rng.integers(5, 31, size=n)
    background = 1.0 / np.arange(1, vocab_size + 1)
    background /= background.sum()
    slice_size = vocab_size // num_classes
    topical = 1.0 / np.arange(1, slice_size + 1)
    topical /= topical.sum()
    tokens = []
    for label, length in zip(labels, lengths):
        own = label * slice_size + rng.choice(slice_size, size=length, p=topical)
        shared = rng.choice(vocab_size, size=length, p=background)
        tokens.append(np.where(rng.random(length) < 0.5, own, shared))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    return Docs(np.concatenate(tokens), starts, labels.astype(np.int64), vocab_size, num_classes)


def fasttext_docs(path: str) -> Docs:
    """Documents from a fastText-format file: ``__label__X`` words, then the text."""
    from firstlayer.text import build_vocab_from_iterator

    texts, names = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            words = line.split()
            label = [w for w in words if w.startswith("__label__")]
            if not label:
                raise ValueError(f"{path}:{number}: no __label__ on this line")
            names.append(label[0])
            texts.append([w for w in words if not w.startswith("__label__")] or ["<unk>"])
    vocab = build_vocab_from_iterator(texts, specials=["<unk>"])
    vocab.set_default_index(0)
    classes = sorted(set(names))
    ids = [np.array(vocab.lookup_indices(t), dtype=np.int64) for t in texts]
    starts = np.concatenate([[0], np.cumsum([len(t) for t in ids])])
    labels = np.array([classes.index(n) for n in names], dtype=np.int64)
    return Docs(np.concatenate(ids), starts, labels, len(vocab), len(classes))


def load_docs(args: argparse.Namespace) -> Docs:
    if args.data:
        return fasttext_docs(args.data)
    return synthetic_docs(args.docs, args.vocab, args.classes, args.seed)


# ---- training: the same in every process --------------------------------------------------------
def train(args: argparse.Namespace, rank: int, world: int) -> tuple[torch.nn.Module, dict]:
    """Train on this process's slice of every global batch; return the torch module (not the
    DDP wrapper) and timings. With world 1 and no torchrun: plain torch, no process group."""
    docs = load_docs(args)
    device = ddp_launch.init_process_group(args)
    fl.manual_seed(args.seed)  # the same initial model everywhere (DDP also broadcasts rank 0's)
    model = TextClassifier(docs.vocab_size, args.dim, docs.num_classes, sparse=args.sparse)
    module = TorchTextClassifier(model).to(device)
    net: torch.nn.Module = module
    if ddp_launch.is_distributed(args):
        net = torch.nn.parallel.DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.SGD(module.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses, start, steps = [], 0.0, 0
    for epoch, step, batch in ddp_launch.global_batches(
        len(docs), args.batch_size, args.epochs, args.steps, args.seed
    ):
        if step == 1:
            start = time.perf_counter()  # step 0 pays for DDP's first-iteration setup
        ids, offsets, labels = (torch.from_numpy(a).to(device) for a in
                                docs.batch(ddp_launch.shard(batch, rank, world)))
        optimizer.zero_grad()
        loss = loss_fn(net(ids, offsets), labels)
        loss.backward()  # DDP: gradients all-reduced (averaged) across processes here
        optimizer.step()
        losses.append(loss.item())
        steps = step + 1
        if not args.quiet and rank == 0 and (step % 50 == 0):
            print(f"epoch {epoch} step {step} loss {losses[-1]:.4f} (rank 0's slice)", flush=True)
    elapsed = time.perf_counter() - start if steps > 1 else 0.0
    stats = {"steps": steps, "steps_per_s": (steps - 1) / elapsed if elapsed else 0.0,
             "last_loss": losses[-1] if losses else float("nan")}
    return module, stats


def worker(rank: int, world: int, args: argparse.Namespace) -> None:
    module, stats = train(args, rank, world)
    if rank == 0:
        docs = load_docs(args)
        model = back_to_firstlayer(module, TextClassifier(docs.vocab_size, args.dim,
                                                          docs.num_classes, sparse=args.sparse))
        ids, offsets, labels = docs.batch(np.arange(len(docs)))
        with fl.no_grad():
            pred = model(fl.from_numpy(ids), fl.from_numpy(offsets)).argmax(dim=1).numpy()
        accuracy = float((pred == labels).mean())
        if args.out:
            fl.save(model, args.out, metadata={"example": "ddp_classifier",
                                                "world_size": str(world),
                                                "steps": str(stats["steps"])})
        if args.torch_out:
            torch.save(module.cpu().state_dict(), args.torch_out)
        print(f"world {world} ({args.backend if ddp_launch.is_distributed(args) else 'single'}"
              f", sparse={args.sparse}): {stats['steps']} steps, "
              f"{stats['steps_per_s']:.1f} steps/s, last loss {stats['last_loss']:.4f}, "
              f"training accuracy {accuracy:.3f}" + (f", saved {args.out}" if args.out else ""),
              flush=True)
    ddp_launch.finish()


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The data and model options (also examples/sharded_classifier.py's)."""
    parser.add_argument("--data", default=None, help="a fastText-format file (default: "
                        "synthetic documents)")
    parser.add_argument("--docs", type=int, default=4096, help="synthetic documents")
    parser.add_argument("--vocab", type=int, default=5000, help="synthetic vocabulary size")
    parser.add_argument("--classes", type=int, default=4, help="synthetic classes")
    parser.add_argument("--dim", type=int, default=64)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    ddp_launch.add_arguments(parser)
    add_data_arguments(parser)
    parser.set_defaults(epochs=3)
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 5.0
    try:
        ddp_launch.resolve(args)
        ddp_launch.check_split(len(load_docs(args)), args.batch_size, args.world_size)
    except (ValueError, OSError) as exc:  # before any process starts or any group forms
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> None:
    ddp_launch.launch(worker, parse_args(argv))


if __name__ == "__main__":
    main()
