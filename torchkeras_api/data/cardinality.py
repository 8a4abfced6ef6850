"""Dataset sizes as tf.data counts them: a number of elements, `INFINITE` (-1) or `UNKNOWN` (-2)."""
import math
from typing import Sequence

INFINITE = -1
UNKNOWN = -2


def repeated(n: int, count: int) -> int:
    if count == 0 or n == 0:
        return 0
    if count < 0:
        return INFINITE
    return n if n < 0 else n * count


def taken(n: int, count: int) -> int:
    if count < 0:
        return n
    if n == INFINITE:
        return count
    return UNKNOWN if n == UNKNOWN else min(n, count)


def skipped(n: int, count: int) -> int:
    if count < 0:
        return 0
    return n if n < 0 else max(0, n - count)


def batched(n: int, batch_size: int, drop_remainder: bool) -> int:
    if n < 0:
        return n
    return n // batch_size if drop_remainder else math.ceil(n / batch_size)


def summed(sizes: Sequence[int]) -> int:
    if INFINITE in sizes:
        return INFINITE
    return UNKNOWN if UNKNOWN in sizes else sum(sizes)


def zipped(sizes: Sequence[int]) -> int:
    if UNKNOWN in sizes:
        return UNKNOWN
    finite = [n for n in sizes if n >= 0]
    return min(finite) if finite else INFINITE


def sharded(n: int, num_shards: int, index: int) -> int:
    if n < 0:
        return n
    return n // num_shards + (1 if index < n % num_shards else 0)


def windowed(n: int, size: int, shift: int, stride: int, drop_remainder: bool) -> int:
    if n < 0:
        return n
    if not drop_remainder:
        return math.ceil(n / shift)
    span = (size - 1) * stride + 1
    return 0 if n < span else (n - span) // shift + 1
