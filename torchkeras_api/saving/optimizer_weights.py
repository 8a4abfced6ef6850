"""Optimizer state <-> the `optimizer_weights` group of tf.keras's whole-model HDF5 files.

tf-keras 2.21 writes `optimizer.variables` in order: `iteration:0` (int64), then each trainable weight's
slots, e.g. `Adam/m/dense/kernel:0`, `Adam/v/dense/kernel:0`, `Adam/m/dense/bias:0`, ...; the attribute
`weight_names` lists them and each is a dataset at that path (`Adam/m/dense/kernel:0`).

Files of TF 2.0-2.10 (the "legacy" optimizers) hold `Adam/iter:0`, then all weights' first slot, then all
weights' second slot, named `Adam/dense/kernel/m:0`. Both are read: matched by name (legacy slot names
translated), else by position when counts and shapes agree (what tf.keras does).
"""
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from torchkeras_api.saving.hdf5_weights import load_attributes_from_hdf5_group, save_attributes_to_hdf5_group

_logger = logging.getLogger(__name__)

GROUP = "optimizer_weights"
FRESH_OPTIMIZER_WARNING = ("Error in loading the saved optimizer state. As a result, your model is starting with a "
                           "freshly initialized optimizer.")
# Our slot name -> the slot names legacy (TF <= 2.10) optimizers gave the same state.
_LEGACY_SLOT_NAMES: Dict[str, Tuple[str, ...]] = {
    "m": ("m", "momentum"), "v": ("v",), "vhat": ("vhat",), "u": ("v",), "velocity": ("rms",),
    "momentum": ("momentum",), "average_gradient": ("mg",), "accumulator": ("accumulator",),
    "accumulated_grad": ("accum_grad",), "accumulated_delta_var": ("accum_var",), "linear": ("linear",),
}


def _strip_suffix(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def save_optimizer_weights_to_hdf5_group(group: Any, optimizer: Any) -> None:
    """Writes `optimizer.variables` into `group['optimizer_weights']` (tf.keras's names and order)."""
    variables = list(optimizer.variables)
    if not variables:
        return
    weights_group = group.create_group(GROUP)
    names = [str(var.name) for var in variables]
    save_attributes_to_hdf5_group(weights_group, "weight_names", names)
    for name, var in zip(names, variables):
        weights_group.create_dataset(name, data=np.asarray(var.numpy()))


def load_optimizer_weights_from_hdf5_group(group: Any) -> List[Tuple[str, np.ndarray]]:
    """(name, value) of every saved optimizer weight, in the saved order."""
    weights_group = group[GROUP]
    names = load_attributes_from_hdf5_group(weights_group, "weight_names")
    return [(name, np.asarray(weights_group[name][()])) for name in names]


def _by_name(variables: Sequence[Any], saved: Dict[str, np.ndarray]) -> Optional[List[np.ndarray]]:
    """Saved values for `variables` matched by their names (new or legacy naming), or None."""
    prefixes = {name.split("/", 1)[0] for name in saved if "/" in name}
    values = []
    for var in variables:
        name = str(var.name)
        if name in saved:
            values.append(saved[name])
            continue
        found = None
        base = _strip_suffix(name)
        if base.endswith("iteration") or base == "iter":
            candidates = [f"{prefix}/iter:0" for prefix in prefixes] + ["iter:0", "iteration:0"]
        else:
            parts = base.split("/", 2)
            if len(parts) < 3:
                return None
            _, slot, weight = parts
            candidates = [f"{prefix}/{weight}/{legacy}:0" for prefix in prefixes
                          for legacy in _LEGACY_SLOT_NAMES.get(slot, (slot,))]
            candidates += [f"{prefix}/{slot}/{weight}:0" for prefix in prefixes]
        for candidate in candidates:
            if candidate in saved:
                found = saved[candidate]
                break
        if found is None:
            return None
        values.append(found)
    return values


def _fits(variables: Sequence[Any], values: Sequence[np.ndarray]) -> bool:
    return len(variables) == len(values) and all(
        tuple(var.numpy().shape) == tuple(np.shape(value)) for var, value in zip(variables, values))


def restore_optimizer_state(model: Any, saved: List[Tuple[str, np.ndarray]]) -> bool:
    """Builds the optimizer's slots for the model's trainable weights and sets them (and `iterations`) from
    `saved`. On a mismatch, logs tf.keras's warning and leaves the optimizer fresh; returns whether it loaded."""
    optimizer = model.optimizer
    if len(saved) == 1 and _strip_suffix(saved[0][0]).split("/")[-1] in ("iteration", "iter"):
        optimizer.iterations.assign(saved[0][1])
        return True
    trainable = [var for var in model.trainable_variables if var.requires_grad]
    try:
        optimizer.build(trainable)
    except (NotImplementedError, AttributeError):
        _logger.warning("Error when creating the weights of optimizer {}, making it impossible to restore the saved "
                        "optimizer state. As a result, your model is starting with a freshly initialized optimizer.")
        return False
    variables = list(optimizer.variables)
    values = _by_name(variables, dict(saved))
    if values is None or not _fits(variables, values):
        values = [value for _, value in saved]
    if not _fits(variables, values):
        _logger.warning(FRESH_OPTIMIZER_WARNING)
        return False
    for var, value in zip(variables, values):
        var.assign(np.asarray(value).astype(var.numpy().dtype, copy=False))
    return True
