"""Unique default names for layers and models, as tf.keras makes them."""
import re
from collections import defaultdict
from typing import Dict

_uids: Dict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """`BatchNormalization` -> `batch_normalization`, `Conv2D` -> `conv2d`."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def get_uid(prefix: str = "") -> int:
    """1 on the first call for a prefix, then 2, 3, ..."""
    _uids[prefix] += 1
    return _uids[prefix]


def unique_object_name(prefix: str, zero_based: bool = True) -> str:
    """`dense`, `dense_1`, ... (zero_based) or `input_1`, `input_2`, ..."""
    count = get_uid(prefix)
    if zero_based:
        count -= 1
        return prefix if count == 0 else f"{prefix}_{count}"
    return f"{prefix}_{count}"


def reset_uids() -> None:
    _uids.clear()
