"""tf.keras.callbacks.TerminateOnNaN."""
import numpy as np

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import print_msg, sync_to_python


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite (reads the loss every batch)."""

    _supports_tf_logs = True

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = sync_to_python(loss)
        if np.isnan(loss) or np.isinf(loss):
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
