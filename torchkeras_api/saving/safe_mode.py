"""Whether deserialization may run code stored in a file (a Lambda layer's Python bytecode).

Safe by default, as in Keras 3: `load_model(..., safe_mode=False)` (or `with SafeModeScope(False):`) is the
explicit opt-in for files from a trusted source.
"""
import threading
from typing import Any, Optional

_state = threading.local()


class SafeModeScope:
    """`with SafeModeScope(False):` allows loading stored code inside the block (True forbids it)."""

    def __init__(self, safe_mode: Optional[bool] = True):
        self.safe_mode = True if safe_mode is None else bool(safe_mode)
        self._previous: Optional[bool] = None

    def __enter__(self) -> "SafeModeScope":
        self._previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.safe_mode = self._previous


def in_safe_mode() -> bool:
    """True unless inside `SafeModeScope(False)`."""
    value = getattr(_state, "safe_mode", None)
    return True if value is None else value
