"""``firstlayer.models._threads``: the training threads of Word2Vec and the fastText classifier.

Checked: a worker's exception is raised again in the caller (the same object, once every worker
has returned) and stops the other workers; Ctrl-C in the caller stops the workers before
``KeyboardInterrupt`` propagates; the same through ``train_supervised`` and ``Word2Vec``.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from firstlayer.models import Word2Vec, train_supervised
from firstlayer.models._threads import run_jobs, run_threads
from firstlayer.models.fasttext import _train


class Boom(RuntimeError):
    pass


def _no_workers_left(before: int) -> bool:
    # tqdm's monitor thread (a progress bar's) may have started meanwhile: it is not a worker
    return sum(t.name != "tqdm_monitor" for t in threading.enumerate()) <= before


# ---- run_threads --------------------------------------------------------------------------------
def test_run_threads_runs_each_slot_once() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def work(slot: int) -> None:
        with lock:
            seen.append(slot)

    run_threads(work, 4)
    assert sorted(seen) == [0, 1, 2, 3]


def test_worker_error_is_raised_in_the_caller_and_stops_the_others() -> None:
    before = threading.active_count()
    stop = threading.Event()
    error = Boom("slot 1 failed")

    def work(slot: int) -> None:
        if slot == 1:
            raise error
        assert stop.wait(10), "the failure did not stop this worker"

    with pytest.raises(Boom) as info:
        run_threads(work, 3, stop=stop.set)
    assert info.value is error  # the worker's own exception, traceback included
    assert any("work" in str(f.name) for f in info.traceback)
    assert _no_workers_left(before)


def test_every_failure_is_reported() -> None:
    def work(slot: int) -> None:
        raise Boom(f"slot {slot}")

    with pytest.raises(Boom) as info:
        run_threads(work, 2)
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert len(notes) == 1 and "another worker failed too" in notes[0]


def test_ctrl_c_stops_the_workers_before_it_propagates() -> None:
    before = threading.active_count()
    stop = threading.Event()
    finished: list[int] = []

    def work(slot: int) -> None:
        stop.wait(10)
        time.sleep(0.05)  # a worker finishes what it is doing before it returns
        finished.append(slot)

    def poll() -> None:
        raise KeyboardInterrupt  # what the main thread sees on Ctrl-C

    with pytest.raises(KeyboardInterrupt):
        run_threads(work, 2, stop=stop.set, poll=poll)
    assert stop.is_set() and sorted(finished) == [0, 1]  # all returned before the raise
    assert _no_workers_left(before)


# ---- run_jobs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 3])
def test_run_jobs_does_every_job(workers: int) -> None:
    done: list[int] = []
    lock = threading.Lock()

    def do(job: int) -> None:
        with lock:
            done.append(job)

    run_jobs(iter(range(100)), do, workers)
    assert sorted(done) == list(range(100))


def test_run_jobs_one_worker_runs_in_the_callers_thread() -> None:
    threads = set()
    run_jobs(range(5), lambda job: threads.add(threading.get_ident()), 1)
    assert threads == {threading.get_ident()}


def test_run_jobs_error_stops_taking_jobs_and_is_raised() -> None:
    before = threading.active_count()
    taken: list[int] = []

    def jobs():
        for i in range(10_000):
            taken.append(i)
            yield i

    def do(job: int) -> None:
        if job == 5:
            raise Boom("job 5")
        time.sleep(0.001)

    with pytest.raises(Boom, match="job 5"):
        run_jobs(jobs(), do, 2)
    assert len(taken) < 100  # no new job after the failure (a few were queued)
    assert _no_workers_left(before)


def test_run_jobs_ctrl_c_while_producing_stops_the_workers() -> None:
    before = threading.active_count()
    done: list[int] = []

    def jobs():
        yield from range(6)
        raise KeyboardInterrupt  # Ctrl-C in the main thread, which produces the jobs

    def do(job: int) -> None:
        time.sleep(0.01)
        done.append(job)

    with pytest.raises(KeyboardInterrupt):
        run_jobs(jobs(), do, 2)
    assert len(done) <= 6
    assert _no_workers_left(before)


# ---- through the models -------------------------------------------------------------------------
def _write_labelled(path, lines: int) -> None:
    rng = np.random.default_rng(0)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(lines):
            k = int(rng.integers(3))
            words = " ".join(f"w{k}_{i}" for i in rng.integers(0, 20, 8))
            f.write(f"__label__{k} {words}\n")


def test_ctrl_c_stops_train_supervised(tmp_path, monkeypatch) -> None:
    path = tmp_path / "train.txt"
    _write_labelled(path, 200)
    before = threading.active_count()

    def interrupt(*args, final: bool) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_train, "_print_progress", interrupt)
    # 10**6 epochs would take minutes: only the stop makes the call return
    with pytest.raises(KeyboardInterrupt):
        train_supervised(str(path), epoch=10**6, dim=8, thread=2, verbose=2)
    assert _no_workers_left(before)


def test_word2vec_worker_error_reaches_the_caller(monkeypatch) -> None:
    sentences = [[f"w{i % 30}", f"w{(i * 7) % 30}", "x"] for i in range(3000)]
    model = Word2Vec(vector_size=8, min_count=1, workers=3, batch_words=100, progress=False)
    model.build_vocab(sentences)
    calls = []
    train_job = Word2Vec._train_job

    def failing(self, job, with_loss):
        calls.append(job)
        if len(calls) == 4:
            raise Boom("a kernel failed")
        return train_job(self, job, with_loss)

    monkeypatch.setattr(Word2Vec, "_train_job", failing)
    before = threading.active_count()
    with pytest.raises(Boom, match="a kernel failed"):
        model.train(sentences, total_examples=len(sentences), epochs=model.epochs)
    assert len(calls) < 4 + 3 + 2 * 3  # at most the jobs in flight and queued run after it
    assert _no_workers_left(before)
