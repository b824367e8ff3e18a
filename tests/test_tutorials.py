"""PyTorch's embedding tutorials, run as written with only the imports changed, in torch and in
firstlayer from the same starting weights: the per-epoch losses agree to float32 rounding.

Each tutorial is a function of the library (``torch`` or ``firstlayer``), its code kept as close
to the tutorial's text as a function allows; the additions are marked ``# test:``. ``start`` is
called on the model right after it is built: for torch it records the initial weights, for
firstlayer it loads them (converted with ``firstlayer.interop.from_torch``).

1. "Word Embeddings: Encoding Lexical Semantics" (beginner_source/nlp/word_embeddings_tutorial):
   the n-gram language model on Shakespeare's sonnet 2, and the CBOW exercise with the standard
   solution.
2. "Text classification with the torchtext library" (beginner_source/text_sentiment_ngrams_
   tutorial): EmbeddingBag + Linear on AG_NEWS. AG_NEWS can't be downloaded here, so a small
   4-class news-like set is generated from word lists; ``get_tokenizer`` and
   ``build_vocab_from_iterator`` come from ``firstlayer.text`` in both runs (torchtext is not
   installed; the ids are plain Python ints either way).
"""

# The tutorials' code is kept as written (super(Cls, self), str.format, unused loop variables).
# ruff: noqa: UP008, UP031, UP032, B007

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch as real_torch

import firstlayer
from firstlayer.interop import from_torch
from firstlayer.text import build_vocab_from_iterator, get_tokenizer

RTOL = 1e-4


def _recorder() -> tuple[dict, Callable[[Any], None], Callable[[Any], None]]:
    """(saved, record, load): record keeps a torch model's first weights, load puts them in a
    firstlayer model."""
    saved: dict = {}

    def record(model: Any) -> None:
        saved.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    def load(model: Any) -> None:
        model.load_state_dict(from_torch(saved))

    return saved, record, load


def _max_rel_diff(ours: list[float], theirs: list[float]) -> float:
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


# ---- 1a. the n-gram language model -----------------------------------------------------------

def ngram_tutorial(torch: Any, start: Callable[[Any], None], epochs: int = 10) -> list[float]:
    nn = torch.nn
    F = torch.nn.functional  # noqa: N806
    optim = torch.optim

    torch.manual_seed(1)

    word_to_ix = {"hello": 0, "world": 1}
    embeds = nn.Embedding(2, 5)  # 2 words in vocab, 5 dimensional embeddings
    lookup_tensor = torch.tensor([word_to_ix["hello"]], dtype=torch.long)
    hello_embed = embeds(lookup_tensor)
    print(hello_embed)

    CONTEXT_SIZE = 2  # noqa: N806
    EMBEDDING_DIM = 10  # noqa: N806
    # We will use Shakespeare Sonnet 2
    test_sentence = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:
Then being asked, where all thy beauty lies,
Where all the treasure of thy lusty days;
To say, within thine own deep sunken eyes,
Were an all-eating shame, and thriftless praise.
How much more praise deserv'd thy beauty's use,
If thou couldst answer 'This fair child of mine
Shall sum my count, and make my old excuse,'
Proving his beauty by succession thine!
This were to be new made when thou art old,
And see thy blood warm when thou feel'st it cold.""".split()
    # we should tokenize the input, but we will ignore that for now
    # build a list of tuples.
    # Each tuple is ([ word_i-CONTEXT_SIZE, ..., word_i-1 ], target word)
    ngrams = [
        (
            [test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)],
            test_sentence[i]
        )
        for i in range(CONTEXT_SIZE, len(test_sentence))
    ]
    # Print the first 3, just so you can see what they look like.
    print(ngrams[:3])

    vocab = set(test_sentence)
    word_to_ix = {word: i for i, word in enumerate(vocab)}

    class NGramLanguageModeler(nn.Module):

        def __init__(self, vocab_size, embedding_dim, context_size):  # type: ignore[no-untyped-def]
            super(NGramLanguageModeler, self).__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear1 = nn.Linear(context_size * embedding_dim, 128)
            self.linear2 = nn.Linear(128, vocab_size)

        def forward(self, inputs):  # type: ignore[no-untyped-def]
            embeds = self.embeddings(inputs).view((1, -1))
            out = F.relu(self.linear1(embeds))
            out = self.linear2(out)
            log_probs = F.log_softmax(out, dim=1)
            return log_probs

    losses = []
    loss_function = nn.NLLLoss()
    model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
    start(model)  # test: same first weights in both libraries
    optimizer = optim.SGD(model.parameters(), lr=0.001)

    for epoch in range(epochs):
        total_loss = 0
        for context, target in ngrams:

            # Step 1. Prepare the inputs to be passed to the model (i.e, turn the words
            # into integer indices and wrap them in tensors)
            context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)

            # Step 2. Recall that torch *accumulates* gradients. Before passing in a
            # new instance, you need to zero out the gradients from the old
            # instance
            model.zero_grad()

            # Step 3. Run the forward pass, getting log probabilities over next
            # words
            log_probs = model(context_idxs)

            # Step 4. Compute your loss function. (Again, Torch wants the target
            # word wrapped in a tensor)
            loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))

            # Step 5. Do the backward pass and update the gradient
            loss.backward()
            optimizer.step()

            # Get the Python number from a 1-element Tensor by calling tensor.item()
            total_loss += loss.item()
        losses.append(total_loss)
    print(losses)  # The loss decreased every iteration over the training data!

    # To get the embedding of a particular word, e.g. "beauty"
    print(model.embeddings.weight[word_to_ix["beauty"]])
    return losses


# ---- 1b. the CBOW exercise, standard solution --------------------------------------------------

def cbow_tutorial(torch: Any, start: Callable[[Any], None], epochs: int = 10) -> list[float]:
    nn = torch.nn
    F = torch.nn.functional  # noqa: N806
    optim = torch.optim

    torch.manual_seed(1)
    EMBEDDING_DIM = 10  # noqa: N806
    CONTEXT_SIZE = 2  # 2 words to the left, 2 to the right  # noqa: N806, F841
    raw_text = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.
As they evolve, processes manipulate other abstract things called data.
The evolution of a process is directed by a pattern of rules
called a program. People create programs to direct processes. In effect,
we conjure the spirits of the computer with our spells.""".split()

    # By deriving a set from `raw_text`, we deduplicate the array
    vocab = set(raw_text)
    vocab_size = len(vocab)

    word_to_ix = {word: i for i, word in enumerate(vocab)}
    data = []
    for i in range(CONTEXT_SIZE, len(raw_text) - CONTEXT_SIZE):
        context = (
            [raw_text[i - j - 1] for j in range(CONTEXT_SIZE)]
            + [raw_text[i + j + 1] for j in range(CONTEXT_SIZE)]
        )
        target = raw_text[i]
        data.append((context, target))
    print(data[:5])

    class CBOW(nn.Module):

        def __init__(self, vocab_size, embedding_dim):  # type: ignore[no-untyped-def]
            super(CBOW, self).__init__()
            self.embeddings = nn.Embedding(vocab_size, embedding_dim)
            self.linear = nn.Linear(embedding_dim, vocab_size)

        def forward(self, inputs):  # type: ignore[no-untyped-def]
            # -log p(w_i | C) = -log Softmax(A (sum_{w in C} q_w) + b)
            embeds = self.embeddings(inputs).sum(dim=0).view((1, -1))
            out = self.linear(embeds)
            log_probs = F.log_softmax(out, dim=1)
            return log_probs

    # create your model and train.  here are some functions to help you make
    # the data ready for use by your module

    def make_context_vector(context, word_to_ix):  # type: ignore[no-untyped-def]
        idxs = [word_to_ix[w] for w in context]
        return torch.tensor(idxs, dtype=torch.long)

    make_context_vector(data[0][0], word_to_ix)  # example

    losses = []
    loss_function = nn.NLLLoss()
    model = CBOW(vocab_size, EMBEDDING_DIM)
    start(model)  # test: same first weights in both libraries
    optimizer = optim.SGD(model.parameters(), lr=0.001)
    for epoch in range(epochs):
        total_loss = 0
        for context, target in data:
            context_vector = make_context_vector(context, word_to_ix)
            model.zero_grad()
            log_probs = model(context_vector)
            loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        losses.append(total_loss)
    print(losses)
    return losses


# ---- 2. text classification with EmbeddingBag ---------------------------------------------

_TOPICS = {
    1: "president minister election government parliament treaty embassy war peace talks "
       "border refugees summit sanctions diplomat",
    2: "team coach season match goal striker championship league tournament victory player "
       "olympic medal score cup",
    3: "stocks shares market investors profit earnings bank quarterly revenue merger oil "
       "prices economy inflation dollar",
    4: "software internet computer researchers scientists space nasa chip wireless online "
       "google microsoft study launch technology",
}
_COMMON = ("the a of to in on for and with as by at from its new after over said today "
           "week year reuters ap").split()


def synthetic_news(n: int, seed: int = 0) -> list[tuple[int, str]]:
    """``n`` (label, text) pairs shaped like AG_NEWS rows: labels 1..4, short headlines mixing
    topic words, common words and punctuation, generated deterministically."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        label = rng.randint(1, 4)
        topic = _TOPICS[label].split()
        other = _TOPICS[rng.randint(1, 4)].split()  # a little noise from another topic
        words = [rng.choice(topic) for _ in range(rng.randint(2, 6))]
        words += [rng.choice(_COMMON) for _ in range(rng.randint(2, 8))]
        words += [rng.choice(other) for _ in range(rng.randint(0, 4))]
        rng.shuffle(words)
        words[0] = words[0].capitalize()
        text = " ".join(words)
        text = text.replace(" said ", ", said ") + rng.choice([".", "!", " (AP)", "?"])
        rows.append((label, f"{text} #{k % 7}"))
    return rows


def text_classification_tutorial(
    torch: Any,
    start: Callable[[Any], None],
    data: tuple[list, list],
    shuffle: bool = True,
    split: list[list[int]] | None = None,
    epochs: int = 10,
) -> dict[str, Any]:
    """The tutorial as written. ``shuffle=False`` and ``split`` (fixed indices for the
    train/valid parts) fix the data order so that two libraries can be compared batch by batch;
    the defaults run it verbatim (random_split, shuffled batches)."""
    nn = torch.nn
    DataLoader = torch.utils.data.DataLoader  # noqa: N806
    random_split = torch.utils.data.dataset.random_split
    to_map_style_dataset = list  # torchtext.data.functional: an iterable -> a map-style dataset
    train_rows, test_rows = data

    def AG_NEWS(split: str | None = None) -> Any:  # noqa: N802  # test: stands in for the download
        if split is None:
            return iter(train_rows), iter(test_rows)
        return iter(train_rows if split == "train" else test_rows)

    tokenizer = get_tokenizer("basic_english")
    train_iter = AG_NEWS(split="train")

    def yield_tokens(data_iter):  # type: ignore[no-untyped-def]
        for _, text in data_iter:
            yield tokenizer(text)

    vocab = build_vocab_from_iterator(yield_tokens(train_iter), specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])

    text_pipeline = lambda x: vocab(tokenizer(x))  # noqa: E731
    label_pipeline = lambda x: int(x) - 1  # noqa: E731

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def collate_batch(batch):  # type: ignore[no-untyped-def]
        label_list, text_list, offsets = [], [], [0]
        for _label, _text in batch:
            label_list.append(label_pipeline(_label))
            processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
            text_list.append(processed_text)
            offsets.append(processed_text.size(0))
        label_list = torch.tensor(label_list, dtype=torch.int64)
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        text_list = torch.cat(text_list)
        return label_list.to(device), text_list.to(device), offsets.to(device)

    train_iter = AG_NEWS(split="train")
    dataloader = DataLoader(  # noqa: F841
        train_iter, batch_size=8, shuffle=False, collate_fn=collate_batch
    )

    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):  # type: ignore[no-untyped-def]
            super(TextClassificationModel, self).__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)
            self.init_weights()

        def init_weights(self):  # type: ignore[no-untyped-def]
            initrange = 0.5
            self.embedding.weight.data.uniform_(-initrange, initrange)
            self.fc.weight.data.uniform_(-initrange, initrange)
            self.fc.bias.data.zero_()

        def forward(self, text, offsets):  # type: ignore[no-untyped-def]
            embedded = self.embedding(text, offsets)
            return self.fc(embedded)

    train_iter = AG_NEWS(split="train")
    num_class = len(set([label for (label, text) in train_iter]))
    vocab_size = len(vocab)
    emsize = 64
    model = TextClassificationModel(vocab_size, emsize, num_class).to(device)
    start(model)  # test: same first weights in both libraries

    epoch_losses: list[float] = []  # test: what the comparison reads
    accuracies: list[float] = []
    train_accuracies: list[float] = []

    def train(dataloader):  # type: ignore[no-untyped-def]
        model.train()
        total_acc, total_count = 0, 0
        log_interval = 500
        start_time = time.time()
        total_loss = 0.0  # test

        for idx, (label, text, offsets) in enumerate(dataloader):
            optimizer.zero_grad()
            predicted_label = model(text, offsets)
            loss = criterion(predicted_label, label)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
            total_loss += loss.item()  # test
            if idx % log_interval == 0 and idx > 0:
                elapsed = time.time() - start_time
                print(
                    "| epoch {:3d} | {:5d}/{:5d} batches "
                    "| accuracy {:8.3f}".format(
                        epoch, idx, len(dataloader), total_acc / total_count
                    ), elapsed
                )
                total_acc, total_count = 0, 0
                start_time = time.time()
        epoch_losses.append(total_loss)  # test
        train_accuracies.append(total_acc / total_count)  # test

    def evaluate(dataloader):  # type: ignore[no-untyped-def]
        model.eval()
        total_acc, total_count = 0, 0

        with torch.no_grad():
            for idx, (label, text, offsets) in enumerate(dataloader):
                predicted_label = model(text, offsets)
                loss = criterion(predicted_label, label)  # noqa: F841
                total_acc += (predicted_label.argmax(1) == label).sum().item()
                total_count += label.size(0)
        return total_acc / total_count

    # Hyperparameters
    EPOCHS = epochs  # epoch  # noqa: N806
    LR = 5  # learning rate  # noqa: N806
    BATCH_SIZE = 64  # batch size for training  # noqa: N806

    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    total_accu = None
    train_iter, test_iter = AG_NEWS()
    train_dataset = to_map_style_dataset(train_iter)
    test_dataset = to_map_style_dataset(test_iter)
    num_train = int(len(train_dataset) * 0.95)
    split_train_, split_valid_ = random_split(
        train_dataset, [num_train, len(train_dataset) - num_train]
    )
    if split is not None:  # test: the same parts in both libraries
        Subset = torch.utils.data.Subset  # noqa: N806
        split_train_, split_valid_ = Subset(train_dataset, split[0]), Subset(train_dataset,
                                                                            split[1])

    train_dataloader = DataLoader(
        split_train_, batch_size=BATCH_SIZE, shuffle=shuffle, collate_fn=collate_batch
    )
    valid_dataloader = DataLoader(
        split_valid_, batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate_batch
    )
    test_dataloader = DataLoader(
        test_dataset, batch_size=BATCH_SIZE, shuffle=True, collate_fn=collate_batch
    )

    for epoch in range(1, EPOCHS + 1):
        epoch_start_time = time.time()
        train(train_dataloader)
        accu_val = evaluate(valid_dataloader)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        accuracies.append(accu_val)  # test
        print("-" * 59)
        print(
            "| end of epoch {:3d} | time: {:5.2f}s | "
            "valid accuracy {:8.3f} ".format(
                epoch, time.time() - epoch_start_time, accu_val
            )
        )
        print("-" * 59)

    print("Checking the results of test dataset.")
    accu_test = evaluate(test_dataloader)
    print("test accuracy {:8.3f}".format(accu_test))

    ag_news_label = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tec"}

    def predict(text, text_pipeline):  # type: ignore[no-untyped-def]
        with torch.no_grad():
            text = torch.tensor(text_pipeline(text))
            output = model(text, torch.tensor([0]))
            return output.argmax(1).item() + 1

    ex_text_str = "Stocks rallied as investors cheered quarterly earnings, said the bank."
    model = model.to("cpu")
    prediction = ag_news_label[predict(ex_text_str, text_pipeline)]
    print("This is a %s news" % prediction)
    return dict(losses=epoch_losses, train=train_accuracies, valid=accuracies, test=accu_test,
                prediction=prediction, lr=optimizer.param_groups[0]["lr"])


# ---- the comparisons -----------------------------------------------------------------------

@pytest.mark.parametrize("tutorial, epochs", [(ngram_tutorial, 10), (cbow_tutorial, 10)])
def test_word_embedding_tutorials_train_to_torchs_losses(tutorial: Any, epochs: int) -> None:
    _, record, load = _recorder()
    theirs = tutorial(real_torch, record, epochs)
    ours = tutorial(firstlayer, load, epochs)
    diff = _max_rel_diff(ours, theirs)
    print(f"{tutorial.__name__}: max relative difference of the epoch losses {diff:.2e}")
    assert diff < RTOL, (ours, theirs)
    assert ours[-1] < ours[0]  # it learns


# 400 rows: 380 to train (6 batches of 64), 20 to validate; noisy enough that the validation
# accuracy drops at times, so that scheduler.step() runs.
DATA = (synthetic_news(400, seed=0), synthetic_news(120, seed=100))


def test_text_classification_trains_to_torchs_losses_in_a_fixed_order() -> None:
    n = len(DATA[0])
    perm = np.random.default_rng(0).permutation(n).tolist()
    num_train = int(n * 0.95)
    split = [perm[:num_train], perm[num_train:]]
    _, record, load = _recorder()
    theirs = text_classification_tutorial(real_torch, record, DATA, shuffle=False, split=split)
    ours = text_classification_tutorial(firstlayer, load, DATA, shuffle=False, split=split)
    diff = _max_rel_diff(ours["losses"], theirs["losses"])
    print(f"text classification: max relative difference of the epoch losses {diff:.2e}")
    assert diff < RTOL, (ours["losses"], theirs["losses"])
    assert ours["train"] == theirs["train"] and ours["valid"] == theirs["valid"]
    assert ours["test"] == theirs["test"]
    assert ours["prediction"] == theirs["prediction"] == "Business"
    assert ours["lr"] == theirs["lr"] < 5  # the StepLR(optimizer, 1.0, gamma=0.1) steps ran


def test_text_classification_verbatim_with_shuffling_learns() -> None:
    firstlayer.manual_seed(0)
    ours = text_classification_tutorial(firstlayer, lambda model: None, DATA, epochs=6)
    assert ours["losses"][-1] < 0.5 * ours["losses"][0]
    assert ours["train"][-1] > ours["train"][0] + 0.3 and max(ours["valid"]) > ours["valid"][0]
    assert ours["test"] >= 0.6 and ours["prediction"] == "Business"  # 4 classes: chance 0.25
