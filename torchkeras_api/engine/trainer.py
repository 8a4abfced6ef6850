"""compile / fit / evaluate / predict and the *_on_batch and *_generator methods of Model."""
import warnings
from typing import Any, Callable, Dict, List, Optional, Union

import torch

from torchkeras_api.utils import nest
from torchkeras_api.utils.progbar import sync_to_python

_COMPILE_KWARGS = {"sample_weight_mode", "target_tensors", "distribute", "cloning", "experimental_run_tf_function"}


class Trainer:
    """Mixed into Model: the tf.keras training API running on torch autograd."""

    # Set by `compile` for a distribution strategy or a mixed_float16 policy (see distribute.model_setup).
    _keras_replicas: Optional[Callable[[Any, bool], Any]] = None
    _keras_backward: Optional[Callable[[Any, List[Any], Any], None]] = None
    _keras_shard: Optional[Callable[[Any], Any]] = None
    _keras_sync_metrics = False

    # ---- compile ---------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None, loss_weights: Any = None,
                weighted_metrics: Any = None, run_eagerly: Optional[bool] = None,
                steps_per_execution: Optional[int] = None, jit_compile: Optional[bool] = None,
                **kwargs: Any) -> None:
        """Configures the model for training."""
        from torchkeras_api import optimizers
        from torchkeras_api.distribute import model_setup
        from torchkeras_api.engine.compile_utils import LossesContainer, MetricsContainer
        unknown = set(kwargs) - _COMPILE_KWARGS
        if unknown:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {tuple(unknown)}. Valid keyword arguments "
                            f"include {sorted(_COMPILE_KWARGS)}.")
        if run_eagerly and jit_compile:
            raise ValueError("You cannot enable `run_eagerly` and `jit_compile` at the same time.")
        from torchkeras_api.saving.training_config import remember_compile_args
        self.optimizer = model_setup.configure(self, optimizers.get(optimizer))
        self.loss = loss
        remember_compile_args(self, loss, metrics, weighted_metrics, loss_weights)
        names = self._output_names_for_training()
        self._train_output_names = names
        self.compiled_loss = LossesContainer(loss, loss_weights, names)
        self.compiled_metrics = MetricsContainer(metrics, weighted_metrics, names,
                                                 self.compiled_loss.loss_functions())
        self._run_eagerly = run_eagerly
        self._steps_per_execution = int(steps_per_execution or 1)
        self._jit_compile = jit_compile
        self._is_compiled = True
        self._train_fn = None
        self._test_fn = None
        self._predict_fn = None
        self.stop_training = False

    def _output_names_for_training(self) -> List[str]:
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output_1"]

    def _assert_compile_was_called(self) -> None:
        if not getattr(self, "_is_compiled", False):
            raise RuntimeError("You must compile your model before training/testing. "
                               "Use `model.compile(optimizer, loss)`.")

    @property
    def distribute_strategy(self) -> Any:
        """The strategy the model was compiled under (the default strategy when none)."""
        from torchkeras_api import distribute
        return self.__dict__.get("_distribution_strategy") or distribute.get_strategy()

    @property
    def run_eagerly(self) -> bool:
        return bool(getattr(self, "_run_eagerly", False))

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = value
        self._train_fn = self._test_fn = self._predict_fn = None

    @property
    def jit_compile(self) -> Optional[bool]:
        """Whether `fit`/`evaluate`/`predict` run their steps compiled (see `compile(jit_compile=...)`)."""
        return getattr(self, "_jit_compile", None)

    @jit_compile.setter
    def jit_compile(self, value: Optional[bool]) -> None:
        if value == self.jit_compile:
            return
        self._jit_compile = value
        self._train_fn = self._test_fn = self._predict_fn = None

    # ---- metrics ---------------------------------------------------------------------------
    @property
    def metrics(self) -> List[Any]:
        """Loss trackers, compiled metrics and metrics added with add_metric, in tf.keras's order."""
        out: List[Any] = []
        if getattr(self, "_is_compiled", False):
            if self.compiled_loss is not None:
                out += self.compiled_loss.metrics
            out += self.compiled_metrics.metrics
        for layer in self.__dict__.get("_step_layers") or self._flatten_layers():
            out += list(getattr(layer, "_added_metrics", {}).values())
        return out

    @property
    def losses(self) -> List[torch.Tensor]:
        layers = self.__dict__.get("_step_layers")
        return self._collect_losses(layers if layers is not None else self._flatten_layers())

    @property
    def metrics_names(self) -> List[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for metric in self.metrics:
            metric.reset_state()

    def add_metric(self, value: Any, name: Optional[str] = None, aggregation: str = "mean") -> None:
        """Tracks the mean (or sum) of `value` over the batches of an epoch under `name`."""
        from torchkeras_api import metrics as metrics_module
        if name is None:
            raise ValueError("Please provide a name for your metric like `self.add_metric(tf.reduce_sum(inputs), "
                             "name='mean_activation')`")
        if aggregation not in ("mean", "sum", None):
            raise ValueError(f'We currently support only `mean` and `sum` aggregations for `add_metric`. '
                             f"Received: aggregation={aggregation}")
        added = self.__dict__.setdefault("_added_metrics", {})
        if name not in added:
            added[name] = metrics_module.Sum(name=name) if aggregation == "sum" else metrics_module.Mean(name=name)
        added[name].update_state(value)

    # ---- steps -----------------------------------------------------------------------------
    def train_step(self, data: Any) -> Dict[str, Any]:
        """One optimization step on a batch; returns the metric results (device tensors)."""
        from torchkeras_api.engine.data_adapter import unpack_x_y_sample_weight
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        variables = self._trainable_cache()
        for var in variables:
            var.grad = None
        if self._keras_backward is None:
            loss.backward()
        else:
            self._keras_backward(loss, variables, x)
        self.optimizer.step(variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None) -> Any:
        """The compiled loss of all outputs plus `self.losses` (regularization, add_loss)."""
        if self.compiled_loss is None:
            if not self.losses:
                raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
            return torch.stack([l.reshape(()) for l in self.losses]).sum()
        return self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any) -> Dict[str, Any]:
        self.compiled_metrics.update_state(y, y_pred, sample_weight)
        if self.__dict__.get("_skip_step_logs"):
            return {}
        return self._metric_results()

    def _metric_results(self) -> Dict[str, Any]:
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data: Any) -> Dict[str, Any]:
        """Loss and metrics on a batch, in inference mode."""
        from torchkeras_api.engine.data_adapter import unpack_x_y_sample_weight
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self._forward(x, training=False)
        if self.compiled_loss is not None or self.losses:
            self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        from torchkeras_api.engine.data_adapter import unpack_x_y_sample_weight
        x, _, _ = unpack_x_y_sample_weight(data)
        return self._forward(x, training=False)

    def _forward(self, x: Any, training: bool) -> Any:
        """The model on a batch (over the replicas of a distribution strategy)."""
        if self._keras_replicas is not None:
            return self._keras_replicas(x, training)
        return self._eager_call((x,), {"training": training})

    def _step_function(self, kind: str) -> Callable[[Any], Any]:
        """The 'train'/'test'/'predict' step: compiled with `jit_compile=True`, else the eager method."""
        from torchkeras_api.engine.compiled_step import make_step
        return make_step(self, kind)

    def _trainable_cache(self) -> List[Any]:
        cache = self.__dict__.get("_trainable_vars")
        if cache is None:
            cache = [v for v in self.trainable_variables if v.requires_grad]
            self.__dict__["_trainable_vars"] = cache
        return cache

    def _step_runner(self, step: Callable[[Any], Any], grad: bool, collect: bool = False) -> Callable[[Any], Any]:
        """Runs `steps_per_execution` steps per call, pulling batches from the iterator; returns the last
        step's result, or with `collect` the list of all of them."""
        per_call = getattr(self, "_steps_per_execution", 1)

        def run(iterator: Any) -> Any:
            results = []
            with torch.enable_grad() if grad else torch.no_grad():
                for _ in range(per_call):
                    try:
                        batch = next(iterator)
                    except StopIteration:
                        if not results:
                            raise
                        break
                    results.append(step(batch))
            return results if collect else results[-1]

        return run

    def make_train_function(self, force: bool = False) -> Callable[[Any], Any]:
        if getattr(self, "_train_fn", None) is None or force:
            self.__dict__.pop("_trainable_vars", None)
            self.train(True)
            self._train_fn = self._step_runner(self._step_function("train"), grad=True)
        return self._train_fn

    def _cache_step_layers(self, cache: bool) -> None:
        """While a loop runs, `losses`/`metrics` walk a cached list of the model's layers."""
        if cache:
            self.__dict__["_step_layers"] = self._flatten_layers()
        else:
            self.__dict__.pop("_step_layers", None)
            self.__dict__.pop("_skip_step_logs", None)

    def make_test_function(self, force: bool = False) -> Callable[[Any], Any]:
        if getattr(self, "_test_fn", None) is None or force:
            self._test_fn = self._step_runner(self._step_function("test"), grad=False)
        return self._test_fn

    def make_predict_function(self, force: bool = False) -> Callable[[Any], Any]:
        if getattr(self, "_predict_fn", None) is None or force:
            self._predict_fn = self._step_runner(self._step_function("predict"), grad=False, collect=True)
        return self._predict_fn

    # ---- loops -----------------------------------------------------------------------------
    def _data_handler(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: Any = None,
                      steps_per_epoch: Any = None, initial_epoch: int = 0, epochs: int = 1, shuffle: Any = False,
                      class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shard: bool = True) -> Any:
        from torchkeras_api.engine.data_adapter import DataHandler
        return DataHandler(x, y, sample_weight=sample_weight, batch_size=batch_size,
                           steps_per_epoch=steps_per_epoch, initial_epoch=initial_epoch, epochs=epochs,
                           shuffle=shuffle, class_weight=class_weight, max_queue_size=max_queue_size,
                           workers=workers, use_multiprocessing=use_multiprocessing,
                           steps_per_execution=getattr(self, "_steps_per_execution", 1), device=self._device(),
                           shard=self._keras_shard if shard else None)

    def _callbacks(self, callbacks: Any, verbose: int, epochs: int, steps: Optional[int]) -> Any:
        from torchkeras_api.callbacks import CallbackList
        from torchkeras_api.distribute import model_setup
        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(callbacks, add_history=True, add_progbar=verbose != 0 and model_setup.is_chief(self),
                            model=self, verbose=verbose, epochs=epochs, steps=steps)

    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None, epochs: int = 1,
            verbose: Union[str, int] = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: Any = True, class_weight: Any = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: Optional[int] = None, validation_steps: Optional[int] = None,
            validation_batch_size: Optional[int] = None, validation_freq: Any = 1, max_queue_size: int = 10,
            workers: int = 1, use_multiprocessing: bool = False) -> Any:
        """Trains the model for `epochs` epochs; returns the History."""
        from torchkeras_api.distribute import model_setup
        from torchkeras_api.engine.data_adapter import train_validation_split, unpack_x_y_sample_weight
        self._assert_compile_was_called()
        verbose = 1 if verbose == "auto" else int(verbose)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight),
                                                                            validation_split=validation_split)
        val = unpack_x_y_sample_weight(validation_data) if validation_data is not None else None
        handler = self._data_handler(x, y, sample_weight, batch_size, steps_per_epoch, initial_epoch, epochs,
                                     shuffle, class_weight, max_queue_size, workers, use_multiprocessing)
        callbacks = self._callbacks(callbacks, verbose, epochs, handler.inferred_steps)
        self.stop_training = False
        train_function = self.make_train_function()
        if self._keras_sync_metrics:
            model_setup.before_training(self)
        callbacks.on_train_begin()
        resume = self.__dict__.pop("_training_state", None)
        if resume is not None:
            handler.resume(resume["epoch"], resume["step"])
        self._cache_step_layers(True)
        self.__dict__["_skip_step_logs"] = not callbacks.calls_batch_hooks("train")
        training_logs = None
        ran_steps = False
        try:
            for epoch, iterator in handler.enumerate_epochs():
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                for step in handler.steps():
                    callbacks.on_train_batch_begin(step)
                    logs = train_function(iterator)
                    ran_steps = True
                    callbacks.on_train_batch_end(step + handler.step_increment, logs)
                    if self.stop_training:
                        break
                if not ran_steps:
                    raise ValueError("Unexpected result of `train_function` (Empty logs). Please use "
                                     "`Model.compile(...)` to make sure that the model is compiled and the dataset "
                                     "is not empty.")
                if self._keras_sync_metrics:
                    model_setup.sync_metrics(self)
                epoch_logs = sync_to_python(self._metric_results())
                if val is not None and _should_validate(validation_freq, epoch):
                    val_logs = self.evaluate(val[0], val[1], sample_weight=val[2],
                                             batch_size=validation_batch_size or batch_size, steps=validation_steps,
                                             callbacks=callbacks, max_queue_size=max_queue_size, workers=workers,
                                             use_multiprocessing=use_multiprocessing, return_dict=True,
                                             _internal=True)
                    epoch_logs.update({"val_" + name: value for name, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if self.stop_training:
                    break
        finally:
            self._cache_step_layers(False)
        self.optimizer.finalize_variable_values(self.trainable_variables)
        callbacks.on_train_end(logs=training_logs)
        return self.history

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
                 verbose: Union[str, int] = "auto", sample_weight: Any = None, steps: Optional[int] = None,
                 callbacks: Any = None, max_queue_size: int = 10, workers: int = 1,
                 use_multiprocessing: bool = False, return_dict: bool = False, **kwargs: Any) -> Any:
        """Loss and metrics over the data (the mean over all batches)."""
        from torchkeras_api.distribute import model_setup
        self._assert_compile_was_called()
        internal = kwargs.pop("_internal", False)
        if kwargs:
            raise TypeError(f"Invalid keyword arguments: {list(kwargs)}")
        verbose = 1 if verbose == "auto" else int(verbose)
        handler = self._data_handler(x, y, sample_weight, batch_size, steps, max_queue_size=max_queue_size,
                                     workers=workers, use_multiprocessing=use_multiprocessing)
        if not internal:
            callbacks = self._callbacks(callbacks, verbose, 1, handler.inferred_steps)
        test_function = self.make_test_function()
        was_training = self.training
        self.train(False)
        self.reset_metrics()
        callbacks.on_test_begin()
        outer_cache = self.__dict__.get("_step_layers")
        skip_logs = self.__dict__.get("_skip_step_logs")
        self._cache_step_layers(True)
        self.__dict__["_skip_step_logs"] = not callbacks.calls_batch_hooks("test")
        try:
            for _, iterator in handler.enumerate_epochs():
                for step in handler.steps():
                    callbacks.on_test_batch_begin(step)
                    logs = test_function(iterator)
                    callbacks.on_test_batch_end(step + handler.step_increment, logs)
            if self._keras_sync_metrics:
                model_setup.sync_metrics(self)
            logs = sync_to_python(self._metric_results())
        finally:
            self.train(was_training)
            if outer_cache is None:
                self._cache_step_layers(False)
            else:
                self.__dict__["_skip_step_logs"] = skip_logs
        callbacks.on_test_end(logs=logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Union[str, int] = "auto",
                steps: Optional[int] = None, callbacks: Any = None, max_queue_size: int = 10, workers: int = 1,
                use_multiprocessing: bool = False) -> Any:
        """Model outputs for the inputs, batch by batch, as numpy arrays (lists/dicts for several outputs)."""
        verbose = 1 if verbose == "auto" else int(verbose)
        handler = self._data_handler(x, batch_size=batch_size, steps_per_epoch=steps, max_queue_size=max_queue_size,
                                     workers=workers, use_multiprocessing=use_multiprocessing, shard=False)
        callbacks = self._callbacks(callbacks, verbose, 1, handler.inferred_steps)
        predict_function = self.make_predict_function()
        was_training = self.training
        self.train(False)
        callbacks.on_predict_begin()
        outputs: List[Any] = []
        try:
            for _, iterator in handler.enumerate_epochs():
                for step in handler.steps():
                    callbacks.on_predict_batch_begin(step)
                    batch_outs = predict_function(iterator)
                    outputs.extend(nest.map_structure(lambda t: t.detach(), out) for out in batch_outs)
                    callbacks.on_predict_batch_end(step + handler.step_increment, {"outputs": batch_outs[-1]})
        finally:
            self.train(was_training)
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). Please use "
                             "`Model.compile(..., run_eagerly=True)`, or `tf.config.run_functions_eagerly(True)` "
                             "for more information of where went wrong, or file a issue/bug to `tf.keras`.")
        callbacks.on_predict_end()
        flat = [nest.flatten(o) for o in outputs]
        merged = [torch.cat([f[i] for f in flat]).cpu().numpy() for i in range(len(flat[0]))]
        return nest.pack_sequence_as(outputs[0], merged)

    # ---- single batches --------------------------------------------------------------------
    def _result(self, logs: Dict[str, Any], return_dict: bool) -> Any:
        logs = sync_to_python(logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       reset_metrics: bool = True, return_dict: bool = False) -> Any:
        """One gradient update on exactly this batch."""
        self._assert_compile_was_called()
        iterator = self._single_whole_batch(x, y, sample_weight, class_weight)
        logs = self.make_train_function()(iterator)
        if reset_metrics:
            result = self._result(logs, return_dict)
            self.reset_metrics()
            return result
        return self._result(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, reset_metrics: bool = True,
                      return_dict: bool = False) -> Any:
        """Loss and metrics on exactly this batch."""
        self._assert_compile_was_called()
        if reset_metrics:
            self.reset_metrics()
        was_training = self.training
        self.train(False)
        try:
            logs = self.make_test_function()(self._single_whole_batch(x, y, sample_weight))
        finally:
            self.train(was_training)
        return self._result(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Model outputs for exactly this batch, as numpy."""
        was_training = self.training
        self.train(False)
        try:
            out = self.make_predict_function()(self._single_whole_batch(x, None, None))[0]
        finally:
            self.train(was_training)
        return nest.map_structure(lambda t: t.detach().cpu().numpy(), out)

    def _single_whole_batch(self, x: Any, y: Any, sample_weight: Any, class_weight: Any = None) -> Any:
        from torchkeras_api.engine.data_adapter import DataHandler
        size = len(nest.flatten(x)[0])
        handler = DataHandler(x, y, sample_weight=sample_weight, batch_size=max(size, 1), class_weight=class_weight,
                              device=self._device())
        _, iterator = next(iter(handler.enumerate_epochs()))
        return iterator

    # ---- deprecated generator methods ------------------------------------------------------
    def fit_generator(self, generator: Any, steps_per_epoch: Optional[int] = None, epochs: int = 1,
                      verbose: Union[str, int] = 1, callbacks: Any = None, validation_data: Any = None,
                      validation_steps: Optional[int] = None, validation_freq: Any = 1, class_weight: Any = None,
                      max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                      shuffle: bool = True, initial_epoch: int = 0) -> Any:
        """Deprecated: `fit` supports generators."""
        warnings.warn("`Model.fit_generator` is deprecated and will be removed in a future version. "
                      "Please use `Model.fit`, which supports generators.", stacklevel=2)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, max_queue_size=max_queue_size,
                        workers=workers, use_multiprocessing=use_multiprocessing, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator: Any, steps: Optional[int] = None, callbacks: Any = None,
                           max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                           verbose: Union[str, int] = 0) -> Any:
        """Deprecated: `evaluate` supports generators."""
        warnings.warn("`Model.evaluate_generator` is deprecated and will be removed in a future version. "
                      "Please use `Model.evaluate`, which supports generators.", stacklevel=2)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, max_queue_size=max_queue_size,
                             workers=workers, use_multiprocessing=use_multiprocessing, verbose=verbose)

    def predict_generator(self, generator: Any, steps: Optional[int] = None, callbacks: Any = None,
                          max_queue_size: int = 10, workers: int = 1, use_multiprocessing: bool = False,
                          verbose: Union[str, int] = 0) -> Any:
        """Deprecated: `predict` supports generators."""
        warnings.warn("`Model.predict_generator` is deprecated and will be removed in a future version. "
                      "Please use `Model.predict`, which supports generators.", stacklevel=2)
        return self.predict(generator, steps=steps, callbacks=callbacks, max_queue_size=max_queue_size,
                            workers=workers, use_multiprocessing=use_multiprocessing, verbose=verbose)


def _should_validate(validation_freq: Any, epoch: int) -> bool:
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: {validation_freq}")
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq

