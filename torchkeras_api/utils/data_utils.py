"""tf.keras.utils.Sequence, the workers that draw batches from Sequences and generators in the background, and
`get_file`, which downloads a file into the Keras cache once."""
import collections
import contextlib
import hashlib
import http.client
import multiprocessing
import os
import queue
import secrets
import shutil
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, Optional, Sequence as SequenceType, Union

import torch

from torchkeras_api.saving.atomic import atomic_write, path_to_string
from torchkeras_api.utils.progbar import Progbar, print_msg


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


# ---- get_file -------------------------------------------------------------------------------------------------------
class DownloadError(Exception):
    """A file could not be fetched from its URL (tf.keras raises a plain `Exception` with the same message start)."""


def keras_home() -> str:
    """The Keras cache root: `$KERAS_HOME` when set, else `~/.keras`."""
    return os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def _writable_root(cache_dir: Optional[str]) -> str:
    """`cache_dir` (default: the Keras home), created if needed; `/tmp/.keras` when it cannot be written to."""
    root = os.path.expanduser(path_to_string(cache_dir)) if cache_dir is not None else keras_home()
    with contextlib.suppress(OSError):
        os.makedirs(root, exist_ok=True)
    return root if os.access(root, os.W_OK) else os.path.join("/tmp", ".keras")


def _hasher(algorithm: str, file_hash: Optional[str] = None) -> Any:
    """sha256 for 'sha256' (and 'auto' with a 64-character hash), else md5."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def _hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of the file (`algorithm`: 'sha256', 'md5', 'auto' or a hashlib object)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's sha256 or md5 digest (chosen by `algorithm`, 'auto' by the hash length) is `file_hash`."""
    return _hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _manual_download_hint(origin: str, fpath: str, file_hash: Optional[str], algorithm: str) -> str:
    hint = f"To work offline, download {origin} by other means and save it as '{fpath}'"
    if file_hash is not None:
        name = "sha256" if _hasher(algorithm, file_hash).name == "sha256" else "md5"
        hint += f" (its {name} hash must be {file_hash})"
    return hint + "."


def _stream(origin: str, out_path: str) -> None:
    """Writes the body of `origin` to `out_path`, with a progress bar."""
    with urllib.request.urlopen(origin) as response, open(out_path, "wb") as out:
        length = response.headers.get("Content-Length")
        progbar = Progbar(int(length) if length and length.isdigit() else None)
        done = 0
        for chunk in iter(lambda: response.read(1 << 16), b""):
            out.write(chunk)
            done += len(chunk)
            progbar.update(done)
    if progbar.target is not None and done < progbar.target:
        raise DownloadError(f"URL fetch failure on {origin}: the connection closed after {done} of {progbar.target} "
                            "bytes.")


def _download(origin: str, fpath: str, file_hash: Optional[str], algorithm: str) -> None:
    """Downloads `origin` to a temporary file renamed onto `fpath` once complete and checked against `file_hash`;
    a failure leaves no file at `fpath`."""
    print_msg(f"Downloading data from {origin}")
    hint = _manual_download_hint(origin, fpath, file_hash, algorithm)
    try:
        with atomic_write(fpath) as temp:
            _stream(origin, temp)
            if file_hash is not None and not validate_file(temp, file_hash, algorithm):
                raise ValueError(f"Incomplete or corrupted file detected. The {algorithm} file hash does not match "
                                 f"the provided value of {file_hash}. {hint}")
    except urllib.error.HTTPError as error:
        raise DownloadError(f"URL fetch failure on {origin}: {error.code} -- {error.msg}. {hint}") from None
    except urllib.error.URLError as error:
        raise DownloadError(f"URL fetch failure on {origin}: {getattr(error.reason, 'errno', None)} -- "
                            f"{error.reason}. {hint}") from None
    except DownloadError as error:
        raise DownloadError(f"{error} {hint}") from None
    except (OSError, http.client.HTTPException) as error:
        raise DownloadError(f"URL fetch failure on {origin}: {error}. {hint}") from None


def _archive_formats(archive_format: Union[str, SequenceType[str], None]) -> List[str]:
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    return [archive_format] if isinstance(archive_format, str) else list(archive_format)


def _unpack(archive: str, kind: str, folder: str) -> None:
    """Extracts the tar or zip `archive` into `folder`, refusing members that would land outside it."""
    if kind == "tar":
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(folder, filter="data")
                return
            root = os.path.realpath(folder)
            for member in tar.getmembers():
                dest = os.path.realpath(os.path.join(folder, member.name))
                if os.path.commonpath([root, dest]) != root or member.issym() or member.islnk():
                    raise ValueError(f"Refusing to extract '{member.name}' from '{archive}': it points outside the "
                                     "extraction folder.")
            tar.extractall(folder)
    else:
        with zipfile.ZipFile(archive) as archive_file:
            archive_file.extractall(folder)


def extract_archive(file_path: str, path: str = ".", archive_format: Union[str, SequenceType[str], None] = "auto"
                    ) -> bool:
    """Extracts a tar (tar, tar.gz, tar.bz2) or zip archive into `path`; False when the file is none of
    `archive_format` ('auto' = tar then zip). Members appear in `path` only once the whole archive is extracted."""
    checks = {"tar": tarfile.is_tarfile, "zip": zipfile.is_zipfile}
    for kind in _archive_formats(archive_format):
        if kind not in checks:
            raise ValueError(f"Unknown archive_format: {kind!r}. Expected 'tar', 'zip', 'auto' or None.")
        if not checks[kind](file_path):
            continue
        os.makedirs(path, exist_ok=True)
        staging = os.path.join(path, f".extract.{secrets.token_hex(6)}.tmp")
        try:
            _unpack(file_path, kind, staging)
            for name in os.listdir(staging):
                target = os.path.join(path, name)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target)
                elif os.path.lexists(target):
                    os.unlink(target)
                os.replace(os.path.join(staging, name), target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return True
    return False


def get_file(fname: Optional[str] = None, origin: Optional[str] = None, untar: bool = False,
             md5_hash: Optional[str] = None, file_hash: Optional[str] = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False,
             archive_format: Union[str, SequenceType[str], None] = "auto", cache_dir: Optional[str] = None) -> str:
    """Downloads `origin` to `<cache_dir>/<cache_subdir>/<fname>` unless a file with the right hash is there, and
    returns its path.

    `cache_dir` defaults to `$KERAS_HOME` or `~/.keras`; `fname` to the URL's file name. `file_hash` (sha256 or
    md5, `hash_algorithm` 'auto' tells them apart by length) is checked on the cached file (a mismatch means a new
    download) and on the downloaded one (a mismatch raises ValueError). `untar=True` names the file `fname.tar.gz`,
    extracts it once and returns the extracted folder's path; `extract=True` extracts tar/zip archives in the cache
    folder and returns the archive's path.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(_writable_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    fname = path_to_string(fname) if fname else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. Please specify the "
                             "`fname` as the input param.")
    if untar:
        untar_fpath = os.path.join(datadir, fname[:-len(".tar.gz")] if fname.endswith(".tar.gz") else fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)

    download = not os.path.exists(fpath)
    if not download and file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
        print_msg(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} "
                  f"file hash does not match the original value of {file_hash} so we will re-download the data.")
        download = True
    if download:
        _download(origin, fpath, file_hash, hash_algorithm)

    if untar:
        if not os.path.exists(untar_fpath):
            extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        extract_archive(fpath, datadir, archive_format)
    return fpath
