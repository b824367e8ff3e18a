"""Training threads for the models (Word2Vec, the fastText classifier): start, wait, stop, report.

The compiled kernels release the GIL, so a model trains on several threads at once (Hogwild: the
threads update the shared weights without locks, as gensim and fastText do). What every trainer
needs around them, and what this module does once:

- an exception in a worker stops the others early and is raised again in the caller's thread,
  with its traceback (the first one; later ones are attached as notes where Python has notes);
- Ctrl-C (``KeyboardInterrupt``, which only the main thread receives) stops the workers and is
  raised again once they have all finished, so no thread is left writing into the weights;
- the caller's thread waits in short steps, so that it sees Ctrl-C at once and can report
  progress (``poll``) while the workers run.

Two shapes of work: :func:`run_threads` runs ``work(slot)`` on each of ``threads`` threads
(fastText: each thread trains until a shared token count is reached); :func:`run_jobs` hands the
jobs of an iterator to ``workers`` threads through a short queue (Word2Vec: one job per batch of
sentences, produced while the others train).

A worker cannot be interrupted inside a compiled kernel: ``stop`` is how a trainer asks its
kernels to return early (fastText sets its token counter to the end); otherwise the workers stop
after the job they are in.

>>> out = []
>>> run_jobs(range(5), out.append, workers=2)
>>> sorted(out)
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

__all__ = ["run_jobs", "run_threads"]

T = TypeVar("T")

_POLL_SECONDS = 0.1  # how often the waiting thread wakes: for Ctrl-C and progress
_DONE: Any = object()  # the end of run_jobs' queue, one per worker


class _Workers:
    """``count`` daemon threads running ``target(slot)``; errors collected, a shared stop flag.

    Used as a context manager: the threads start on entry; on exit (normal or by an exception
    of the caller's body, Ctrl-C included) the workers are asked to stop if anything went wrong,
    all are joined, and then the caller's exception, or else the first worker's, propagates.
    """

    def __init__(
        self, target: Callable[[int], None], count: int, stop: Callable[[], None] | None = None
    ) -> None:
        self._target = target
        self._on_stop = stop
        self.errors: list[BaseException] = []
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(slot,), daemon=True) for slot in range(count)
        ]

    def fail(self, exc: BaseException) -> None:
        """Record a worker's exception and stop the others."""
        with self._lock:
            self.errors.append(exc)
        self.stop()

    def stop(self) -> None:
        """Ask every worker to finish early (idempotent)."""
        if not self.stopped.is_set():
            self.stopped.set()
            if self._on_stop is not None:
                self._on_stop()

    def _run(self, slot: int) -> None:
        try:
            self._target(slot)
        except BaseException as exc:  # noqa: BLE001  (raised again in the caller's thread)
            self.fail(exc)

    def wait(self, poll: Callable[[], None] | None = None) -> None:
        """Wait for every worker, waking every ``_POLL_SECONDS`` to call ``poll``."""
        while alive := [t for t in self._threads if t.is_alive()]:
            alive[0].join(timeout=_POLL_SECONDS)
            if poll is not None:
                poll()

    def __enter__(self) -> _Workers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:  # the caller failed or was interrupted: the workers stop too
            self.stop()
        for t in self._threads:
            t.join()
        if exc_type is None and self.errors:
            first = self.errors[0]
            for other in self.errors[1:]:
                if hasattr(first, "add_note"):  # Python 3.11+
                    first.add_note(f"another worker failed too: {type(other).__name__}: {other}")
            raise first


def run_threads(
    work: Callable[[int], None],
    threads: int,
    *,
    stop: Callable[[], None] | None = None,
    poll: Callable[[], None] | None = None,
) -> None:
    """Run ``work(slot)`` for ``slot`` in ``0 .. threads - 1``, each on its own thread.

    Args:
        work: one worker's whole task.
        threads: how many workers.
        stop: asks the running workers to return early; called once, when a worker fails or
            the caller is interrupted.
        poll: called from the caller's thread about every 0.1 s while the workers run
            (progress reports).

    Raises:
        The first exception a worker raised, once every worker has returned;
        ``KeyboardInterrupt`` on Ctrl-C, once every worker has returned.
    """
    with _Workers(work, threads, stop) as pool:
        pool.wait(poll)


def run_jobs(jobs: Iterable[T], do: Callable[[T], None], workers: int) -> None:
    """Call ``do(job)`` for every job, on ``workers`` threads (on this thread when 1).

    Jobs are taken from the iterator on this thread as the workers need them (a queue of at
    most ``2 * workers``), so a corpus streams through without being held in memory. After a
    failure the workers skip the jobs still queued and no new job is taken.

    Raises:
        What the iterator or ``do`` raised first (from a worker: once every worker has
        returned); ``KeyboardInterrupt`` on Ctrl-C, once every worker has returned.
    """
    if workers == 1:
        for job in jobs:
            do(job)
        return
    todo: queue.Queue[Any] = queue.Queue(maxsize=2 * workers)

    def worker(slot: int) -> None:
        while (job := todo.get()) is not _DONE:
            if pool.stopped.is_set():
                continue  # something failed: drain the queue without working
            try:
                do(job)
            except BaseException as exc:  # noqa: BLE001  (raised again in the caller's thread)
                pool.fail(exc)

    with _Workers(worker, workers) as pool:
        try:
            for job in jobs:
                if pool.stopped.is_set():
                    break
                todo.put(job)
        except BaseException:
            pool.stop()
            raise
        finally:
            for _ in range(workers):  # the workers drain the queue, so this cannot block long
                todo.put(_DONE)
        pool.wait()  # in steps, so that Ctrl-C meanwhile stops the workers
