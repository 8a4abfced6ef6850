"""keras.utils.multi_gpu_model (TF 2.0-2.3): data-parallel training of a model over several GPUs."""
from typing import Any, List, Optional, Sequence, Union

import torch

from torchkeras_api.engine.device import gpu_count


def _gpu_ids(gpus: Optional[Union[int, Sequence[int]]]) -> List[int]:
    available = gpu_count()
    if gpus is None:
        gpus = available
    ids = list(range(gpus)) if isinstance(gpus, int) else [int(g) for g in gpus]
    if len(ids) <= 1:
        raise ValueError("For multi-gpu usage to be effective, call `multi_gpu_model` with `gpus >= 2`. "
                         f"Received: `gpus={gpus}`")
    missing = [i for i in ids if i >= available]
    if missing:
        have = ["/cpu:0"] + [f"/gpu:{i}" for i in range(available)]
        raise ValueError(f"To call `multi_gpu_model` with `gpus={gpus}`, we expect the following devices to be "
                         f"available: {['/cpu:0'] + [f'/gpu:{i}' for i in ids]}. However this machine only has: "
                         f"{have}. Try reducing `gpus`.")
    return ids


def multi_gpu_model(model: Any, gpus: Optional[Union[int, Sequence[int]]] = None, cpu_merge: bool = True,
                    cpu_relocation: bool = False) -> Any:
    """A model sharing `model`'s layers and weights whose `fit`/`evaluate`/`predict` split each batch over
    `gpus` (a count, a list of GPU ids, or None for all GPUs) and gather the outputs on the first GPU. The
    weights stay on the first GPU (`cpu_merge` and `cpu_relocation` are accepted); save `model`, the template."""
    from torchkeras_api.distribute.strategies import MirroredStrategy
    from torchkeras_api.engine.training import Model
    ids = _gpu_ids(gpus)
    parallel = Model(model.inputs, model.outputs, name=model.name) if getattr(model, "inputs", None) else model
    parallel.__dict__["_distribution_strategy"] = MirroredStrategy(
        devices=[torch.device("cuda", i) for i in ids])
    return parallel
