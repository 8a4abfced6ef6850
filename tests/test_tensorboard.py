"""keras.callbacks.TensorBoard: fit a tiny model, then read the event files back as TensorBoard does."""
import json
import logging
import sys

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.callbacks import tensorboard as tensorboard_module

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util
except ImportError:  # every test but the one about the missing package is skipped
    EventAccumulator = tensor_util = None

_RUNS_WITHOUT_TENSORBOARD = {"test_missing_tensorboard_says_how_to_install"}


@pytest.fixture(autouse=True)
def _needs_tensorboard(request):
    if EventAccumulator is None and request.node.originalname not in _RUNS_WITHOUT_TENSORBOARD:
        pytest.skip("tensorboard is not installed")


def _data(seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(40, 3).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("float32")[:, None]
    return x, y


def _model(lib=keras, optimizer=None):
    model = lib.Sequential([lib.layers.Dense(4, activation="relu", input_shape=(3,), name="hidden"),
                            lib.layers.Dense(1, activation="sigmoid", name="out")])
    model.compile(optimizer or lib.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


def _fit(log_dir, epochs=3, validation=True, model=None, extra_callbacks=(), **tb_kwargs):
    x, y = _data()
    model = model or _model()
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0,
                        validation_data=_data(1) if validation else None,
                        callbacks=[keras.callbacks.TensorBoard(str(log_dir), **tb_kwargs), *extra_callbacks])
    return model, history


def _events(run_dir):
    guidance = {"scalars": 0, "tensors": 0, "histograms": 0, "images": 0, "compressedHistograms": 0}
    accumulator = EventAccumulator(str(run_dir), size_guidance=guidance, purge_orphaned_data=False)
    accumulator.Reload()
    return accumulator


def _scalars(accumulator):
    """{tag: [(step, value)]} of the scalar summaries (written as tensors, as tf.summary.scalar does)."""
    out = {}
    for tag in accumulator.Tags()["tensors"]:
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars":
            out[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto).item()) for e in accumulator.Tensors(tag)]
    return out


def _steps(accumulator):
    """{tag: [steps]} of every summary, whatever its kind."""
    tags = accumulator.Tags()
    out = {tag: [e.step for e in accumulator.Tensors(tag)] for tag in tags["tensors"]}
    out.update({tag: [e.step for e in accumulator.Histograms(tag)] for tag in tags["histograms"]})
    out.update({tag: [e.step for e in accumulator.Images(tag)] for tag in tags["images"]})
    return out


def _f32(values):
    return [float(np.float32(v)) for v in values]


def test_epoch_scalars_equal_history(tmp_path):
    _, history = _fit(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "validation"]
    train, val = _scalars(_events(tmp_path / "train")), _scalars(_events(tmp_path / "validation"))
    assert set(train) == {"epoch_loss", "epoch_accuracy"}
    for name in ("loss", "accuracy"):
        assert train["epoch_" + name] == list(zip([0, 1, 2], _f32(history.history[name])))
        assert val["epoch_" + name] == list(zip([0, 1, 2], _f32(history.history["val_" + name])))
        # After each validation, its results at the optimizer's step count.
        assert val[f"evaluation_{name}_vs_iterations"] == list(
            zip([5, 10, 15], _f32(history.history["val_" + name])))
    assert set(val) == {"epoch_loss", "epoch_accuracy", "evaluation_loss_vs_iterations",
                        "evaluation_accuracy_vs_iterations"}
    assert not _events(tmp_path / "train").Tags()["histograms"]


def test_no_validation_writes_no_validation_run(tmp_path):
    _fit(tmp_path, epochs=2, validation=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train"]


def test_epoch_update_freq_takes_no_batch_hooks():
    assert not keras.callbacks.TensorBoard("unused")._implements_train_batch_hooks()
    assert keras.callbacks.TensorBoard("unused", update_freq=3)._implements_train_batch_hooks()
    assert keras.callbacks.TensorBoard("unused", update_freq="batch").update_freq == 1
    callbacks = keras.callbacks.CallbackList([keras.callbacks.TensorBoard("unused")])
    assert not callbacks.calls_batch_hooks("train") and not callbacks.calls_batch_hooks("test")


def test_histograms_every_n_epochs(tmp_path):
    model, _ = _fit(tmp_path, epochs=5, histogram_freq=2)
    train = _events(tmp_path / "train")
    names = [w.name.replace(":", "_") + "/histogram" for layer in model.layers for w in layer.weights]
    assert names == ["hidden/kernel_0/histogram", "hidden/bias_0/histogram", "out/kernel_0/histogram",
                     "out/bias_0/histogram"]
    assert sorted(train.Tags()["histograms"]) == sorted(names)
    final = [w.numpy() for layer in model.layers for w in layer.weights]
    for name, weight in zip(names, final):
        events = train.Histograms(name)
        assert [e.step for e in events] == [0, 2, 4]
        last = events[-1].histogram_value
        assert last.num == weight.size
        assert last.min == pytest.approx(weight.min()) and last.max == pytest.approx(weight.max())
    assert not train.Tags()["images"]


def test_weight_images(tmp_path):
    _fit(tmp_path, epochs=1, validation=False, histogram_freq=1, write_images=True)
    train = _events(tmp_path / "train")
    # A (3, 4) kernel is drawn 3 high and 4 wide, a (4, 1) kernel turned to 1 x 4; the 1-element bias is not drawn.
    sizes = {tag: (e.height, e.width) for tag in train.Tags()["images"] for e in train.Images(tag)}
    assert sizes == {"hidden/kernel_0/image": (3, 4), "hidden/bias_0/image": (1, 4), "out/kernel_0/image": (1, 4)}


@pytest.mark.parametrize("update_freq, steps", [("batch", list(range(1, 11))), (3, [3, 6, 9])])
def test_batch_scalars_every_n_batches(tmp_path, update_freq, steps):
    batch_logs = []
    recorder = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    _, history = _fit(tmp_path, epochs=2, update_freq=update_freq, extra_callbacks=[recorder])
    train = _scalars(_events(tmp_path / "train"))
    assert set(train) == {"batch_loss", "batch_accuracy", "epoch_loss", "epoch_accuracy"}
    for name in ("loss", "accuracy"):
        assert train["batch_" + name] == [(s, float(np.float32(batch_logs[s - 1][name]))) for s in steps]
        assert [v for _, v in train["epoch_" + name]] == _f32(history.history[name])
    val = _scalars(_events(tmp_path / "validation"))
    assert not any(tag.startswith("batch_") for tag in val)


def test_batch_steps_continue_across_fits(tmp_path):
    model = _model()
    callback = keras.callbacks.TensorBoard(str(tmp_path), update_freq="batch")
    x, y = _data()
    for _ in range(2):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[callback])
    assert [s for s, _ in _scalars(_events(tmp_path / "train"))["batch_loss"]] == list(range(1, 11))
    assert len(list((tmp_path / "train").iterdir())) == 2  # one event file per fit, as tf.keras writes


def test_batch_logs_read_only_at_written_steps(tmp_path, monkeypatch):
    reads = []

    def counting_sync(logs):
        reads.append({name: isinstance(value, torch.Tensor) for name, value in logs.items()})
        return tensorboard_module.__dict__["_real_sync"](logs)

    monkeypatch.setitem(tensorboard_module.__dict__, "_real_sync", tensorboard_module.sync_to_python)
    monkeypatch.setattr(tensorboard_module, "sync_to_python", counting_sync)
    _fit(tmp_path, epochs=2, validation=False, update_freq=4)
    # 10 batches: logs read back at batches 4 and 8 only, and handed over as device tensors.
    assert reads == [{"loss": True, "accuracy": True}] * 2


def test_steps_per_second(tmp_path):
    _fit(tmp_path, epochs=2, update_freq=2, write_steps_per_second=True)
    train = _scalars(_events(tmp_path / "train"))
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert [s for s, _ in train["batch_steps_per_second"]] == [2, 4, 6, 8, 10]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"] + train["batch_steps_per_second"])
    assert "epoch_steps_per_second" not in _scalars(_events(tmp_path / "validation"))


def test_learning_rate_of_a_schedule(tmp_path):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
    _fit(tmp_path, epochs=2, validation=False, model=_model(optimizer=keras.optimizers.SGD(schedule)))
    lr = _scalars(_events(tmp_path / "train"))["epoch_learning_rate"]
    assert [s for s, _ in lr] == [0, 1]
    assert [v for _, v in lr] == pytest.approx([0.05, 0.025])


def test_constant_learning_rate_not_written(tmp_path):
    _fit(tmp_path, epochs=1, validation=False)
    assert "epoch_learning_rate" not in _scalars(_events(tmp_path / "train"))


def test_learning_rate_callbacks_log_lr(tmp_path):
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    x, y = _data()
    _model().fit(x, y, batch_size=8, epochs=2, verbose=0,
                 callbacks=[scheduler, keras.callbacks.TensorBoard(str(tmp_path))])
    assert [v for _, v in _scalars(_events(tmp_path / "train"))["epoch_lr"]] == pytest.approx([0.1, 0.05])


def test_write_graph_writes_the_keras_model_config(tmp_path):
    from tensorboard.plugins.graph import keras_util
    model, _ = _fit(tmp_path / "with", epochs=1, validation=False)
    train = _events(tmp_path / "with" / "train")
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    event, = train.Tensors("keras")
    assert event.step == 0
    config = json.loads(event.tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    graph = keras_util.keras_model_to_graph_def(config)  # what TensorBoard's Graphs tab draws
    assert {"sequential/hidden", "sequential/out"} <= {node.name.replace(model.name, "sequential")
                                                       for node in graph.node}
    _fit(tmp_path / "without", epochs=1, validation=False, write_graph=False)
    assert "keras" not in _events(tmp_path / "without" / "train").Tags()["tensors"]


def test_evaluate_alone_writes_evaluation_scalars(tmp_path):
    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    loss, accuracy = model.evaluate(x, y, batch_size=8, verbose=0,
                                    callbacks=[keras.callbacks.TensorBoard(str(tmp_path))])
    val = _scalars(_events(tmp_path / "validation"))
    assert val == {"evaluation_loss_vs_iterations": [(5, float(np.float32(loss)))],
                   "evaluation_accuracy_vs_iterations": [(5, float(np.float32(accuracy)))]}


def test_arguments(caplog):
    with caplog.at_level(logging.WARNING):
        keras.callbacks.TensorBoard("unused", profile_batch=(2, 4))
        keras.callbacks.TensorBoard("unused", embeddings_freq=1, embeddings_metadata="meta.tsv")
        keras.callbacks.TensorBoard("unused", write_grads=True)
    text = caplog.text
    assert "profiling is not supported" in text and "embedding visualization is not supported" in text
    assert "`write_grads` will be ignored" in text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        keras.callbacks.TensorBoard("unused", profile_batch="0")
    assert not caplog.text
    for bad in (-1, (3, 2), "a,b", 1.5):
        with pytest.raises(ValueError, match="profile_batch"):
            keras.callbacks.TensorBoard("unused", profile_batch=bad)
    with pytest.raises(ValueError, match="Unrecognized arguments"):
        keras.callbacks.TensorBoard("unused", histogram=1)
    for bad in ("step", 0):
        with pytest.raises(ValueError, match="update_freq"):
            keras.callbacks.TensorBoard("unused", update_freq=bad)


def test_missing_tensorboard_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"pip install tensorboard.*torchkeras_api\[tensorboard\]"):
        keras.callbacks.TensorBoard("unused")


def test_same_tags_and_steps_as_tf_keras(tmp_path):
    """The same fit under tf-keras and here: the same runs, tags and steps, and the same epoch values."""
    tfk = pytest.importorskip("tf_keras")

    def run(lib, model, log_dir):
        schedule = lib.optimizers.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
        model.compile(lib.optimizers.SGD(schedule), "binary_crossentropy", metrics=["accuracy"])
        x, y = _data()
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_data=_data(1),
                  callbacks=[lib.callbacks.TensorBoard(str(log_dir), histogram_freq=2, write_images=True,
                                                       update_freq=2, write_steps_per_second=True)])

    theirs_model = _model(tfk)
    ours_model = _model()
    ours_model.set_weights(theirs_model.get_weights())
    run(tfk, theirs_model, tmp_path / "tf")
    run(keras, ours_model, tmp_path / "ours")
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == ["train", "validation"]
    for run_name in ("train", "validation"):
        ours, theirs = _events(tmp_path / "ours" / run_name), _events(tmp_path / "tf" / run_name)
        assert _steps(ours) == _steps(theirs)
        ours_scalars, theirs_scalars = _scalars(ours), _scalars(theirs)
        for tag, values in theirs_scalars.items():
            if "steps_per_second" in tag:
                continue
            assert [s for s, _ in ours_scalars[tag]] == [s for s, _ in values], tag
            assert [v for _, v in ours_scalars[tag]] == pytest.approx([v for _, v in values], rel=1e-4, abs=1e-6), tag
