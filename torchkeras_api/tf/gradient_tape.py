"""tf.GradientTape on torch autograd.

Operations are recorded by torch autograd whenever an input requires grad (trainable Variables always do);
the tape decides which gradients to return. `watch(x)` turns on `requires_grad` of a constant for as long
as a tape watching it is open. Gradients of Variables come in the Variable's storage layout (`var.shape`),
which is what `optimizer.apply_gradients` takes.
"""
import contextlib
import enum
from typing import Any, Dict, Iterator, List, Optional

import torch

from torchkeras_api.utils import nest

_RECORDING: List["GradientTape"] = []
_SWITCHED_ON: Dict[int, int] = {}
"""id(tensor) -> how many open tapes watch a tensor whose requires_grad a tape switched on."""


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for sources the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _differentiable(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and (x.dtype.is_floating_point or x.dtype.is_complex)


class GradientTape:
    """Records operations for automatic differentiation (see module docstring)."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._watched: Dict[int, torch.Tensor] = {}
        self._switched: List[torch.Tensor] = []
        self._switched_off: List[torch.Tensor] = []
        self._recording = False
        self._used = False
        self._grad_mode = True

    def __enter__(self) -> "GradientTape":
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter an already-active tape.")
        self._grad_mode = torch.is_grad_enabled()
        torch.set_grad_enabled(True)
        self._recording = True
        _RECORDING.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._recording = False
        _RECORDING.remove(self)
        torch.set_grad_enabled(self._grad_mode)
        self._release()

    def _release(self) -> None:
        """Switches off requires_grad of watched constants no open tape watches any more."""
        for t in self._switched:
            _SWITCHED_ON[id(t)] -= 1
            if not _SWITCHED_ON[id(t)]:
                del _SWITCHED_ON[id(t)]
                t.requires_grad_(False)
                self._switched_off.append(t)
        self._switched = []

    def watch(self, tensor: Any) -> None:
        """Makes gradients with respect to `tensor` (a tensor or nested structure of them) available."""
        for t in nest.flatten(tensor):
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"Passed in object {t!r} of type '{type(t).__name__}', not tf.Tensor or "
                                 "tf.Variable or ExtensionType.")
            if not _differentiable(t):
                continue
            self._watched[id(t)] = t
            if self._recording and (not t.requires_grad or id(t) in _SWITCHED_ON):
                if not t.requires_grad:
                    t.requires_grad_(True)
                _SWITCHED_ON[id(t)] = _SWITCHED_ON.get(id(t), 0) + 1
                self._switched.append(t)

    def watched_variables(self) -> List[torch.Tensor]:
        """The tensors watched explicitly."""
        return list(self._watched.values())

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Operations inside are not recorded."""
        with torch.no_grad():
            yield

    def reset(self) -> None:
        """Forgets the watched tensors."""
        self._release()
        self._watched = {}
        self._switched_off = []
        self._used = False

    def _wanted(self, source: Any) -> bool:
        if not _differentiable(source) or not source.requires_grad:
            return False
        return self._watch_accessed_variables or id(source) in self._watched

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = UnconnectedGradients.NONE) -> Any:
        """d(sum of target) / d(source) for each source, in the structure of `sources` (None: unconnected)."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians)")
        self._used = True
        zero = UnconnectedGradients(getattr(unconnected_gradients, "value", unconnected_gradients)) \
            == UnconnectedGradients.ZERO
        flat_sources = nest.flatten(sources)
        targets = nest.flatten(target)
        upstream = [None] * len(targets) if output_gradients is None else nest.flatten(output_gradients)
        found: Dict[int, Any] = {}
        with torch.enable_grad(), _switched_back_on(self._switched_off):
            pairs = [(t, g) for t, g in zip(targets, upstream) if _differentiable(t) and t.requires_grad]
            wanted = [s for s in flat_sources if self._wanted(s)]
            if pairs and wanted:
                grads = torch.autograd.grad(
                    [t for t, _ in pairs], wanted,
                    grad_outputs=[torch.ones_like(t) if g is None else torch.as_tensor(g, dtype=t.dtype,
                                                                                         device=t.device)
                                  for t, g in pairs],
                    retain_graph=True, create_graph=bool(_RECORDING), allow_unused=True)
                found = {id(s): g for s, g in zip(wanted, grads)}
        results = []
        for s in flat_sources:
            grad = found.get(id(s))
            if grad is None and zero and isinstance(s, torch.Tensor):
                grad = torch.zeros_like(s, requires_grad=False)
            results.append(grad)
        return nest.pack_sequence_as(sources, results)

    def jacobian(self, target: Any, sources: Any, unconnected_gradients: Any = UnconnectedGradients.NONE,
                 parallel_iterations: Optional[int] = None, experimental_use_pfor: bool = True) -> Any:
        """d target[i...] / d source[j...] for each source: shape target.shape + source.shape."""
        if self._used and not self._persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians)")
        self._used = True
        flat_sources = nest.flatten(sources)
        found: Dict[int, Any] = {}
        with torch.enable_grad(), _switched_back_on(self._switched_off):
            wanted = [s for s in flat_sources if self._wanted(s)]
            if _differentiable(target) and target.requires_grad and wanted and target.numel():
                basis = torch.eye(target.numel(), dtype=target.dtype, device=target.device)
                basis = basis.reshape((target.numel(),) + tuple(target.shape))
                grads = _batched_grad(target, wanted, basis)
                found = {id(s): None if g is None else g.reshape(tuple(target.shape) + tuple(s.shape))
                         for s, g in zip(wanted, grads)}
        zero = UnconnectedGradients(getattr(unconnected_gradients, "value", unconnected_gradients)) \
            == UnconnectedGradients.ZERO
        results = []
        for s in flat_sources:
            jac = found.get(id(s))
            if jac is None and zero and isinstance(s, torch.Tensor):
                jac = torch.zeros(tuple(target.shape) + tuple(s.shape), dtype=s.dtype, device=s.device)
            results.append(jac)
        return nest.pack_sequence_as(sources, results)

    def batch_jacobian(self, target: Any, source: Any, unconnected_gradients: Any = UnconnectedGradients.NONE,
                       parallel_iterations: Optional[int] = None, experimental_use_pfor: bool = True) -> Any:
        """d target[b, i...] / d source[b, j...] for each example b (examples independent of each other)."""
        full = self.jacobian(target, source, unconnected_gradients)
        if full is None:
            return None
        batch = target.shape[0]
        index = torch.arange(batch, device=full.device)
        moved = full.movedim(target.ndim, 1)
        return moved[index, index]


def _batched_grad(target: torch.Tensor, sources: List[torch.Tensor], basis: torch.Tensor) -> List[Any]:
    """Vector-Jacobian products of target for each row of `basis`, stacked (None where unconnected)."""
    create_graph = bool(_RECORDING)
    try:
        return list(torch.autograd.grad(target, sources, grad_outputs=basis, retain_graph=True,
                                        create_graph=create_graph, allow_unused=True, is_grads_batched=True))
    except RuntimeError:
        rows = [torch.autograd.grad(target, sources, grad_outputs=row, retain_graph=True,
                                    create_graph=create_graph, allow_unused=True) for row in basis]
        return [None if rows[0][i] is None else torch.stack([row[i] for row in rows]) for i in range(len(sources))]


@contextlib.contextmanager
def _switched_back_on(tensors: List[torch.Tensor]) -> Iterator[None]:
    """Temporarily turns requires_grad back on for watched constants of a tape that was closed."""
    off = [t for t in tensors if not t.requires_grad]
    for t in off:
        t.requires_grad_(True)
    try:
        yield
    finally:
        for t in off:
            t.requires_grad_(False)
