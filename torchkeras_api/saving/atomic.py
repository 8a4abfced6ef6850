"""Saving that never leaves a half-written file under the final name.

`atomic_write(path)` hands out a fresh temporary path in the target's own folder; the caller writes the
whole file there, and only when that succeeded is the temporary file flushed to disk and renamed over the
target with `os.replace` (atomic on POSIX and Windows within one file system). If writing fails (an
exception, Ctrl-C) the temporary file is removed and an existing file at the target is untouched; if the
process is killed, the target is still untouched and a hidden `.<name>.<random>.tmp` file is left behind.

`confirm_overwrite(path, overwrite)` is tf.keras's `overwrite=False` rule: tf.keras asks on the terminal
whether to replace an existing file. We ask the same question when stdin is a terminal; in a
non-interactive session (scripts under a scheduler, notebooks without a terminal, tests) there is nobody
to answer, so we raise `FileExistsError` instead of blocking on `input()` or silently skipping the save.
"""
import contextlib
import os
import secrets
import stat
import sys
from typing import Iterator

from torchkeras_api.utils.progbar import print_msg

_TEMP_SUFFIX = ".tmp"


def path_to_string(filepath: object) -> str:
    """`filepath` as a str (accepts str, bytes and os.PathLike)."""
    path = os.fspath(filepath)
    return path.decode() if isinstance(path, bytes) else path


def is_interactive() -> bool:
    """Whether someone can answer a question on stdin (stdin is an open terminal)."""
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (ValueError, AttributeError):
        return False


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """tf.keras's prompt: True to overwrite `filepath`, False to cancel."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print_msg("[TIP] Next time specify overwrite=True!")
    return True


def confirm_overwrite(filepath: str, overwrite: bool) -> bool:
    """Whether a save to `filepath` may go ahead.

    True when `overwrite` is set or nothing is there. With `overwrite=False` and an existing file: in an
    interactive session, asks as tf.keras does (False when the user cancels); otherwise raises
    FileExistsError, since tf.keras would wait for an answer that cannot come.
    """
    if overwrite or not os.path.isfile(filepath):
        return True
    if is_interactive():
        return ask_to_proceed_with_overwrite(filepath)
    raise FileExistsError(
        f"Not saving to '{filepath}': the file already exists and overwrite=False. tf.keras would ask on the "
        "terminal whether to overwrite it, but this session is not interactive (stdin is not a terminal), so "
        "the existing file is kept. Pass overwrite=True to replace it, or choose another path.")


def _reserve_temp_path(folder: str, base: str) -> str:
    """Creates an empty, new, hidden file next to the target (mode 0o666 less the umask) and returns its path."""
    stem = "." + base[:200] + "."
    for _ in range(100):
        candidate = os.path.join(folder, stem + secrets.token_hex(6) + _TEMP_SUFFIX)
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise FileExistsError(f"Could not create a temporary file in '{folder}'.")


def _fsync_path(path: str, directory: bool = False) -> None:
    """Flushes a file's (or a folder's) contents to disk; best effort for folders."""
    flags = os.O_RDONLY
    if directory:
        if os.name == "nt":
            return
        flags |= getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(filepath: str) -> Iterator[str]:
    """Yields a temporary path to write the whole file to; renames it onto `filepath` on success.

    A symlink at `filepath` is followed: the file it points to is replaced and the link kept. An
    existing file's permission bits carry over to the new one.
    """
    filepath = path_to_string(filepath)
    target = os.path.realpath(filepath)
    if os.path.isdir(target):
        raise IsADirectoryError(f"Cannot save to '{filepath}': it is an existing directory. Please give a file "
                                "path.")
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to '{filepath}': the folder '{os.path.dirname(filepath) or '.'}' "
                                "does not exist.")
    temp = _reserve_temp_path(folder, os.path.basename(target))
    try:
        if os.path.exists(target):
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
        yield temp
        _fsync_path(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_path(folder, directory=True)
