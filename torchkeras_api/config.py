"""tf.config: the devices torch sees (CPU and CUDA GPUs), visibility, memory growth and thread settings."""
import types
import warnings
from typing import Any, Dict, List, NamedTuple, Optional

import torch

from torchkeras_api.engine import device as _device

_memory_growth: Dict[str, bool] = {}
_logical_configurations: Dict[str, Any] = {}
_settings = {"soft_device_placement": True, "run_functions_eagerly": False, "inter_op_threads": 0,
             "intra_op_threads": 0, "tensor_float_32": True, "deterministic": False, "device_policy": None,
             "synchronous": True}


class PhysicalDevice(NamedTuple):
    """A device of the machine: `name` like '/physical_device:GPU:0' and `device_type` 'CPU' or 'GPU'."""
    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """A device as programs address it: `name` like '/device:GPU:0'."""
    name: str
    device_type: str


class LogicalDeviceConfiguration(NamedTuple):
    """A requested logical device; accepted, torch does not split devices."""
    memory_limit: Optional[int] = None
    experimental_priority: Optional[int] = None
    experimental_device_ordinal: Optional[int] = None


def _all_physical() -> List[PhysicalDevice]:
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return [PhysicalDevice("/physical_device:CPU:0", "CPU")] + [
        PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(gpus)]


def _check_type(device_type: Optional[str]) -> Optional[str]:
    return None if device_type is None else str(device_type).upper()


def list_physical_devices(device_type: Optional[str] = None) -> List[PhysicalDevice]:
    """The machine's devices, optionally of one type ('CPU', 'GPU')."""
    device_type = _check_type(device_type)
    return [d for d in _all_physical() if device_type is None or d.device_type == device_type]


def get_visible_devices(device_type: Optional[str] = None) -> List[PhysicalDevice]:
    """The physical devices the program may use (all GPUs unless hidden with `set_visible_devices`)."""
    device_type = _check_type(device_type)
    visible = [d for d in _all_physical() if not (d.device_type == "GPU" and _device.gpus_hidden())]
    return [d for d in visible if device_type is None or d.device_type == device_type]


def set_visible_devices(devices: Any, device_type: Optional[str] = None) -> None:
    """Restricts the devices used: `set_visible_devices([], 'GPU')` runs everything on the CPU. Only all or
    none of the GPUs can be chosen (use CUDA_VISIBLE_DEVICES to pick some)."""
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for device in devices:
        if not isinstance(device, PhysicalDevice):
            raise TypeError(f"`devices` must be PhysicalDevice objects from `list_physical_devices`. "
                            f"Received: {device!r}")
    device_type = _check_type(device_type)
    if device_type == "CPU" and not devices:
        raise ValueError("The CPU cannot be hidden: `devices` must hold the CPU when `device_type='CPU'`.")
    if device_type not in (None, "GPU"):
        return
    gpus = [d for d in devices if d.device_type == "GPU"]
    all_gpus = list_physical_devices("GPU")
    if gpus and len(gpus) != len(all_gpus):
        raise ValueError(f"torchkeras_api can make all GPUs or none of them visible; got {len(gpus)} of "
                         f"{len(all_gpus)}. Set CUDA_VISIBLE_DEVICES before starting Python to choose some.")
    _device.hide_gpus(not gpus)


def list_logical_devices(device_type: Optional[str] = None) -> List[LogicalDevice]:
    """The visible devices as logical devices ('/device:GPU:0', ...)."""
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in get_visible_devices(device_type)]


def set_logical_device_configuration(device: PhysicalDevice, logical_devices: Any) -> None:
    """Accepted for compatibility (torch does not split a device into logical devices)."""
    _logical_configurations[device.name] = logical_devices


def get_logical_device_configuration(device: PhysicalDevice) -> Any:
    return _logical_configurations.get(device.name)


def set_soft_device_placement(enabled: bool) -> None:
    """Accepted: ops always run where their tensors are."""
    _settings["soft_device_placement"] = bool(enabled)


def get_soft_device_placement() -> bool:
    return _settings["soft_device_placement"]


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Accepted: everything runs eagerly on torch."""
    _settings["run_functions_eagerly"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    return _settings["run_functions_eagerly"]


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


def _check_gpu(device: Any, what: str) -> PhysicalDevice:
    if not isinstance(device, PhysicalDevice):
        raise TypeError(f"`device` must be a PhysicalDevice from `list_physical_devices`. Received: {device!r}")
    if device.device_type != "GPU":
        raise ValueError(f"Cannot {what} on non-GPU and non-Pluggable devices")
    return device


def set_memory_growth(device: PhysicalDevice, enable: bool) -> None:
    """Accepted for GPUs: torch's caching allocator already grows on demand."""
    _memory_growth[_check_gpu(device, "set memory growth").name] = bool(enable)


def get_memory_growth(device: PhysicalDevice) -> bool:
    return _memory_growth.get(_check_gpu(device, "get memory growth").name, False)


def _gpu_index(device: Any) -> int:
    name = device.name if hasattr(device, "name") else str(device)
    if "GPU" not in name.upper():
        raise ValueError(f"Memory information is only available for GPUs. Received: {name}")
    return int(name.rsplit(":", 1)[-1])


def get_memory_info(device: Any) -> Dict[str, int]:
    """{'current', 'peak'} bytes allocated on a GPU ('GPU:0')."""
    index = _gpu_index(device)
    return {"current": torch.cuda.memory_allocated(index), "peak": torch.cuda.max_memory_allocated(index)}


def reset_memory_stats(device: Any) -> None:
    torch.cuda.reset_peak_memory_stats(_gpu_index(device))


def get_device_details(device: PhysicalDevice) -> Dict[str, Any]:
    """{'device_name', 'compute_capability'} of a GPU; {} for the CPU."""
    if device.device_type != "GPU":
        return {}
    index = int(device.name.rsplit(":", 1)[-1])
    return {"device_name": torch.cuda.get_device_name(index),
            "compute_capability": torch.cuda.get_device_capability(index)}


def enable_tensor_float_32_execution(enabled: bool) -> None:
    """TF32 matmuls and convolutions on Ampere+ GPUs (on by default, as in TensorFlow)."""
    _settings["tensor_float_32"] = bool(enabled)
    torch.backends.cuda.matmul.allow_tf32 = bool(enabled)
    torch.backends.cudnn.allow_tf32 = bool(enabled)


def tensor_float_32_execution_enabled() -> bool:
    return _settings["tensor_float_32"]


def enable_op_determinism() -> None:
    """Deterministic kernels (`torch.use_deterministic_algorithms`)."""
    _settings["deterministic"] = True
    torch.use_deterministic_algorithms(True, warn_only=True)


def _accept(key: str) -> Any:
    def setter(value: Any) -> None:
        _settings[key] = value
    return setter


def set_intra_op_parallelism_threads(num_threads: int) -> None:
    """Threads inside one op (`torch.set_num_threads`); 0 keeps torch's default."""
    _settings["intra_op_threads"] = int(num_threads)
    if num_threads:
        torch.set_num_threads(int(num_threads))


def get_intra_op_parallelism_threads() -> int:
    return _settings["intra_op_threads"]


def set_inter_op_parallelism_threads(num_threads: int) -> None:
    """Threads running independent ops; accepted (torch sets it once, before any parallel work)."""
    _settings["inter_op_threads"] = int(num_threads)
    if num_threads:
        try:
            torch.set_num_interop_threads(int(num_threads))
        except RuntimeError:
            warnings.warn("torch can set the inter-op thread count only before parallel work starts; "
                          "the setting is kept but not applied.", stacklevel=2)


def get_inter_op_parallelism_threads() -> int:
    return _settings["inter_op_threads"]


threading = types.SimpleNamespace(
    set_intra_op_parallelism_threads=set_intra_op_parallelism_threads,
    get_intra_op_parallelism_threads=get_intra_op_parallelism_threads,
    set_inter_op_parallelism_threads=set_inter_op_parallelism_threads,
    get_inter_op_parallelism_threads=get_inter_op_parallelism_threads)

experimental = types.SimpleNamespace(
    list_physical_devices=list_physical_devices, list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices, set_visible_devices=set_visible_devices,
    set_memory_growth=set_memory_growth, get_memory_growth=get_memory_growth,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration, get_memory_info=get_memory_info,
    get_memory_usage=lambda device: get_memory_info(device)["current"], reset_memory_stats=reset_memory_stats,
    get_device_details=get_device_details, enable_tensor_float_32_execution=enable_tensor_float_32_execution,
    tensor_float_32_execution_enabled=tensor_float_32_execution_enabled, enable_op_determinism=enable_op_determinism,
    set_device_policy=_accept("device_policy"), get_device_policy=lambda: _settings["device_policy"],
    set_synchronous_execution=_accept("synchronous"), get_synchronous_execution=lambda: _settings["synchronous"])

optimizer = types.SimpleNamespace(set_jit=_accept("jit"), get_jit=lambda: _settings.get("jit", False),
                                  set_experimental_options=_accept("optimizer_options"),
                                  get_experimental_options=lambda: _settings.get("optimizer_options", {}))
