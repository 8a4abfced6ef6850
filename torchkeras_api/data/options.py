"""`tf.data.Options`: settings attached to a dataset with `with_options`. They are recorded, not acted on: the
pipeline has no graph optimizations, autotuning or sharding to configure."""
import enum
from typing import Any


class AutoShardPolicy(enum.IntEnum):
    """How a distributed dataset would be split across workers."""
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class _Settings:
    """A fixed set of named settings; setting any other name is an AttributeError, as in tf.data."""

    _defaults: dict = {}

    def __init__(self) -> None:
        for name, default in self._defaults.items():
            object.__setattr__(self, name, default() if callable(default) else default)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._defaults:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def merge(self, other: "_Settings") -> "_Settings":
        """These settings overridden by those `other` sets (to other than None)."""
        merged = type(self)()
        for name, value in vars(self).items():
            theirs = getattr(other, name)
            if isinstance(value, _Settings):
                theirs = value.merge(theirs)
            object.__setattr__(merged, name, value if theirs is None else theirs)
        return merged


class AutotuneOptions(_Settings):
    _defaults = {"enabled": None, "cpu_budget": None, "ram_budget": None, "autotune_algorithm": None,
                 "initial_parallelism": None, "min_parallelism": None}


class DistributeOptions(_Settings):
    _defaults = {"auto_shard_policy": AutoShardPolicy.AUTO, "num_devices": None}


class OptimizationOptions(_Settings):
    _defaults = {name: None for name in (
        "apply_default_optimizations", "filter_fusion", "filter_parallelization", "inject_prefetch",
        "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion", "map_parallelization", "noop_elimination",
        "parallel_batch", "seq_interleave_prefetch", "shuffle_and_repeat_fusion", "warm_start")}


class ThreadingOptions(_Settings):
    _defaults = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


class Options(_Settings):
    """The options of a dataset (`tf.data.Options`)."""

    _defaults = {
        "autotune": AutotuneOptions, "dataset_name": None, "deterministic": None,
        "experimental_deterministic": None, "experimental_distribute": DistributeOptions,
        "experimental_external_state_policy": None, "experimental_optimization": OptimizationOptions,
        "experimental_slack": None, "experimental_symbolic_checkpoint": None, "experimental_warm_start": None,
        "framework_type": None, "threading": ThreadingOptions, "experimental_threading": None}
