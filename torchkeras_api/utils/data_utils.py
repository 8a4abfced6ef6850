"""tf.keras.utils.Sequence and the workers that draw batches from Sequences and generators in the background."""
import collections
import multiprocessing
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, Optional

import torch


class Sequence:
    """A dataset of batches indexed by position: implement `__getitem__` and `__len__`; `fit` calls
    `on_epoch_end` after every epoch."""

    def __getitem__(self, index: int) -> Any:
        """The batch at position `index`."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of batches."""
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]


def batch_order(length: int, shuffle: bool) -> List[int]:
    """The positions of one pass over `length` batches, in random order when `shuffle`."""
    return torch.randperm(length).tolist() if shuffle else list(range(length))


_worker_sequence: Any = None


def _init_worker(sequence: Any) -> None:
    global _worker_sequence
    _worker_sequence = sequence


def _worker_getitem(index: int) -> Any:
    return _worker_sequence[index]


class OrderedEnqueuer:
    """Fetches a Sequence's batches with `workers` threads (processes with `use_multiprocessing`), keeping at most
    `max_queue_size` batches ahead and handing them out in order; one pass over the Sequence per `get()`."""

    def __init__(self, sequence: Sequence, use_multiprocessing: bool = False, shuffle: bool = False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.shuffle = shuffle
        self._pool: Any = None
        self._max_queue_size = 10

    def is_running(self) -> bool:
        return self._pool is not None

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts the worker pool."""
        self._max_queue_size = max(max_queue_size, 1)
        if self.use_multiprocessing:
            self._pool = multiprocessing.get_context().Pool(workers, initializer=_init_worker,
                                                              initargs=(self.sequence,))
        else:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sequence_worker")

    def _submit(self, index: int) -> Any:
        if self.use_multiprocessing:
            return self._pool.apply_async(_worker_getitem, (index,))
        return self._pool.submit(self.sequence.__getitem__, index)

    def get(self) -> Iterator[Any]:
        """Yields the batches of one pass, in order, while the workers fetch the next ones."""
        if self._pool is None:
            raise RuntimeError("The enqueuer is not running: call `start()` first.")
        order = iter(batch_order(len(self.sequence), self.shuffle))
        pending: collections.deque = collections.deque()
        for index in order:
            pending.append(self._submit(index))
            if len(pending) >= self._max_queue_size:
                break
        while pending:
            job = pending.popleft()
            index = next(order, None)
            if index is not None:
                pending.append(self._submit(index))
            yield job.get() if self.use_multiprocessing else job.result()

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stops the workers (letting running fetches finish); batches not yet handed out are dropped."""
        if self._pool is None:
            return
        if self.use_multiprocessing:
            self._pool.terminate()
            self._pool.join()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None


_END = object()


class GeneratorEnqueuer:
    """Draws from a generator in a background thread, keeping at most `max_queue_size` batches ready. A generator
    is sequential, so one thread draws from it whatever `workers` and `use_multiprocessing` say."""

    def __init__(self, generator: Iterator[Any], use_multiprocessing: bool = False):
        self.generator = generator
        self.use_multiprocessing = use_multiprocessing
        self._queue: Optional[queue.Queue] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts the drawing thread."""
        self._queue = queue.Queue(max(max_queue_size, 1))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="generator_worker", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self.generator:
                if not self._put((item, None)):
                    return
        except Exception as error:  # handed to the consumer, raised there
            self._put((None, error))
            return
        self._put((_END, None))

    def get(self) -> Iterator[Any]:
        """Yields the generator's items in order until it is exhausted; re-raises its errors."""
        if self._queue is None:
            raise RuntimeError("The enqueuer is not running: call `start()` first.")
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stops the drawing thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
