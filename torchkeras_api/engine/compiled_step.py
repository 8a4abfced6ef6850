"""The train, test and predict steps of `compile(jit_compile=True)` as compiled units.

A step is compiled for the batch signature (shapes, dtypes, devices) of the batches after the first one,
which runs eagerly and builds the layers, metrics and optimizer state. Batches of another signature (the
last partial batch) run eagerly. The forward pass, losses and metric updates form one `torch.compile`d graph
with its compiled backward, and the optimizer update a second one (on the CPU, an optimizer with a fused
kernel runs that kernel instead, which is faster); on CUDA the whole step is then captured in a CUDA graph
(see `cuda_graph_step`). A step that cannot be compiled
runs eagerly from then on, after a one-time warning naming the reason.
"""
import logging
import warnings
from typing import Any, Callable, Dict, List, Optional

import torch

from torchkeras_api.engine import call_context
from torchkeras_api.engine.data_adapter import unpack_x_y_sample_weight
from torchkeras_api.utils import nest

_logger = logging.getLogger(__name__)

_COMPILE_ERRORS = (torch._dynamo.exc.TorchDynamoException,)


def signature(data: Any) -> tuple:
    """The shapes, dtypes and devices of the tensors of a batch (None for non-tensor entries)."""
    return tuple((tuple(t.shape), t.dtype, t.device) if isinstance(t, torch.Tensor) else None
                 for t in nest.flatten(data))


def graph_compile(fn: Callable, model: Any) -> Callable:
    """`fn` (a function of `model`'s step) under `torch.compile` as one static-shape graph (a graph break
    is an error), called with the same layer call ids at every step."""
    compiled = torch.compile(fn, fullgraph=True, dynamic=False)
    layers = [model] + model._flatten_layers()

    def run(*args: Any) -> Any:
        with call_context.fixed_call_ids(layers):
            return compiled(*args)

    return run


def eager_reason(model: Any, step: str) -> Optional[str]:
    """Why `model`'s `step` ('train_step', 'test_step', 'predict_step') must run eagerly, or None."""
    from torchkeras_api.engine.trainer import Trainer
    if getattr(type(model), step) is not getattr(Trainer, step):
        return f"`{step}` is overridden"
    if model._keras_replicas is not None or model._keras_backward is not None:
        return "a distribution strategy or loss scaling drives the step"
    return None


class _Fallback:
    """Runs `compiled` and, on a compilation error (any error of its first run, which compiles), warns once
    and runs `eager` from then on; an error that is the step's own then surfaces from the eager run."""

    def __init__(self, compiled: Callable, eager: Callable, what: str):
        self._compiled = compiled
        self._eager = eager
        self._what = what
        self._proven = False
        self.failed = False

    def __call__(self, *args: Any) -> Any:
        if self.failed:
            return self._eager(*args)
        try:
            result = self._compiled(*args)
            self._proven = True
            return result
        except Exception as error:
            if self._proven and not isinstance(error, _COMPILE_ERRORS):
                raise
            cause = error.__cause__ or error
            reason = f"{type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0]}"
            warnings.warn(f"jit_compile: {self._what} cannot be compiled ({reason}); it runs eagerly.",
                          stacklevel=2)
            self.failed = True
            return self._eager(*args)


class _StaticStep:
    """The shared skeleton: eager first batch and odd-shaped batches, the compiled step otherwise."""

    def __init__(self, model: Any, eager_step: Callable[[Any], Any]):
        self.model = model
        self.eager_step = eager_step
        self._signature: Optional[tuple] = None
        self._compiled: Optional[Callable[[Any], Any]] = None

    def __call__(self, data: Any) -> Any:
        if self._signature is None:
            result = self.eager_step(data)
            self._signature = signature(data)
            self._compiled = self.build(data)
            return result
        if signature(data) != self._signature:
            return self.eager_step(data)
        return self._compiled(data)

    def build(self, data: Any) -> Callable[[Any], Any]:
        """The compiled step for batches like `data`."""
        raise NotImplementedError


class TrainStep(_StaticStep):
    """`model.train_step` as a compiled forward/loss/metrics graph, its backward and a compiled update."""

    def build(self, data: Any) -> Callable[[Any], Any]:
        model = self.model
        variables = model._trainable_cache()
        params = [var for var in variables if var.grad is not None]
        update = model.optimizer.prepare_compiled_update(params)

        def forward_loss(x: Any, y: Any, sample_weight: Any) -> torch.Tensor:
            y_pred = model._forward(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sample_weight)
            model.compiled_metrics.update_state(y, y_pred, sample_weight)
            return loss

        def eager_update(grads: List[torch.Tensor]) -> None:
            model.optimizer.step(variables)

        compiled_loss = _Fallback(graph_compile(forward_loss, model), forward_loss, "the forward pass and loss")
        on_cuda = bool(params) and params[0].is_cuda
        compiled_update = _Fallback(graph_compile(update, model), eager_update, "the optimizer update") \
            if on_cuda or not model.optimizer.has_fused_kernel(params) else None

        def step(data: Any) -> Dict[str, Any]:
            if compiled_loss.failed:
                return model.train_step(data)
            x, y, sample_weight = unpack_x_y_sample_weight(data)
            loss = compiled_loss(x, y, sample_weight)
            for var in variables:
                var.grad = None
            loss.backward()
            grads = [var.grad for var in params]
            if compiled_update is None or any(grad is None for grad in grads) or \
                    len(params) != sum(v.grad is not None for v in variables):
                model.optimizer.step(variables)
            else:
                compiled_update(grads)
                model.optimizer.host_step_stale()
            return {} if model.__dict__.get("_skip_step_logs") else model._metric_results()

        if on_cuda:
            from torchkeras_api.engine.cuda_graph_step import capture_train_step
            captured = capture_train_step(model, step, data,
                                          lambda: not (compiled_loss.failed or compiled_update.failed))
            return captured or step
        return step


class TestStep(_StaticStep):
    """`model.test_step` (forward, loss trackers, metrics) as one compiled graph."""

    def build(self, data: Any) -> Callable[[Any], Any]:
        model = self.model

        def evaluate(x: Any, y: Any, sample_weight: Any) -> None:
            y_pred = model._forward(x, training=False)
            if model.compiled_loss is not None or model.losses:
                model.compute_loss(x, y, y_pred, sample_weight)
            model.compiled_metrics.update_state(y, y_pred, sample_weight)

        compiled = _Fallback(graph_compile(evaluate, model), evaluate, "the test step")

        def step(data: Any) -> Dict[str, Any]:
            compiled(*unpack_x_y_sample_weight(data))
            return {} if model.__dict__.get("_skip_step_logs") else model._metric_results()

        return step


class PredictStep(_StaticStep):
    """`model.predict_step` (the forward pass in inference mode) as one compiled graph."""

    def build(self, data: Any) -> Callable[[Any], Any]:
        model = self.model

        def forward(x: Any) -> Any:
            return model._forward(x, training=False)

        compiled = _Fallback(graph_compile(forward, model), forward, "the predict step")
        return lambda data: compiled(unpack_x_y_sample_weight(data)[0])


def make_step(model: Any, kind: str) -> Callable[[Any], Any]:
    """The step function `kind` ('train', 'test', 'predict') of a compiled model: with `jit_compile=True` the
    compiled step, or the eager one (logging why) when the model's step cannot be compiled; else the eager step,
    logging that choice when it was the default's."""
    eager = getattr(model, f"{kind}_step")
    if not model.jit_compile or model.run_eagerly:
        if model.jit_compile is None and not model.run_eagerly:
            _logger.info("jit_compile=None: the %s step of %s runs eagerly, the fastest mode measured on the CPU "
                         "for convolutional and recurrent models (and compiling costs seconds); pass "
                         "`jit_compile=True` to compile it.", kind, model.name)
        return eager
    reason = eager_reason(model, f"{kind}_step")
    if reason is not None:
        _logger.info("jit_compile: the %s step of %s runs eagerly: %s.", kind, model.name, reason)
        return eager
    return {"train": TrainStep, "test": TestStep, "predict": PredictStep}[kind](model, eager)
