"""The stack of entered strategy scopes: `get_strategy`, `has_strategy` and friends."""
from typing import Any, List

_stack: List[Any] = []
_default: List[Any] = []


def push(strategy: Any) -> None:
    if _stack and _stack[-1] is not strategy:
        raise RuntimeError(f"Mixing different tf.distribute.Strategy objects: {strategy!r} is not {_stack[-1]!r}")
    _stack.append(strategy)


def pop() -> None:
    _stack.pop()


def current() -> Any:
    """The innermost entered strategy, or None."""
    return _stack[-1] if _stack else None


def get_strategy() -> Any:
    """The strategy whose scope is entered, else the default (single-device) strategy."""
    if _stack:
        return _stack[-1]
    if not _default:
        from torchkeras_api.distribute.strategies import _DefaultDistributionStrategy
        _default.append(_DefaultDistributionStrategy())
    return _default[0]


def has_strategy() -> bool:
    """Whether a strategy's scope is entered."""
    return bool(_stack)


def in_cross_replica_context() -> bool:
    """Whether code runs outside `strategy.run` (always, under a scope: replicas run inside the trainer)."""
    return bool(_stack)
