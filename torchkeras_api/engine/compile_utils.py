"""The losses and metrics given to `compile`, mapped onto the model's outputs as tf.keras maps them."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from torchkeras_api.utils import nest


def _map_to_outputs(spec: Any, output_names: Sequence[str], what: str) -> List[Any]:
    """One entry per output from a single value, a list (by position) or a dict (by output name)."""
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"Found unexpected {what} key(s) {unknown}. Valid output names are {list(output_names)}.")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what != "metrics":
        if len(spec) != count:
            raise ValueError(f"When passing a list as `{what}`, it should have one entry per model output. The "
                             f"model has {count} output(s), but you passed {what}={spec}")
        return list(spec)
    if what == "metrics" and isinstance(spec, (list, tuple)) and count > 1 and any(
            isinstance(s, (list, tuple, dict)) for s in spec):
        if len(spec) != count:
            raise ValueError(f"When passing a list of lists as `metrics`, it should have one entry per model output. "
                             f"The model has {count} output(s), but you passed metrics={spec}")
        return list(spec)
    return [spec] * count


def match_dtype_and_rank(y_true: Any, y_pred: torch.Tensor, sample_weight: Any) -> tuple:
    """Targets (N,) against predictions (N, 1) gain the trailing axis (and so do 1-D sample weights); targets
    take the predictions' dtype when both are floating or both integer, as tf.keras does before losses/metrics."""
    if y_true is not None and y_true.ndim == 1 and y_pred.ndim == 2:
        y_true = y_true.unsqueeze(-1)
    if sample_weight is not None and sample_weight.ndim == 1 and y_pred.ndim == 2:
        sample_weight = sample_weight.unsqueeze(-1)
    if y_true is not None and y_true.dtype != y_pred.dtype and \
            y_true.is_floating_point() == y_pred.is_floating_point() and y_true.dtype != torch.bool:
        y_true = y_true.to(y_pred.dtype)
    return y_true, sample_weight


def _mask_of(y_pred: torch.Tensor) -> Optional[torch.Tensor]:
    return getattr(y_pred, "_keras_mask", None)


def _apply_mask(y_pred: torch.Tensor, sample_weight: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """Multiplies the output mask into the sample weights (the mask alone when there are none)."""
    mask = _mask_of(y_pred)
    if mask is None:
        return sample_weight
    mask = mask.to(y_pred.dtype)
    if sample_weight is None:
        return mask
    sample_weight = sample_weight.to(mask.dtype)
    while sample_weight.ndim < mask.ndim:
        sample_weight = sample_weight.unsqueeze(-1)
    while sample_weight.ndim > mask.ndim and sample_weight.shape[-1] == 1:
        sample_weight = sample_weight.squeeze(-1)
    return sample_weight * mask


def _entries(structure: Any, names: List[str], what: str) -> List[Any]:
    """One entry per output: from None, a dict by output name, or a list/tuple with one per output."""
    if structure is None:
        return [None] * len(names)
    if isinstance(structure, dict):
        return [structure.get(name) for name in names]
    if isinstance(structure, (list, tuple)):
        if len(structure) != len(names):
            raise ValueError(f"The model has {len(names)} output(s), but the {what} have {len(structure)} "
                             f"entries: expected one per output {names}.")
        return list(structure)
    return [structure]


def per_output(y: Any, sample_weight: Any, names: List[str]) -> Tuple[List[Any], List[Any]]:
    """Targets and sample weights as lists with one entry per output."""
    if len(names) == 1 and not isinstance(y, (dict, list, tuple)) and \
            not isinstance(sample_weight, (dict, list, tuple)):
        return [y], [sample_weight]
    return _entries(y, names, "targets"), _entries(sample_weight, names, "sample weights")


def flat_predictions(y_pred: Any) -> List[Any]:
    """The model's outputs as a flat list."""
    return [y_pred] if isinstance(y_pred, torch.Tensor) else nest.flatten(y_pred)


class LossesContainer:
    """Computes the weighted total loss of all outputs plus the regularization losses, and tracks `loss` and
    `<output>_loss` means. Without any loss (`compile(loss=None)`), the total is the regularization and
    `add_loss` terms alone, and `loss` is the plain mean over batches (as in tf.keras)."""

    def __init__(self, losses: Any, loss_weights: Any, output_names: Sequence[str]):
        from torchkeras_api import losses as losses_module
        from torchkeras_api import metrics as metrics_module
        self._output_names = list(output_names)
        specs = _map_to_outputs(losses, output_names, "loss")
        weights = _map_to_outputs(loss_weights, output_names, "loss_weights") if loss_weights is not None \
            else [1.0] * len(output_names)
        self._losses = [None if spec is None else _as_loss(losses_module.get(spec)) for spec in specs]
        self._weights = [1.0 if w is None else w for w in weights]
        self.loss_metric = metrics_module.Mean(name="loss")
        multi = len(output_names) > 1
        self.output_metrics = [metrics_module.Mean(name=f"{name}_loss") if multi and loss is not None else None
                               for name, loss in zip(output_names, self._losses)]

    @property
    def metrics(self) -> List[Any]:
        return [self.loss_metric] + [m for m in self.output_metrics if m is not None]

    def loss_functions(self) -> List[Any]:
        return self._losses

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 regularization_losses: Optional[Sequence[torch.Tensor]] = None) -> torch.Tensor:
        """The total loss of a batch: targets, predictions and sample weights as the model's outputs are
        structured (one of each for one output; lists, or dicts by output name, for several)."""
        y_true, sample_weight = per_output(y_true, sample_weight, self._output_names)
        y_pred = flat_predictions(y_pred)
        total = None
        batch = None
        for loss, weight, yt, yp, sw, tracker in zip(self._losses, self._weights, y_true, y_pred, sample_weight,
                                                     self.output_metrics):
            if loss is None or yt is None:
                continue
            yt, sw = match_dtype_and_rank(yt, yp, sw)
            value = loss(yt, yp, sample_weight=_apply_mask(yp, sw))
            batch = yp.shape[0]
            if tracker is not None:
                tracker.update_state(value, sample_weight=batch)
            weighted = value * weight if weight != 1.0 else value
            total = weighted if total is None else total + weighted
        if regularization_losses:
            extra = torch.stack([r.reshape(()) for r in regularization_losses]).sum()
            total = extra if total is None else total + extra.to(total.dtype)
        if total is None:
            if all(loss is None for loss in self._losses):
                raise ValueError("No loss found. You may have forgotten to provide a `loss` argument in the "
                                 "`compile()` method.")
            raise ValueError("No target (`y`) was given for any output that has a loss.")
        self.loss_metric.update_state(total, sample_weight=batch)
        return total

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()


def _as_loss(obj: Any) -> Any:
    """Loss functions are wrapped in LossFunctionWrapper (reduction 'auto'), as tf.keras does."""
    from torchkeras_api import losses as losses_module
    if isinstance(obj, losses_module.Loss):
        return obj
    if not callable(obj):
        raise ValueError(f"Could not interpret loss identifier: {obj!r}")
    return losses_module.LossFunctionWrapper(obj, name=getattr(obj, "__name__", "loss"))


class MetricsContainer:
    """The compiled metrics (and weighted metrics) of each output, built on the first batch."""

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Sequence[str], loss_functions: List[Any]):
        self._output_names = list(output_names)
        self._specs = _map_to_outputs(metrics or [], output_names, "metrics")
        self._weighted_specs = _map_to_outputs(weighted_metrics or [], output_names, "metrics")
        self._loss_functions = loss_functions
        self._built = False
        self._per_output: List[List[Any]] = []
        self._weighted_per_output: List[List[Any]] = []

    @property
    def metrics(self) -> List[Any]:
        if not self._built:
            return []
        return [m for ms, wms in zip(self._per_output, self._weighted_per_output) for m in ms + wms]

    def _build(self, y_true: List[Any], y_pred: List[Any]) -> None:
        multi = len(self._output_names) > 1
        names_taken: Dict[str, int] = {}

        def resolve(specs: Any, index: int, weighted: bool) -> List[Any]:
            out = []
            for spec in nest.flatten(specs) if specs is not None else []:
                metric = _metric_object(spec, y_true[index], y_pred[index], self._loss_functions[index])
                base = metric.name
                if weighted and base in names_taken:
                    base = "weighted_" + base
                name = f"{self._output_names[index]}_{base}" if multi else base
                if name in names_taken:
                    names_taken[name] += 1
                    name = f"{name}_{names_taken[name]}"
                else:
                    names_taken[name] = 0
                metric._name = name
                out.append(metric)
            return out

        self._per_output = [resolve(self._specs[i], i, False) for i in range(len(self._output_names))]
        self._weighted_per_output = [resolve(self._weighted_specs[i], i, True)
                                     for i in range(len(self._output_names))]
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Updates every output's metrics; arguments structured as for `LossesContainer`."""
        y_true, sample_weight = per_output(y_true, sample_weight, self._output_names)
        y_pred = flat_predictions(y_pred)
        if not self._built:
            self._build(y_true, y_pred)
        for metrics, weighted, yt, yp, sw in zip(self._per_output, self._weighted_per_output, y_true, y_pred,
                                                 sample_weight):
            if yt is None:
                continue
            yt, sw = match_dtype_and_rank(yt, yp, sw)
            mask = _mask_of(yp)
            for metric in metrics:
                metric.update_state(yt, yp, sample_weight=None if mask is None else mask.to(yp.dtype))
            for metric in weighted:
                metric.update_state(yt, yp, sample_weight=_apply_mask(yp, sw))

    def reset_state(self) -> None:
        for metric in self.metrics:
            metric.reset_state()


def _metric_object(spec: Any, y_true: Any, y_pred: Any, loss_fn: Any) -> Any:
    """A Metric for a compile() metric spec: 'accuracy'/'acc'/'crossentropy'/'ce' are resolved from the
    shapes of y_true/y_pred and the loss, as tf.keras resolves them."""
    from torchkeras_api import losses as losses_module
    from torchkeras_api import metrics as metrics_module
    if isinstance(spec, metrics_module.Metric):
        return spec
    name = spec if isinstance(spec, str) else getattr(spec, "__name__", None)
    if spec in ("accuracy", "acc", "crossentropy", "ce"):
        fn = getattr(loss_fn, "fn", loss_fn)
        last_dim = y_pred.shape[-1] if y_pred.ndim else 1
        is_binary = last_dim == 1 or fn is losses_module.binary_crossentropy
        is_sparse = (y_true is not None and (y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and last_dim > 1))) \
            or fn is losses_module.sparse_categorical_crossentropy
        kind = "binary" if is_binary else "sparse_categorical" if is_sparse else "categorical"
        suffix = "accuracy" if spec in ("accuracy", "acc") else "crossentropy"
        fn = getattr(metrics_module, f"{kind}_{suffix}")
        return metrics_module.MeanMetricWrapper(fn, name=spec)
    obj = metrics_module.get(spec)
    if isinstance(obj, metrics_module.Metric):
        return obj
    return metrics_module.MeanMetricWrapper(obj, name=name or "metric")
