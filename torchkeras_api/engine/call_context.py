"""Per-thread state of the layer call in progress: name scopes, training flag, shape inference."""
import contextlib
import threading
from typing import Any, Iterator, List, Optional

# The call id of a compiled step's outermost call, below every eager one, and that of losses before it.
_FIXED_CALL = -2
_BEFORE_FIXED_CALL = -1


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


@contextlib.contextmanager
def fixed_call_ids(layers: List[Any]) -> Iterator[None]:
    """Inside, the outermost layer call gets the same id every time and the earlier losses of `layers`
    are dropped, so a compiled step sees identical call bookkeeping at every step; outside, ids go on
    increasing past it."""
    saved = state.call_id
    for layer in layers:
        layer._loss_call_id = _BEFORE_FIXED_CALL
        if layer._losses:
            layer._losses = []
    state.call_id = _FIXED_CALL - 1
    try:
        yield
    finally:
        state.call_id = saved + 1
