"""Nodes that work in background threads: a map running calls in a thread pool, and prefetching. The threads stop
when the iterator that started them is closed or garbage collected."""
import collections
import queue
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator

from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.node import Node, close
from torchkeras_api.data.transforms import AUTOTUNE, apply_map, default_parallelism

PREFETCH_AUTOTUNE_SIZE = 4
_POLL_SECONDS = 0.05
_ITEM, _ERROR, _DONE = "item", "error", "done"


class ParallelMapNode(Node):
    """`map_func` applied to up to `num_parallel_calls` elements at once; results in input order when
    `deterministic` is not False, else as they complete."""

    def __init__(self, source: Node, map_func: Callable, num_parallel_calls: int, deterministic: Any):
        workers = default_parallelism() if num_parallel_calls == AUTOTUNE else int(num_parallel_calls)
        if workers <= 0:
            raise InvalidArgumentError("num_parallel_calls must be greater than zero.")
        self._source = source
        self._fn = map_func
        self._workers = workers
        self._ordered = deterministic is not False

    def elements(self) -> Iterator[Any]:
        pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="tf.data map")
        source = self._source.elements()
        pending: Any = collections.deque() if self._ordered else set()
        try:
            for element in source:
                future = pool.submit(apply_map, self._fn, element)
                if self._ordered:
                    pending.append(future)
                    if len(pending) >= self._workers:
                        yield pending.popleft().result()
                else:
                    pending.add(future)
                    if len(pending) >= self._workers:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        yield from (future.result() for future in done)
            while pending:
                if self._ordered:
                    yield pending.popleft().result()
                else:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
        finally:
            _cancel(pending)
            pool.shutdown(wait=False, cancel_futures=True)
            close(source)

    def cardinality(self) -> int:
        return self._source.cardinality()


def _cancel(futures: Any) -> None:
    for future in futures:
        if isinstance(future, Future):
            future.cancel()


def _put(buffer: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Puts `item` once there is room; False when told to stop first."""
    while not stop.is_set():
        try:
            buffer.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def _fill(make: Callable[[], Iterator[Any]], buffer: queue.Queue, stop: threading.Event) -> None:
    """The prefetch thread: the input's elements into `buffer`, then the end or the error that stopped it."""
    source = None
    try:
        source = make()
        for item in source:
            if not _put(buffer, (_ITEM, item), stop):
                return
        _put(buffer, (_DONE, None), stop)
    except BaseException as error:  # noqa: B902 - handed to the consumer, which raises it
        _put(buffer, (_ERROR, error), stop)
    finally:
        if source is not None:
            close(source)


class PrefetchNode(Node):
    """The input's elements, produced ahead by a background thread into a queue of `buffer_size`."""

    def __init__(self, source: Node, buffer_size: int):
        size = PREFETCH_AUTOTUNE_SIZE if buffer_size == AUTOTUNE else int(buffer_size)
        if size < 0:
            raise InvalidArgumentError(f"buffer_size must be >= 0 or AUTOTUNE (-1), got {buffer_size}.")
        self._source = source
        self._size = size

    def elements(self) -> Iterator[Any]:
        if self._size == 0:
            yield from self._source.elements()
            return
        buffer: queue.Queue = queue.Queue(self._size)
        stop = threading.Event()
        thread = threading.Thread(target=_fill, args=(self._source.elements, buffer, stop), name="tf.data prefetch",
                                  daemon=True)
        thread.start()
        try:
            while True:
                kind, value = buffer.get()
                if kind == _DONE:
                    return
                if kind == _ERROR:
                    raise value
                yield value
        finally:
            stop.set()

    def cardinality(self) -> int:
        return self._source.cardinality()

    def spec(self) -> Any:
        return self._source.spec()
