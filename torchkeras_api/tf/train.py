"""tf.train: `latest_checkpoint` for the weights `save_weights` writes to checkpoint prefixes."""
from torchkeras_api.saving.checkpoint_prefix import latest_checkpoint
from torchkeras_api.tf._support import module_getattr

__all__ = ["latest_checkpoint"]

__getattr__ = module_getattr("tensorflow.train")
