"""Per-thread state of the layer call in progress: name scopes, training flag, shape inference."""
import contextlib
import threading
from typing import Iterator, List, Optional


class _CallState(threading.local):
    def __init__(self) -> None:
        self.scopes: List[str] = []
        self.training: Optional[bool] = None
        self.depth = 0
        self.call_id = 0
        self.inferring = False
        self.building = False


state = _CallState()


@contextlib.contextmanager
def cleared_name_scope() -> Iterator[None]:
    """Layers built inside start from the top-level name scope (as tf.init_scope does)."""
    saved = state.scopes
    state.scopes = []
    try:
        yield
    finally:
        state.scopes = saved


@contextlib.contextmanager
def building() -> Iterator[None]:
    """Weights created inside are real even during meta-tensor shape inference."""
    saved = state.building
    state.building = True
    try:
        yield
    finally:
        state.building = saved
