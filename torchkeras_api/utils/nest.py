"""Nested structures (lists, tuples, dicts) of leaves, as tf.nest treats them."""
from typing import Any, Callable, List


def is_nested(x: Any) -> bool:
    """Containers are lists, tuples and dicts; shapes (tuples marked `_nest_leaf`) are leaves."""
    return isinstance(x, (list, tuple, dict)) and not getattr(type(x), "_nest_leaf", False)


def flatten(structure: Any) -> List[Any]:
    """Leaves in order; dict entries by sorted key, as tf.nest does."""
    out: List[Any] = []
    _flatten_into(structure, out)
    return out


def _flatten_into(x: Any, out: List[Any]) -> None:
    if not is_nested(x):
        out.append(x)
    elif isinstance(x, dict):
        for k in sorted(x, key=_sort_key):
            _flatten_into(x[k], out)
    else:
        for v in x:
            _flatten_into(v, out)


def _sort_key(k: Any) -> Any:
    return (str(type(k)), k) if not isinstance(k, str) else ("", k)


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Applies fn to every leaf, keeping the containers."""
    if not is_nested(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(map_structure(fn, v) for v in structure))
    return type(structure)(map_structure(fn, v) for v in structure)


def pack_sequence_as(structure: Any, flat: List[Any]) -> Any:
    """Rebuilds `structure` with the leaves taken from `flat` in flatten order."""
    it = iter(flat)
    leaves = {}

    def take(path):
        leaves[path] = next(it)

    def walk(x, path):
        if not is_nested(x):
            take(path)
        elif isinstance(x, dict):
            for k in sorted(x, key=_sort_key):
                walk(x[k], path + (k,))
        else:
            for i, v in enumerate(x):
                walk(v, path + (i,))

    walk(structure, ())

    def build(x, path):
        if not is_nested(x):
            return leaves[path]
        if isinstance(x, dict):
            return {k: build(v, path + (k,)) for k, v in x.items()}
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*(build(v, path + (i,)) for i, v in enumerate(x)))
        return type(x)(build(v, path + (i,)) for i, v in enumerate(x))

    return build(structure, ())
