"""tf.keras.callbacks: hooks into fit, evaluate and predict."""
from torchkeras_api.callbacks.backup_and_restore import BackupAndRestore
from torchkeras_api.callbacks.callback import Callback
from torchkeras_api.callbacks.callback_list import CallbackList
from torchkeras_api.callbacks import experimental
from torchkeras_api.callbacks.csv_logger import CSVLogger
from torchkeras_api.callbacks.early_stopping import EarlyStopping
from torchkeras_api.callbacks.history import History
from torchkeras_api.callbacks.lambda_callback import LambdaCallback
from torchkeras_api.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from torchkeras_api.callbacks.model_checkpoint import ModelCheckpoint
from torchkeras_api.callbacks.progbar_logger import ProgbarLogger
from torchkeras_api.callbacks.remote_monitor import RemoteMonitor
from torchkeras_api.callbacks.tensorboard import TensorBoard
from torchkeras_api.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "RemoteMonitor",
           "TensorBoard",
           "TerminateOnNaN"]
