"""tf.keras.callbacks.TensorBoard: TensorBoard event files written through `torch.utils.tensorboard`."""
import json
import logging
import os
import time
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from torchkeras_api import backend as K
from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import sync_to_python

_logger = logging.getLogger(__name__)

_INSTALL_HINT = ("The `TensorBoard` callback needs the `tensorboard` package: `pip install tensorboard` "
                 "(or install this package with its extra: `pip install torchkeras_api[tensorboard]`).")

# Keyword arguments of the TF 1.x callback that are still accepted, with why each is ignored.
_LEGACY_KWARGS = {
    "write_grads": "`write_grads` will be ignored in TensorFlow 2.0 for the `TensorBoard` Callback.",
    "batch_size": "`batch_size` is no longer needed in the `TensorBoard` Callback and will be ignored in "
                  "TensorFlow 2.0.",
    "embeddings_layer_names": "`embeddings_layer_names` is not supported in TensorFlow 2.0. Instead, all "
                              "`Embedding` layers will be visualized.",
    "embeddings_data": "`embeddings_data` is not supported in TensorFlow 2.0. Instead, all `Embedding` variables "
                       "will be visualized.",
}

# Images are written only for weights whose last image axis holds this many channels.
_IMAGE_CHANNELS = (1, 3, 4)
_MAX_IMAGES = 3


def _summary_writer_class() -> Any:
    """`torch.utils.tensorboard.SummaryWriter`, or an ImportError that says how to install tensorboard."""
    try:
        import tensorboard  # noqa: F401  (torch's module needs it; its absence gets the clearer message)
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return SummaryWriter


def _profile_range(profile_batch: Any) -> Tuple[int, int]:
    """The (start, stop) batches of `profile_batch`: an int, a pair, or a `"start,stop"` string."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive "
               f"integers signifies a range of batches to profile. Found: {profile_batch}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError as error:
            raise ValueError(message) from error
        if len(value) == 1:
            value = value[0]
    if isinstance(value, (int, np.integer)):
        start = stop = int(value)
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _as_float(value: Any) -> Optional[float]:
    """A host scalar as a python float; None for values that are not single numbers."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.size != 1 or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        return None
    return float(array.reshape(()))


def _weight_image(value: np.ndarray) -> Optional[np.ndarray]:
    """A weight as a batch of NHWC images the way tf.keras draws it, or None when it cannot be drawn.

    Squeezed to its non-unit axes: a vector is one 1-pixel-high image, a matrix one image with the
    longer side across, a 3-D kernel one image per channel (channels last) and a 4-D value is taken as
    images already when its last axis has 1, 3 or 4 channels.
    """
    image = np.squeeze(value)
    if image.ndim == 1:
        image = image.reshape(1, 1, image.shape[0], 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        if K.image_data_format() == "channels_last":
            image = np.moveaxis(image, -1, 0)
        image = image[..., np.newaxis]
    if image.ndim != 4 or image.shape[-1] not in _IMAGE_CHANNELS:
        return None
    return image.astype(np.float32)


def _model_json(model: Any) -> str:
    """The model's Keras JSON config, as `model.to_json()` gives it (the graph dashboard's input)."""
    to_json = getattr(model, "to_json", None)
    if callable(to_json):
        return to_json()
    import torchkeras_api
    config = {"class_name": type(model).__name__, "config": model.get_config(),
              "keras_version": getattr(torchkeras_api, "__version__", ""), "backend": "torch"}

    def fallback(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if hasattr(obj, "as_list"):
            return obj.as_list()
        raise TypeError(f"Not JSON serializable: {obj!r}")

    return json.dumps(config, default=fallback)


class TensorBoard(Callback):
    """Writes TensorBoard logs: the scalars of each epoch, weight histograms and images, batch scalars.

    Run `tensorboard --logdir=path_to_your_logs` to look at them. The files are written with
    `torch.utils.tensorboard.SummaryWriter`, so the `tensorboard` package must be installed
    (`pip install tensorboard`, or the `torchkeras_api[tensorboard]` extra).

    What is written, as tf.keras writes it:
      * `log_dir/train` and `log_dir/validation` hold one run each. At the end of each epoch the logs
        go there as `epoch_<name>` scalars at step `epoch`: `val_*` entries in `validation` without their
        `val_` prefix, the rest in `train`; `epoch_learning_rate` too when the optimizer's learning rate
        is a `LearningRateSchedule`.
      * After each evaluation (the validation of `fit`, or `evaluate`), `evaluation_<name>_vs_iterations`
        scalars in `validation`, at step `optimizer.iterations`.
      * `update_freq`: `"epoch"` writes only the above; `"batch"` or an integer `N` also writes the batch
        logs as `batch_<name>` scalars in `train` every `N` batches (`"batch"` means 1), at the global
        batch count since the optimizer's first step (1 for the first batch). The batch logs stay on the
        device except at those batches, so training does not wait for the device in between.
      * `histogram_freq=N`: every `N` epochs (from epoch 0), a histogram of every weight of every layer,
        tagged `<weight name with ':' as '_'>/histogram` (e.g. `dense/kernel_0/histogram`), and with
        `write_images` the weights that can be drawn as `<...>/image` pictures.
      * `write_steps_per_second`: `epoch_steps_per_second` (optimizer steps over the epoch's wall time,
        validation included) and, with a batch `update_freq`, `batch_steps_per_second`.
      * `write_graph`: the model's Keras config as the `keras` summary of `train` (step 0), which
        TensorBoard's Graphs tab draws as the conceptual graph of a Sequential or functional model.
        The op-level graph of the train function that tf.keras also writes is not written.

    Not supported: `profile_batch` (the TensorFlow profiler) and `embeddings_freq` /
    `embeddings_metadata` (the embedding projector) are accepted and checked like tf.keras's, but
    only warn when set: nothing is profiled nor projected.

    The writers are flushed at the end of each epoch and evaluation and closed when training ends.
    """

    _supports_tf_logs = True

    def __init__(self, log_dir: Union[str, "os.PathLike[str]"] = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq: Union[str, int] = "epoch", profile_batch: Any = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None, **kwargs: Any) -> None:
        super().__init__()
        self._writer_class = _summary_writer_class()
        unknown = set(kwargs) - set(_LEGACY_KWARGS)
        if unknown:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: {unknown}. "
                             f"Supported kwargs are: {set(_LEGACY_KWARGS)}")
        for name, message in _LEGACY_KWARGS.items():
            if kwargs.get(name):
                _logger.warning(message)
        if update_freq == "batch":
            update_freq = 1
        elif update_freq != "epoch" and not (isinstance(update_freq, (int, np.integer))
                                             and not isinstance(update_freq, bool) and update_freq > 0):
            raise ValueError(f"`update_freq` must be 'batch', 'epoch' or a positive integer. "
                             f"Received: update_freq={update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        if self._stop_batch > 0:
            _logger.warning("`profile_batch=%s`: profiling is not supported by this TensorBoard callback; no "
                            "profile will be written.", profile_batch)
        if embeddings_freq:
            _logger.warning("`embeddings_freq=%s`: embedding visualization is not supported by this TensorBoard "
                            "callback; no embeddings will be written.", embeddings_freq)
        self._writers: Dict[str, Any] = {}
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._train_step = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    # ---- writers ---------------------------------------------------------------------------------
    def _writer(self, name: str) -> Any:
        """The `SummaryWriter` of run `"train"` or `"validation"`, opened on first use."""
        if name not in self._writers:
            self._writers[name] = self._writer_class(self._train_dir if name == "train" else self._val_dir)
        return self._writers[name]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _flush_writers(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def _scalars(self, run: str, prefix: str, logs: Dict[str, Any], step: int) -> None:
        """Writes each single-number entry of logs as scalar `prefix + name` of run at step."""
        for name, value in logs.items():
            number = _as_float(value)
            if number is not None:
                self._writer(run).add_scalar(prefix + name, number, global_step=step, new_style=True)

    # ---- model-level summaries -------------------------------------------------------------------
    def set_model(self, model: Any) -> None:
        """Sets the model, starts new event files and writes the model's config when `write_graph`."""
        self.model = model
        self._close_writers()
        if self.write_graph:
            self._write_keras_model_summary()

    def _write_keras_model_summary(self) -> None:
        """The `keras` summary of the train run: the JSON config of a Sequential or functional model."""
        from torchkeras_api.engine.sequential import Sequential
        if not (isinstance(self.model, Sequential) or getattr(self.model, "_is_graph_network", False)):
            return
        try:
            config = _model_json(self.model)
        except Exception as error:  # a model that cannot be serialized still trains
            _logger.warning("Model failed to serialize as JSON. Ignoring... %s", error)
            return
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.compat.proto.tensor_pb2 import TensorProto
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model",
                                                                          content=b"1"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[config.encode("utf-8")])
        summary = Summary(value=[Summary.Value(tag="keras", tensor=tensor, metadata=metadata)])
        self._writer("train").file_writer.add_summary(summary, 0)

    def _optimizer_iterations(self) -> Optional[int]:
        """The optimizer's step count as a python int (a read from the device), or None without one."""
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return None if iterations is None else int(K.get_value(iterations))

    # ---- hooks -----------------------------------------------------------------------------------
    def _implements_train_batch_hooks(self) -> bool:
        """Batch hooks only when batch scalars are written: with `update_freq="epoch"` fit never calls them."""
        return self.update_freq != "epoch"

    def on_train_begin(self, logs: Logs = None) -> None:
        if self.update_freq != "epoch":
            self._train_step = self._optimizer_iterations() or 0

    def on_train_end(self, logs: Logs = None) -> None:
        self._close_writers()

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Every `update_freq` batches, reads the batch logs back and writes them as `batch_*` scalars."""
        self._train_step += 1
        if self.update_freq == "epoch" or self._train_step % self.update_freq:
            return
        values = sync_to_python(dict(logs)) if isinstance(logs, dict) else {}
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            if elapsed > 0:
                self._writer("train").add_scalar("batch_steps_per_second", 1.0 / elapsed,
                                                 global_step=self._train_step, new_style=True)
        self._scalars("train", "batch_", values, self._train_step)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start_iterations = self._optimizer_iterations() or 0
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Writes the epoch's logs as `epoch_*` scalars, then the weights every `histogram_freq` epochs."""
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._flush_writers()

    def on_test_end(self, logs: Logs = None) -> None:
        """Writes the evaluation's results as `evaluation_*_vs_iterations` scalars of the validation run."""
        step = self._optimizer_iterations()
        if step is None or not logs:
            return
        self._scalars("validation", "evaluation_", {f"{name}_vs_iterations": value for name, value in logs.items()},
                      step)
        self._writer("validation").flush()

    # ---- epoch summaries -------------------------------------------------------------------------
    def _log_epoch_metrics(self, epoch: int, logs: Dict[str, Any]) -> None:
        if not logs:
            return
        train_logs = {name: value for name, value in logs.items() if not name.startswith("val_")}
        val_logs = {name[len("val_"):]: value for name, value in logs.items() if name.startswith("val_")}
        learning_rate = self._scheduled_learning_rate()
        if learning_rate is not None:
            train_logs["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            steps = (self._optimizer_iterations() or 0) - self._epoch_start_iterations
            elapsed = time.time() - self._epoch_start_time
            train_logs["steps_per_second"] = steps / elapsed if elapsed > 0 else 0.0
        if train_logs:
            self._scalars("train", "epoch_", train_logs, epoch)
        if val_logs:
            self._scalars("validation", "epoch_", val_logs, epoch)

    def _scheduled_learning_rate(self) -> Optional[float]:
        """The learning rate of a `LearningRateSchedule` optimizer at its current step; None otherwise."""
        from torchkeras_api.optimizers.schedules import LearningRateSchedule
        optimizer = getattr(self.model, "optimizer", None)
        schedule = getattr(optimizer, "_learning_rate", None)
        if not isinstance(schedule, LearningRateSchedule):
            return None
        return _as_float(K.get_value(schedule(optimizer.iterations)))

    def _log_weights(self, epoch: int) -> None:
        """A histogram (and with `write_images` a picture) of every weight of every layer."""
        writer = self._writer("train")
        for layer in self.model.layers:
            for index, weight in enumerate(layer.weights):
                name = getattr(weight, "name", None) or f"{layer.name}/weight_{index}"
                tag = name.replace(":", "_")
                value = np.asarray(K.get_value(weight))
                finite = value[np.isfinite(value)] if np.issubdtype(value.dtype, np.floating) else value
                if finite.size:
                    writer.add_histogram(tag + "/histogram", finite.astype(np.float64), global_step=epoch)
                if self.write_images:
                    image = _weight_image(value)
                    if image is not None:
                        writer.add_images(tag + "/image", image[:_MAX_IMAGES], global_step=epoch,
                                          dataformats="NHWC")
