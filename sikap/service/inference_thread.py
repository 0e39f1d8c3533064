"""One OS thread for all model inference of a process.

Torch runs a forward pass on an OpenMP thread team that belongs to the thread entering it. BentoML calls a
synchronous API from a pool of threads, so each of them grew a team of its own; once two threads had run the
model, every pass ran on ~1.3 of 2 cores instead of ~1.95, 25% slower per sentence
(``benchmarks/inference_thread.py`` shows both). Calls made through an :class:`InferenceThread` all run on its
one thread, in arrival order, so the process keeps a single team.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class InferenceThread:
    """Runs the calls given to it on one dedicated thread and returns (or raises) their results."""

    def __init__(self, name: str = "sikap-inference") -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.ident: int = self._executor.submit(threading.get_ident).result()

    def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        if threading.get_ident() == self.ident:  # already on it (a call made from inside a call)
            return fn(*args, **kwargs)
        return self._executor.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
