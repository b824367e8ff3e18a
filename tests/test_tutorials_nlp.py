"""The rest of PyTorch's "Deep Learning for NLP with PyTorch" series (beginner_source/nlp), run
as written with only the imports changed, in torch and in firstlayer from the same starting
weights (the n-gram and CBOW parts are in ``test_tutorials.py``, the LSTM tagger in
``test_rnn.py``):

1. "Introduction to PyTorch": creating, indexing, joining and reshaping tensors, autograd.
2. "Deep Learning with PyTorch": the bag-of-words logistic-regression classifier.
3. "Advanced: Making Dynamic Decisions and the Bi-LSTM CRF": a bidirectional LSTM with a CRF
   on top (the forward algorithm in log space, Viterbi decoding), trained with SGD.

Each tutorial is a function of the library; additions for the test are marked ``# test:``.
Random draws differ between the libraries (NumPy's generator is not torch's), so the weights
are copied from torch and, where a tutorial draws during training (the CRF's ``init_hidden``),
both runs get the same numbers from a shared NumPy stream (``SameRandn``).
"""

# The tutorials' code is kept as written (super(Cls, self), camel-case classes, loop variables).
# ruff: noqa: UP008, N801, N806, B007

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch as real_torch

import firstlayer
from firstlayer.interop import from_torch

RTOL = 1e-4


class SameRandn:
    """The library module, except that ``randn`` draws from one NumPy stream, so the torch run
    and the firstlayer run see the same numbers where a tutorial draws while it trains."""

    def __init__(self, lib: Any, seed: int = 0) -> None:
        self._lib = lib
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lib, name)

    def randn(self, *size: Any) -> Any:
        shape = size[0] if len(size) == 1 and isinstance(size[0], tuple) else size
        return self._lib.tensor(self._rng.standard_normal(shape).astype(np.float32))


def _copy_weights() -> tuple[Callable[[Any], None], Callable[[Any], None]]:
    """(record, load): record a torch model's first weights, load them into a firstlayer one."""
    saved: dict = {}

    def record(model: Any) -> None:
        saved.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    def load(model: Any) -> None:
        model.load_state_dict(from_torch(saved))

    return record, load


def _close(ours: Any, theirs: Any) -> None:
    np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64),
                               rtol=RTOL, atol=1e-6)


# ---- 1. Introduction to PyTorch -------------------------------------------------------------

def intro_tutorial(torch: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}  # test: what each step printed, to compare the two runs
    torch.manual_seed(1)

    # Create a 1D tensor, a matrix and a 3D tensor from Python lists
    V_data = [1., 2., 3.]
    V = torch.tensor(V_data)
    M_data = [[1., 2., 3.], [4., 5., 6]]
    M = torch.tensor(M_data)
    T_data = [[[1., 2.], [3., 4.]],
              [[5., 6.], [7., 8.]]]
    T = torch.tensor(T_data)
    seen["created"] = (V.tolist(), M.tolist(), T.tolist(), str(V), str(M))

    # Indexing
    seen["indexed"] = (V[0].item(), M[0].tolist(), T[0].tolist(), str(V[0]))

    x = torch.randn((3, 4, 5))
    seen["randn"] = tuple(x.shape)

    x = torch.tensor([1., 2., 3.])
    y = torch.tensor([4., 5., 6.])
    z = x + y
    seen["add"] = str(z)

    # By default, it concatenates along the first axis (concatenates rows)
    x_1 = torch.randn(2, 5)
    y_1 = torch.randn(3, 5)
    z_1 = torch.cat([x_1, y_1])
    # Concatenate columns:
    x_2 = torch.randn(2, 3)
    y_2 = torch.randn(2, 5)
    z_2 = torch.cat([x_2, y_2], 1)
    seen["cat"] = (tuple(z_1.shape), tuple(z_2.shape))
    try:  # If your tensors are not compatible, torch will complain.
        torch.cat([x_1, x_2])
    except RuntimeError as exc:
        seen["cat_error"] = "Sizes of tensors must match" in str(exc)

    x = torch.randn(2, 3, 4)
    seen["view"] = (tuple(x.view(2, 12).shape), tuple(x.view(2, -1).shape))

    # Tensor factory methods have a ``requires_grad`` flag
    x = torch.tensor([1., 2., 3], requires_grad=True)
    y = torch.tensor([4., 5., 6], requires_grad=True)
    z = x + y
    seen["z"] = str(z)
    seen["z.grad_fn"] = type(z.grad_fn).__name__ if z.grad_fn.__class__.__module__ != \
        "firstlayer.autograd" else z.grad_fn.name()  # test: the node's name
    s = z.sum()
    seen["s"] = str(s)
    s.backward()
    seen["x.grad"] = str(x.grad)

    x = torch.randn(2, 2)
    y = torch.randn(2, 2)
    seen["flags"] = [x.requires_grad, y.requires_grad]
    z = x + y
    seen["no grad_fn"] = z.grad_fn is None
    x = x.requires_grad_()
    y = y.requires_grad_()
    z = x + y
    seen["flags_after"] = [z.grad_fn is not None, z.requires_grad]
    new_z = z.detach()
    seen["detached"] = new_z.grad_fn is None
    seen["x.requires_grad"] = [x.requires_grad, (x ** 2).requires_grad]
    with torch.no_grad():
        seen["no_grad"] = (x ** 2).requires_grad
    return seen


def test_introduction_to_pytorch() -> None:
    theirs, ours = intro_tutorial(real_torch), intro_tutorial(firstlayer)
    assert ours == theirs


# ---- 2. Deep Learning with PyTorch: the bag-of-words classifier ------------------------------

def bow_tutorial(torch: Any, start: Callable[[Any], None]) -> dict[str, Any]:
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim
    seen: dict[str, Any] = {}  # test
    torch.manual_seed(1)

    lin = nn.Linear(5, 3)  # maps from R^5 to R^3, parameters A, b
    data = torch.randn(2, 5)
    seen["lin"] = tuple(lin(data).shape)
    data = torch.randn(2, 2)
    seen["relu_nonneg"] = bool((F.relu(data) >= 0).all())
    data = torch.randn(5)
    seen["softmax_sums_to_1"] = abs(F.softmax(data, dim=0).sum().item() - 1) < 1e-6
    seen["log_softmax"] = tuple(F.log_softmax(data, dim=0).shape)

    data = [("me gusta comer en la cafeteria".split(), "SPANISH"),
            ("Give it to me".split(), "ENGLISH"),
            ("No creo que sea una buena idea".split(), "SPANISH"),
            ("No it is not a good idea to get lost at sea".split(), "ENGLISH")]
    test_data = [("Yo creo que si".split(), "SPANISH"),
                 ("it is lost on me".split(), "ENGLISH")]

    # word_to_ix maps each word in the vocab to a unique integer
    word_to_ix = {}
    for sent, _ in data + test_data:
        for word in sent:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)

    VOCAB_SIZE = len(word_to_ix)
    NUM_LABELS = 2

    class BoWClassifier(nn.Module):  # inheriting from nn.Module!

        def __init__(self, num_labels, vocab_size):  # type: ignore[no-untyped-def]
            super(BoWClassifier, self).__init__()
            self.linear = nn.Linear(vocab_size, num_labels)

        def forward(self, bow_vec):  # type: ignore[no-untyped-def]
            return F.log_softmax(self.linear(bow_vec), dim=1)

    def make_bow_vector(sentence, word_to_ix):  # type: ignore[no-untyped-def]
        vec = torch.zeros(len(word_to_ix))
        for word in sentence:
            vec[word_to_ix[word]] += 1
        return vec.view(1, -1)

    def make_target(label, label_to_ix):  # type: ignore[no-untyped-def]
        return torch.LongTensor([label_to_ix[label]])

    model = BoWClassifier(NUM_LABELS, VOCAB_SIZE)
    start(model)  # test: torch's first weights in both
    seen["params"] = [tuple(p.shape) for p in model.parameters()]

    with torch.no_grad():
        sample = data[0]
        bow_vector = make_bow_vector(sample[0], word_to_ix)
        seen["first_log_probs"] = model(bow_vector).tolist()

    label_to_ix = {"SPANISH": 0, "ENGLISH": 1}

    with torch.no_grad():
        seen["test_before"] = [model(make_bow_vector(inst, word_to_ix)).tolist()
                               for inst, _ in test_data]
    seen["creo_before"] = next(model.parameters())[:, word_to_ix["creo"]].tolist()

    loss_function = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    losses = []  # test
    for epoch in range(100):
        total = 0.0  # test
        for instance, label in data:
            model.zero_grad()
            bow_vec = make_bow_vector(instance, word_to_ix)
            target = make_target(label, label_to_ix)
            log_probs = model(bow_vec)
            loss = loss_function(log_probs, target)
            loss.backward()
            optimizer.step()
            total += loss.item()  # test
        losses.append(total)  # test
    seen["losses"] = losses

    with torch.no_grad():
        seen["test_after"] = [model(make_bow_vector(inst, word_to_ix)).tolist()
                              for inst, _ in test_data]
    seen["creo_after"] = next(model.parameters())[:, word_to_ix["creo"]].tolist()
    return seen


def test_bag_of_words_classifier() -> None:
    record, load = _copy_weights()
    theirs, ours = bow_tutorial(real_torch, record), bow_tutorial(firstlayer, load)
    for key in ("lin", "relu_nonneg", "softmax_sums_to_1", "log_softmax", "params"):
        assert ours[key] == theirs[key], key
    for key in ("first_log_probs", "test_before", "creo_before", "losses", "test_after",
                "creo_after"):
        _close(ours[key], theirs[key])
    assert theirs["losses"][-1] < theirs["losses"][0] / 10  # it learned
    # the tutorial's point: "creo" (Spanish) moves towards SPANISH
    assert ours["creo_after"][0] > ours["creo_before"][0]


# ---- 3. Advanced: the Bi-LSTM CRF -----------------------------------------------------------

def bilstm_crf_tutorial(torch: Any, start: Callable[[Any], None],
                        epochs: int = 4) -> dict[str, Any]:
    nn = torch.nn
    optim = torch.optim
    seen: dict[str, Any] = {}  # test
    torch.manual_seed(1)

    def argmax(vec):  # type: ignore[no-untyped-def]
        # return the argmax as a python int
        _, idx = torch.max(vec, 1)
        return idx.item()

    def prepare_sequence(seq, to_ix):  # type: ignore[no-untyped-def]
        idxs = [to_ix[w] for w in seq]
        return torch.tensor(idxs, dtype=torch.long)

    # Compute log sum exp in a numerically stable way for the forward algorithm
    def log_sum_exp(vec):  # type: ignore[no-untyped-def]
        max_score = vec[0, argmax(vec)]
        max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + \
            torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))

    class BiLSTM_CRF(nn.Module):

        def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):  # type: ignore[no-untyped-def]
            super(BiLSTM_CRF, self).__init__()
            self.embedding_dim = embedding_dim
            self.hidden_dim = hidden_dim
            self.vocab_size = vocab_size
            self.tag_to_ix = tag_to_ix
            self.tagset_size = len(tag_to_ix)

            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2,
                                num_layers=1, bidirectional=True)

            # Maps the output of the LSTM into tag space.
            self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)

            # Matrix of transition parameters.  Entry i,j is the score of
            # transitioning *to* i *from* j.
            self.transitions = nn.Parameter(
                torch.randn(self.tagset_size, self.tagset_size))

            # These two statements enforce the constraint that we never transfer
            # to the start tag and we never transfer from the stop tag
            self.transitions.data[tag_to_ix[START_TAG], :] = -10000
            self.transitions.data[:, tag_to_ix[STOP_TAG]] = -10000

            self.hidden = self.init_hidden()

        def init_hidden(self):  # type: ignore[no-untyped-def]
            return (torch.randn(2, 1, self.hidden_dim // 2),
                    torch.randn(2, 1, self.hidden_dim // 2))

        def _forward_alg(self, feats):  # type: ignore[no-untyped-def]
            # Do the forward algorithm to compute the partition function
            init_alphas = torch.full((1, self.tagset_size), -10000.)
            # START_TAG has all of the score.
            init_alphas[0][self.tag_to_ix[START_TAG]] = 0.

            # Wrap in a variable so that we will get automatic backprop
            forward_var = init_alphas

            # Iterate through the sentence
            for feat in feats:
                alphas_t = []  # The forward tensors at this timestep
                for next_tag in range(self.tagset_size):
                    # broadcast the emission score: it is the same regardless of
                    # the previous tag
                    emit_score = feat[next_tag].view(
                        1, -1).expand(1, self.tagset_size)
                    # the ith entry of trans_score is the score of transitioning to
                    # next_tag from i
                    trans_score = self.transitions[next_tag].view(1, -1)
                    # The ith entry of next_tag_var is the value for the
                    # edge (i -> next_tag) before we do log-sum-exp
                    next_tag_var = forward_var + trans_score + emit_score
                    # The forward variable for this tag is log-sum-exp of all the
                    # scores.
                    alphas_t.append(log_sum_exp(next_tag_var).view(1))
                forward_var = torch.cat(alphas_t).view(1, -1)
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            alpha = log_sum_exp(terminal_var)
            return alpha

        def _get_lstm_features(self, sentence):  # type: ignore[no-untyped-def]
            self.hidden = self.init_hidden()
            embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
            lstm_out, self.hidden = self.lstm(embeds, self.hidden)
            lstm_out = lstm_out.view(len(sentence), self.hidden_dim)
            lstm_feats = self.hidden2tag(lstm_out)
            return lstm_feats

        def _score_sentence(self, feats, tags):  # type: ignore[no-untyped-def]
            # Gives the score of a provided tag sequence
            score = torch.zeros(1)
            tags = torch.cat([torch.tensor([self.tag_to_ix[START_TAG]], dtype=torch.long),
                              tags])
            for i, feat in enumerate(feats):
                score = score + \
                    self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            score = score + self.transitions[self.tag_to_ix[STOP_TAG], tags[-1]]
            return score

        def _viterbi_decode(self, feats):  # type: ignore[no-untyped-def]
            backpointers = []

            # Initialize the viterbi variables in log space
            init_vvars = torch.full((1, self.tagset_size), -10000.)
            init_vvars[0][self.tag_to_ix[START_TAG]] = 0

            # forward_var at step i holds the viterbi variables for step i-1
            forward_var = init_vvars
            for feat in feats:
                bptrs_t = []  # holds the backpointers for this step
                viterbivars_t = []  # holds the viterbi variables for this step

                for next_tag in range(self.tagset_size):
                    # next_tag_var[i] holds the viterbi variable for tag i at the
                    # previous step, plus the score of transitioning
                    # from tag i to next_tag.
                    next_tag_var = forward_var + self.transitions[next_tag]
                    best_tag_id = argmax(next_tag_var)
                    bptrs_t.append(best_tag_id)
                    viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
                # Now add in the emission scores, and assign forward_var to the set
                # of viterbi variables we just computed
                forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
                backpointers.append(bptrs_t)

            # Transition to STOP_TAG
            terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP_TAG]]
            best_tag_id = argmax(terminal_var)
            path_score = terminal_var[0][best_tag_id]

            # Follow the back pointers to decode the best path.
            best_path = [best_tag_id]
            for bptrs_t in reversed(backpointers):
                best_tag_id = bptrs_t[best_tag_id]
                best_path.append(best_tag_id)
            # Pop off the start tag (we dont want to return that to the caller)
            start = best_path.pop()
            assert start == self.tag_to_ix[START_TAG]  # Sanity check
            best_path.reverse()
            return path_score, best_path

        def neg_log_likelihood(self, sentence, tags):  # type: ignore[no-untyped-def]
            feats = self._get_lstm_features(sentence)
            forward_score = self._forward_alg(feats)
            gold_score = self._score_sentence(feats, tags)
            return forward_score - gold_score

        def forward(self, sentence):  # type: ignore[no-untyped-def]
            # Get the emission scores from the BiLSTM
            lstm_feats = self._get_lstm_features(sentence)

            # Find the best path, given the features.
            score, tag_seq = self._viterbi_decode(lstm_feats)
            return score, tag_seq

    START_TAG = "<START>"
    STOP_TAG = "<STOP>"
    EMBEDDING_DIM = 5
    HIDDEN_DIM = 4

    # Make up some training data
    training_data = [(
        "the wall street journal reported today that apple corporation made money".split(),
        "B I I I O O O B I O O".split()
    ), (
        "georgia tech is a university in georgia".split(),
        "B I O O O O B".split()
    )]

    word_to_ix = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)

    tag_to_ix = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}

    model = BiLSTM_CRF(len(word_to_ix), tag_to_ix, EMBEDDING_DIM, HIDDEN_DIM)
    start(model)  # test
    optimizer = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)

    # Check predictions before training
    with torch.no_grad():
        precheck_sent = prepare_sequence(training_data[0][0], word_to_ix)
        precheck_tags = torch.tensor([tag_to_ix[t] for t in training_data[0][1]],
                                     dtype=torch.long)
        score, path = model(precheck_sent)
        seen["before"] = (score.item(), path)
        seen["nll_before"] = model.neg_log_likelihood(precheck_sent, precheck_tags).item()

    losses = []  # test
    for epoch in range(epochs):  # the tutorial runs 300 epochs of toy data
        for sentence, tags in training_data:
            # Step 1. Remember that Pytorch accumulates gradients.
            model.zero_grad()

            # Step 2. Get our inputs ready for the network
            sentence_in = prepare_sequence(sentence, word_to_ix)
            targets = torch.tensor([tag_to_ix[t] for t in tags], dtype=torch.long)

            # Step 3. Run our forward pass.
            loss = model.neg_log_likelihood(sentence_in, targets)

            # Step 4. Compute the loss, gradients, and update the parameters
            loss.backward()
            optimizer.step()
            losses.append(loss.item())  # test
    seen["losses"] = losses

    # Check predictions after training
    with torch.no_grad():
        precheck_sent = prepare_sequence(training_data[0][0], word_to_ix)
        score, path = model(precheck_sent)
        seen["after"] = (score.item(), path)
    seen["transitions"] = model.transitions.detach().numpy().copy()
    return seen


def test_bilstm_crf() -> None:
    record, load = _copy_weights()
    theirs = bilstm_crf_tutorial(SameRandn(real_torch), record)
    ours = bilstm_crf_tutorial(SameRandn(firstlayer), load)
    for key in ("before", "after"):
        _close(ours[key][0], theirs[key][0])
        assert ours[key][1] == theirs[key][1], key
    _close(ours["nll_before"], theirs["nll_before"])
    _close(ours["losses"], theirs["losses"])
    _close(ours["transitions"], theirs["transitions"])
    assert theirs["losses"][-1] < theirs["losses"][1]  # training moves it
