"""tf.keras.mixed_precision.Policy and the global policy: the variable and compute dtypes of layers."""
from typing import Any, Dict, Optional, Tuple

import numpy as np

from torchkeras_api import backend_config

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_global_policy: Optional["Policy"] = None


def _dtype_name(name: str) -> Optional[str]:
    """The canonical dtype name, or None when `name` is not one."""
    if name in ("bfloat16", "string", "bool"):
        return name
    try:
        return np.dtype(name).name
    except TypeError:
        return None


class Policy:
    """A dtype policy: `variable_dtype` for the weights, `compute_dtype` for the layer's computations.

    'mixed_float16' and 'mixed_bfloat16' keep float32 weights and compute in float16 / bfloat16; any dtype
    name ('float32', 'float64', ...) uses that dtype for both.
    """

    _keras_module = "keras.mixed_precision"

    def __init__(self, name: str):
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, but got: {name!r}")
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse(name)

    @staticmethod
    def _parse(name: str) -> Tuple[Optional[str], Optional[str]]:
        if name in _MIXED:
            return _MIXED[name], "float32"
        if name == "_infer":
            return None, None
        dtype = _dtype_name(name)
        if dtype != name:
            raise ValueError(f"Cannot convert value {name} to a mixed precision Policy. Valid policies include "
                             "'mixed_float16', 'mixed_bfloat16', and the name of any dtype such as 'float32'.")
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> Optional[str]:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> Optional[str]:
        return self._variable_dtype

    @property
    def is_mixed(self) -> bool:
        """Whether the weights and the computations have different dtypes."""
        return self._compute_dtype != self._variable_dtype

    def __repr__(self) -> str:
        return f'<Policy "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Policy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[dict] = None) -> "Policy":
        return cls(**{k: v for k, v in config.items() if k != "loss_scale"})


def global_policy() -> Policy:
    """The policy of layers built without a `dtype`: the one set by `set_global_policy`, else floatx's."""
    return _global_policy if _global_policy is not None else Policy(backend_config.floatx())


def set_global_policy(policy: Any) -> None:
    """Sets the global policy from a Policy, a policy name, or None (back to floatx)."""
    global _global_policy
    if policy is not None and not isinstance(policy, Policy):
        policy = Policy(str(policy) if not isinstance(policy, str) else policy)
    if policy is not None and not (policy.compute_dtype or "").startswith(("float", "bfloat")):
        raise ValueError("set_global_policy can only be used to set the global policy to floating-point policies, "
                         f'such as "float32" and "mixed_float16", but got policy: {policy.name}')
    _global_policy = policy


def global_policy_is_mixed() -> bool:
    return _global_policy is not None and _global_policy.is_mixed


def get(dtype: Any) -> Optional[Policy]:
    """A layer's policy from its `dtype` argument: None (the global policy), a Policy, a policy name, a
    serialized Policy dict, or a dtype (numpy, torch, tf-like `.name`); None when `dtype` names no policy."""
    if dtype is None:
        return global_policy()
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, dict) and dtype.get("class_name") in ("Policy", "DTypePolicy"):
        return Policy.from_config(dtype["config"])
    if isinstance(dtype, str) and dtype in _MIXED:
        return Policy(dtype)
    return None


def serialize(policy: Policy) -> Any:
    """A layer config's 'dtype': the dtype name for plain policies, the Policy's config dict for mixed ones."""
    if not policy.is_mixed and policy.name == policy.variable_dtype:
        return policy.name
    return {"module": Policy._keras_module, "class_name": "Policy", "config": policy.get_config(),
            "registered_name": None}
