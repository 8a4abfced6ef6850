"""tf.keras.callbacks.experimental."""
from torchkeras_api.callbacks.backup_and_restore import BackupAndRestore

__all__ = ["BackupAndRestore"]
