"""tf.nn: activations, cross-entropies with logits, moments, dropout, normalization helpers."""
from typing import Any, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api.tf import math_ops
from torchkeras_api.tf._support import axis_arg, module_getattr, tensor, tf_op

l2_normalize = math_ops.l2_normalize
top_k = math_ops.top_k
in_top_k = math_ops.in_top_k
sigmoid = math_ops.sigmoid
tanh = math_ops.tanh
softplus = math_ops.softplus


def _activation(tf_name: str, fn: Any, doc: str) -> Any:
    def op(features: Any, name: Optional[str] = None) -> torch.Tensor:
        return fn(tensor(features))

    op.__name__ = op.__qualname__ = tf_name.rsplit(".", 1)[1]
    op.__doc__ = doc
    return tf_op(tf_name)(op)


relu = _activation("tf.nn.relu", F.relu, "max(features, 0).")
relu6 = _activation("tf.nn.relu6", F.relu6, "min(max(features, 0), 6).")
elu = _activation("tf.nn.elu", F.elu, "features if > 0 else exp(features) - 1.")
selu = _activation("tf.nn.selu", F.selu, "Scaled exponential linear unit.")
softsign = _activation("tf.nn.softsign", F.softsign, "features / (|features| + 1).")
silu = swish = _activation("tf.nn.silu", F.silu, "features * sigmoid(features).")


@tf_op("tf.nn.leaky_relu")
def leaky_relu(features: Any, alpha: float = 0.2, name: Optional[str] = None) -> torch.Tensor:
    """features if > 0 else alpha * features."""
    return F.leaky_relu(tensor(features), alpha)


@tf_op("tf.nn.gelu")
def gelu(features: Any, approximate: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """Gaussian error linear unit (tanh approximation when `approximate`)."""
    return F.gelu(tensor(features), approximate="tanh" if approximate else "none")


def _class_axis(axis: Any) -> int:
    return -1 if axis is None else axis_arg(axis)


@tf_op("tf.nn.softmax")
def softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """exp(logits) normalized over `axis` (the last by default)."""
    return torch.softmax(tensor(logits), dim=_class_axis(axis))


@tf_op("tf.nn.log_softmax")
def log_softmax(logits: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """logits - log(sum(exp(logits))) over `axis` (the last by default)."""
    return torch.log_softmax(tensor(logits), dim=_class_axis(axis))


def _labels_logits(labels: Any, logits: Any, fn_name: str) -> Tuple[torch.Tensor, torch.Tensor]:
    if labels is None or logits is None:
        raise ValueError(f"Both `labels` and `logits` must be provided to {fn_name}.")
    logits = tensor(logits)
    labels = tensor(labels).to(device=logits.device, dtype=logits.dtype)
    if labels.shape != logits.shape:
        raise ValueError(f"`logits` and `labels` must have the same shape, received ({tuple(logits.shape)} vs "
                         f"{tuple(labels.shape)}).")
    return labels, logits


@tf_op("tf.nn.sigmoid_cross_entropy_with_logits")
def sigmoid_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                      name: Optional[str] = None) -> torch.Tensor:
    """Element-wise binary cross-entropy of sigmoid(logits) against labels, computed stably."""
    labels, logits = _labels_logits(labels, logits, "sigmoid_cross_entropy_with_logits")
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="none")


@tf_op("tf.nn.weighted_cross_entropy_with_logits")
def weighted_cross_entropy_with_logits(labels: Any, logits: Any, pos_weight: Any,
                                       name: Optional[str] = None) -> torch.Tensor:
    """sigmoid_cross_entropy_with_logits with the positive term weighted by `pos_weight`."""
    labels, logits = _labels_logits(labels, logits, "weighted_cross_entropy_with_logits")
    weight = torch.as_tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    return F.binary_cross_entropy_with_logits(logits, labels, pos_weight=weight, reduction="none")


@tf_op("tf.nn.softmax_cross_entropy_with_logits")
def softmax_cross_entropy_with_logits(labels: Any, logits: Any, axis: int = -1,
                                      name: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy between label distributions and softmax(logits) over `axis`; no gradient to labels is cut."""
    labels, logits = _labels_logits(labels, logits, "softmax_cross_entropy_with_logits")
    return -torch.sum(labels * torch.log_softmax(logits, dim=axis), dim=axis)


@tf_op("tf.nn.sparse_softmax_cross_entropy_with_logits")
def sparse_softmax_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                             name: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy of integer class labels against softmax(logits) on the last axis."""
    if labels is None or logits is None:
        raise ValueError("Both `labels` and `logits` must be provided to sparse_softmax_cross_entropy_with_logits.")
    logits = tensor(logits)
    labels = tensor(labels).to(device=logits.device, dtype=torch.long)
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"`labels.shape` must equal `logits.shape` except for the last dimension. Received: "
                         f"labels.shape={tuple(labels.shape)} and logits.shape={tuple(logits.shape)}")
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    return loss.reshape(labels.shape)


@tf_op("tf.nn.l2_loss")
def l2_loss(t: Any, name: Optional[str] = None) -> torch.Tensor:
    """sum(t ** 2) / 2."""
    return torch.sum(torch.square(tensor(t))) / 2


def moments(x: Any, axes: Sequence[int], shift: Any = None, keepdims: bool = False,
            name: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(mean, population variance) of x over `axes`."""
    x = tensor(x)
    dims = tuple(axis_arg(axes))
    variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=keepdims)
    return mean, variance


@tf_op("tf.nn.batch_normalization")
def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any, variance_epsilon: float,
                        name: Optional[str] = None) -> torch.Tensor:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset (offset/scale None: 0/1)."""
    x = tensor(x)
    out = (x - tensor(mean)) * torch.rsqrt(tensor(variance) + variance_epsilon)
    if scale is not None:
        out = out * tensor(scale)
    return out + tensor(offset) if offset is not None else out


@tf_op("tf.nn.bias_add")
def bias_add(value: Any, bias: Any, data_format: Optional[str] = None, name: Optional[str] = None) -> torch.Tensor:
    """value + bias on the channels axis (last for 'N...C' formats, 1 for 'NC...')."""
    value, bias = tensor(value), tensor(bias)
    if data_format is not None and data_format.startswith("NC"):
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


@tf_op("tf.nn.dropout")
def dropout(x: Any, rate: float, noise_shape: Optional[Sequence[int]] = None, seed: Optional[int] = None,
            name: Optional[str] = None) -> torch.Tensor:
    """Entries zeroed with probability `rate`, the rest scaled by 1 / (1 - rate)."""
    x = tensor(x)
    if not 0 <= float(rate) < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
    shape = tuple(x.shape) if noise_shape is None else tuple(int(d) for d in noise_shape)
    generator = None
    if seed is not None:
        generator = torch.Generator(device=x.device)
        generator.manual_seed(int(seed))
    keep = torch.rand(shape, generator=generator, device=x.device) >= rate
    return x * keep / (1 - rate)


@tf_op("tf.nn.embedding_lookup")
def embedding_lookup(params: Any, ids: Any, max_norm: Optional[float] = None,
                     name: Optional[str] = None) -> torch.Tensor:
    """Rows of `params` at `ids`: shape ids.shape + params.shape[1:]."""
    params = tensor(params)
    return params[tensor(ids).to(device=params.device, dtype=torch.long)]


__getattr__ = module_getattr("tensorflow.nn")
