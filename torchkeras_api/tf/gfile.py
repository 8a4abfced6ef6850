"""tf.io.gfile on the local file system: paths are str (bytes and string scalars are accepted)."""
import glob as _glob
import os
import shutil
from typing import Any, Iterator, List, Tuple

from torchkeras_api.tf._support import module_getattr
from torchkeras_api.tf.errors import AlreadyExistsError, NotFoundError
from torchkeras_api.tf.image_codecs import scalar_bytes


def path_string(path: Any) -> str:
    """A path given as str, os.PathLike, bytes or a string scalar, as str."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    return path if isinstance(path, str) else os.fsdecode(scalar_bytes(path, "path"))


def _not_found(path: str) -> NotFoundError:
    return NotFoundError(None, None, f"{path}; No such file or directory")


def exists(path: Any) -> bool:
    """Whether the path exists."""
    return os.path.exists(path_string(path))


def isdir(path: Any) -> bool:
    """Whether the path is a directory."""
    return os.path.isdir(path_string(path))


def glob(pattern: Any) -> List[str]:
    """The paths matching the pattern."""
    return sorted(_glob.glob(path_string(pattern)))


def listdir(path: Any) -> List[str]:
    """The names of the entries of a directory (NotFoundError when it does not exist)."""
    path = path_string(path)
    if not os.path.isdir(path):
        raise _not_found(path)
    return os.listdir(path)


def makedirs(path: Any) -> None:
    """Creates the directory and its missing parents (an existing one is fine)."""
    os.makedirs(path_string(path), exist_ok=True)


def mkdir(path: Any) -> None:
    """Creates the directory (an existing one is fine)."""
    path = path_string(path)
    if not os.path.isdir(path):
        os.mkdir(path)


def remove(path: Any) -> None:
    """Deletes a file (NotFoundError when it does not exist)."""
    path = path_string(path)
    if not os.path.exists(path):
        raise _not_found(path)
    os.remove(path)


def rmtree(path: Any) -> None:
    """Deletes a directory and everything in it (NotFoundError when it does not exist)."""
    path = path_string(path)
    if not os.path.exists(path):
        raise _not_found(path)
    shutil.rmtree(path)


def _check_target(target: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(target):
        raise AlreadyExistsError(None, None, f"file already exists: {target}")


def copy(src: Any, dst: Any, overwrite: bool = False) -> None:
    """Copies a file (AlreadyExistsError when `dst` exists, unless `overwrite`)."""
    src, dst = path_string(src), path_string(dst)
    if not os.path.exists(src):
        raise _not_found(src)
    _check_target(dst, overwrite)
    shutil.copyfile(src, dst)


def rename(src: Any, dst: Any, overwrite: bool = False) -> None:
    """Moves a file (AlreadyExistsError when `dst` exists, unless `overwrite`)."""
    src, dst = path_string(src), path_string(dst)
    if not os.path.exists(src):
        raise _not_found(src)
    _check_target(dst, overwrite)
    os.replace(src, dst)


def join(path: Any, *paths: Any) -> str:
    """The paths joined with the separator."""
    return os.path.join(path_string(path), *(path_string(p) for p in paths))


def walk(top: Any, topdown: bool = True, onerror: Any = None) -> Iterator[Tuple[str, List[str], List[str]]]:
    """(directory, subdirectory names, file names) for each directory under `top`."""
    return os.walk(path_string(top), topdown=topdown, onerror=onerror)


class GFile:
    """A file object ('r'/'w'/'a' give str, with 'b' bytes) that is also a context manager and an iterator
    over lines, with `size()` (NotFoundError when a file to read does not exist)."""

    def __init__(self, name: Any, mode: str = "r"):
        self.name = path_string(name)
        self.mode = mode
        if "r" in mode and not os.path.exists(self.name):
            raise _not_found(self.name)
        if "r" not in mode:
            os.makedirs(os.path.dirname(self.name) or ".", exist_ok=True)
        self._file = open(self.name, mode)

    def __enter__(self) -> "GFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._file)

    def __next__(self) -> Any:
        return next(self._file)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def read(self, n: int = -1) -> Any:
        """Up to `n` characters (bytes in binary mode); everything left when n is -1."""
        return self._file.read(n)

    def size(self) -> int:
        """The file's size in bytes."""
        self._file.flush()
        return os.path.getsize(self.name)

    def close(self) -> None:
        """Flushes and closes the file."""
        self._file.close()


__getattr__ = module_getattr("tensorflow.io.gfile")
