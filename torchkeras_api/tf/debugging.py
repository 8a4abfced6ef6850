"""tf.debugging: `set_log_device_placement`, which logs the device of each weight created."""
from torchkeras_api.engine.device import set_log_device_placement
from torchkeras_api.tf._support import module_getattr

__all__ = ["set_log_device_placement"]

__getattr__ = module_getattr("tensorflow.debugging")
