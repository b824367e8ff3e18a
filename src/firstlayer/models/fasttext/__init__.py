"""fastText's supervised text classifier, made of a first layer: ``train_supervised``.

fastText's classifier is nothing but the first layer and one Linear::

    text -> ids of its words and hashed word n-grams -> EmbeddingBag(mode="mean")   (hidden, D)
         -> Linear(D, labels, bias=False) -> softmax                                 (labels,)

:func:`train_supervised` reads a file in fastText's format (one document per line, its labels
as words that start with ``__label__``), builds fastText's dictionary, and trains those two
layers by SGD, one line at a time, on ``thread`` threads at once (Hogwild), with fastText's
names, defaults and hashing (same settings, same model size). The :class:`FastText` it returns
answers fastText's Python API: ``predict``, ``test``, ``test_label``, ``get_word_vector``,
``get_sentence_vector``, ``words``, ``labels``, ``save_model``; :func:`load_model` reads a saved
model back.

>>> from firstlayer.models import train_supervised
>>> model = train_supervised("cooking.train", epoch=25, wordNgrams=2)  # doctest: +SKIP
>>> model.predict("Which baking dish is best to bake a banana bread ?")  # doctest: +SKIP
(('__label__baking',), array([0.8125]))

The parts, in the order text flows through them:

- ``_args``: :class:`SupervisedArgs`, the hyper-parameters, their defaults and checks;
- ``_hash``: fastText's hashes (tokens and n-grams -> rows), the readable reference;
  ``_hash_kernels``: the same, compiled, for the kernels below;
- ``_reading``: files and strings -> tokens, as fastText reads them;
- ``_dictionary``: the dictionary, and lines -> examples (rows and labels);
- ``_read_kernels``: the compiled loops of those two (tokenizing, encoding);
- ``_network``: :class:`FastTextClassifier`, the EmbeddingBag and the Linear;
- ``_train``: :func:`train_supervised`; ``_train_kernels``: its compiled SGD step;
- ``_unsup``: :func:`train_unsupervised` (skipgram, cbow); ``_unsup_kernels``: its compiled
  loop; ``_queries``: nearest neighbours, analogies, subwords, ``get_line``;
- ``_model``: :class:`FastText`, the trained model and its answers;
- ``_format``: the model file, :func:`load_model` and ``save_model``; ``_bin``: fastText's
  binary layout (``.bin``/``.ftz``), read and written; ``_bin_kernels``: its compiled loops;
  ``_topk``: fastText's sigmoid table and its heap's choice among equally likely labels;
  ``_predict``: ``predict``/``test``, through ``_predict_kernels`` (a line's bytes -> its rows
  -> the hidden vector, compiled) and ``_topk_kernels`` (scores -> the k best, fastText's heap
  and, for ``hs``, its tree search, compiled);
- ``_autotune``: fastText's hyper-parameter search (``autotuneValidationFile=...``);
- ``_quantize``: ``quantize`` and the ``.ftz`` matrices; ``_pq_kernels``: its k-means.

Differences from fastText, on purpose:

- Every row of the input matrix starts at U(-1/dim, 1/dim). fastText fills only the first
  ``thread`` tenths of it (``DenseMatrix::uniform``) and leaves the rest as whatever the memory
  held (``posix_memalign`` does not zero it): where that memory held NaN, fastText stops with
  "Encountered NaN", at any learning rate (most runs on small data with 1 or 2 threads; none
  with 10 threads or more, whose tenths cover the matrix); where it held large values, its
  accuracy drops. Here training is stable, and softmax subtracts the largest score before
  ``exp``.
- ``predict`` returns the model's probabilities (fastText returns ``p + 1e-5``), and accepts
  newlines in the text (they separate words like spaces do; fastText raises ``ValueError``).
  Labels, their order (ties included, ``hs`` too) and the float32 arithmetic are fastText's.
- Autotune (``_autotune``) draws its steps from NumPy's generator seeded with ``seed``
  (fastText: ``minstd_rand``): the trials are reproducible, not fastText's; an argument counts
  as set by hand (not tuned) when it differs from its default; trials whose hash rows alone
  would take over 4 GiB are skipped.
- Mistakes in a training file are errors that name the line: a line with labels but no text, a
  line with text but no label, a file with no label at all. fastText skips such lines.
- :func:`load_model` also reads the safetensors files older firstlayer versions saved.
  ``save_model`` writes fastText's own ``.bin`` (``.ftz`` when quantized), which fastText
  reads; it holds what fastText's holds, so ``lr``, ``thread``, ``label``, ``verbose`` and
  ``seed`` come back as their defaults, as in fastText.
- ``quantize`` (``_quantize``) gives fastText's centroids, codes and pruned dictionary bit for
  bit, except that rows of equal float32 norm keep their row order at the ``cutoff`` (fastText's
  ``std::sort`` leaves it unspecified); it refuses a model already quantized (fastText crashes)
  and a ``cutoff`` larger than the input matrix (fastText ignores it).
- ``train_unsupervised`` draws its random numbers (subsampling, windows, negatives) from its
  own generator (splitmix64), fastText from ``minstd_rand``: the same distributions, other
  draws. Skip-gram writes a word's rows once after all its context steps, with the sum of their
  gradients, and tracks their mean meanwhile: the same arithmetic as fastText's write after
  every step, with less memory traffic (other Hogwild threads see those rows move later).
- ``get_nearest_neighbors``/``get_analogies`` with ``k=0`` return ``[]`` (fastText crashes);
  ``get_subword_id`` on a model without hash rows (``bucket=0``) and ``get_input_vector`` out
  of range raise an error naming the cause (fastText divides by zero, or reads past the matrix).
"""

from ._args import LOSSES as LOSSES  # the loss names (not in __all__, as before the split)
from ._args import SupervisedArgs
from ._format import FORMAT as FORMAT
from ._format import FORMAT_VERSION as FORMAT_VERSION
from ._format import ModelFileError, load_model
from ._model import FastText
from ._network import FastTextClassifier
from ._reading import SupervisedFileError
from ._train import train_supervised
from ._unsup import UnsupervisedArgs, train_unsupervised

__all__ = [
    "FastText",
    "FastTextClassifier",
    "ModelFileError",
    "SupervisedArgs",
    "SupervisedFileError",
    "load_model",
    "train_supervised",
    "train_unsupervised",
    "UnsupervisedArgs",
]
