"""Metric, the stateful base of all metrics, and the reducing metrics Sum, Mean, MeanMetricWrapper, MeanTensor."""
import functools
import warnings
from typing import Any, Callable, Dict, Iterable, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.engine.base_layer import Layer, to_torch_dtype
from torchkeras_api.engine.variables import Variable
from torchkeras_api.metrics.metrics_utils import (as_tensor, divide_no_nan, squeeze_or_expand,
                                                  weights_broadcastable)

SUM = "sum"
SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
WEIGHTED_MEAN = "weighted_mean"


def _without_grad(method: Callable) -> Callable:
    """`method` run under torch.no_grad (metric state never joins the autograd graph)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not torch.is_grad_enabled():
            return method(*args, **kwargs)
        with torch.no_grad():
            return method(*args, **kwargs)

    wrapper._metric_no_grad = True
    return wrapper


def _reduce_trailing(values: torch.Tensor, rank: int, reduce: Callable) -> torch.Tensor:
    """`values` reduced over its axes from `rank` on (unchanged when it has no such axes)."""
    dims = tuple(range(rank, values.dim()))
    return reduce(values, dim=dims) if dims else values


class Metric(Layer):
    """Base class of metrics: state variables that `update_state` accumulates into and `result` reads.

    Calling a metric updates its state and returns the result. The state lives on the device of the
    inputs it was last updated with and is updated in place, without host synchronisation.
    """

    _keras_module = "keras.metrics"

    def __init__(self, name: Optional[str] = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self._state_dtype = to_torch_dtype(self.dtype)
        self.built = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_metric_no_grad", False):
            cls.update_state = _without_grad(update)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def __str__(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    @property
    def stateful(self) -> bool:
        return True

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulates the statistics of a batch."""
        raise NotImplementedError("Must be implemented in subclasses.")

    def result(self) -> torch.Tensor:
        """The metric value computed from the state."""
        raise NotImplementedError("Must be implemented in subclasses.")

    def reset_state(self) -> None:
        """Sets all state variables to zero."""
        if type(self).reset_states is not Metric.reset_states:
            warnings.warn(f"Metric {type(self).__name__} implements a `reset_states()` method; rename it to "
                          '`reset_state()` (without the final "s"). The name `reset_states()` has been '
                          "deprecated to improve API consistency.", stacklevel=2)
            self.reset_states()
            return
        variables = self.variables
        if variables:
            with torch.no_grad():
                torch._foreach_zero_(variables)

    def reset_states(self) -> None:
        """Alias of `reset_state`."""
        self.reset_state()

    def merge_state(self, metrics: Iterable["Metric"]) -> None:
        """Adds the state of other metrics of the same kind into this one."""
        own = self.weights
        for metric in metrics:
            other = metric.weights
            if len(own) != len(other):
                raise ValueError(f"Metric {metric} is not compatible with {self}")
            with torch.no_grad():
                torch._foreach_add_(own, [w.to(v.device) for v, w in zip(own, other)])

    def add_weight(self, name: Optional[str] = None, shape: Sequence[int] = (), aggregation: str = "sum",
                   synchronization: Any = None, initializer: Any = None, dtype: Any = None) -> Variable:
        """A non-trainable state variable named `<name>:0`, on the device of the other state."""
        var = super().add_weight(name=name, shape=shape, dtype=self.dtype if dtype is None else dtype,
                                 initializer=initializer, trainable=False)
        device = self._own_variables[0].device
        if var.device != device:
            var.data = var.data.to(device)
        return var

    def _weight_name(self, name: str) -> str:
        return f"{name}:0"

    def _place(self, *values: Any, dtype: Optional[torch.dtype] = None) -> tuple:
        """`values` (None stays None) as tensors beside the state, which first moves to the device of the
        tensors among them (an accelerator's over the CPU)."""
        device = None
        for value in values:
            if isinstance(value, torch.Tensor) and (device is None or device.type == "cpu"):
                device = value.device
        state = self._own_variables[0].device if self._own_variables else None
        if device is None:
            device = state if state is not None else self._device()
        elif state is not None and state != device:
            for var in self._own_variables:
                var.data = var.data.to(device)
        return tuple(None if v is None else as_tensor(v, dtype, device) for v in values)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class Reduce(Metric):
    """Reduces values into `total` (and `count`): 'sum', 'sum_over_batch_size' or 'weighted_mean'."""

    def __init__(self, reduction: str, name: Optional[str], dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total", initializer="zeros")
        if reduction in (SUM_OVER_BATCH_SIZE, WEIGHTED_MEAN):
            self.count = self.add_weight("count", initializer="zeros")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds the (weighted) values; weights of a lower rank than the values reduce them to that rank."""
        if (isinstance(values, torch.Tensor) and values.dim() == 0 and values.device == self.total.device
                and (sample_weight is None or isinstance(sample_weight, (int, float)))):
            weight = 1 if sample_weight is None else sample_weight
            self.total.add_(values.to(self._state_dtype), alpha=weight)
            if self.reduction != SUM:
                self.count.add_(weight if self.reduction == WEIGHTED_MEAN else 1)
            return
        values, sample_weight = self._place(values, sample_weight, dtype=self._state_dtype)
        if sample_weight is not None:
            values, _, sample_weight = squeeze_or_expand(values, sample_weight=sample_weight)
            if weights_broadcastable(sample_weight, values):
                sample_weight = sample_weight.expand(values.shape)
            else:
                reduce = torch.sum if self.reduction == SUM else torch.mean
                values = _reduce_trailing(values, sample_weight.dim(), reduce)
            values = values * sample_weight
        self.total.add_(values.sum())
        if self.reduction == SUM:
            return
        if self.reduction == SUM_OVER_BATCH_SIZE or sample_weight is None:
            self.count.add_(values.numel())
        else:
            self.count.add_(sample_weight.sum())

    def result(self) -> torch.Tensor:
        if self.reduction == SUM:
            return self.total.clone()
        return divide_no_nan(self.total, self.count)


class Sum(Reduce):
    """The (weighted) sum of the values."""

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(SUM, name=name, dtype=dtype)


class Mean(Reduce):
    """The (weighted) mean of the values."""

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(WEIGHTED_MEAN, name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The weighted mean of `fn(y_true, y_pred, **kwargs)` over all samples seen."""

    def __init__(self, fn: Callable, name: Optional[str] = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds `fn`'s values for a batch; a mask on them (`_keras_mask`) multiplies the weights."""
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight, dtype=self._state_dtype)
        y_pred, y_true, _ = squeeze_or_expand(y_pred, y_true)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = getattr(values, "_keras_mask", None)
        if mask is not None:
            mask = mask.to(self._state_dtype)
            if sample_weight is None:
                sample_weight = mask
            else:
                mask, _, sample_weight = squeeze_or_expand(mask, sample_weight=sample_weight)
                sample_weight = sample_weight * mask
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({k: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v
                       for k, v in self._fn_kwargs.items()})
        if type(self) is MeanMetricWrapper:
            config["fn"] = self._fn
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "MeanMetricWrapper":
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is MeanMetricWrapper:
            from torchkeras_api.metrics import get
            return cls(get(fn), **config)
        return cls(**config)


class MeanTensor(Metric):
    """The element-wise (weighted) mean of tensors of one shape."""

    def __init__(self, name: str = "mean_tensor", dtype: Any = None, shape: Optional[Sequence[int]] = None):
        super().__init__(name=name, dtype=dtype)
        self._shape: Optional[tuple] = None
        self.total: Optional[Variable] = None
        self.count: Optional[Variable] = None
        if shape is not None:
            self._build(shape)

    def _build(self, shape: Sequence[int]) -> None:
        self._shape = tuple(int(d) for d in shape)
        self.total = self.add_weight("total", shape=self._shape, initializer="zeros")
        self.count = self.add_weight("count", shape=self._shape, initializer="zeros")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Adds the (weighted) values element-wise."""
        if self._shape is None:
            self._build(np.shape(values))
        values, sample_weight = self._place(values, sample_weight, dtype=self._state_dtype)
        if tuple(values.shape) != self._shape:
            raise ValueError("MeanTensor input values must always have the same shape. Expected shape (set "
                             f"during the first call): {self._shape}. Got: {tuple(values.shape)}.")
        counts = torch.ones_like(values)
        if sample_weight is not None:
            values, _, sample_weight = squeeze_or_expand(values, sample_weight=sample_weight)
            if not weights_broadcastable(sample_weight, values):
                values = _reduce_trailing(values, sample_weight.dim(), torch.mean)
            counts = counts * sample_weight
            values = values * sample_weight
        self.total.add_(values)
        self.count.add_(counts)

    def result(self) -> torch.Tensor:
        if self._shape is None:
            raise ValueError("MeanTensor does not have any value yet. Please call the MeanTensor instance or "
                             "use `.update_state(value)` before retrieving the result.")
        return divide_no_nan(self.total, self.count)
