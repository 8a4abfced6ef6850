"""CUDA-only checks of placement, mixed float16 and multi-GPU data parallelism (skipped without CUDA).
Run on a GPU machine: python -m pytest -q tests/test_gpu.py"""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import mixed_precision as mp

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.fixture(autouse=True)
def _float32_policy():
    yield
    mp.set_global_policy(None)


def _data(n=512):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 16).astype("float32")
    return x, (x[:, :8].sum(1) > x[:, 8:].sum(1)).astype("int64")


def _model():
    return keras.Sequential([keras.layers.Dense(64, activation="relu", input_shape=(16,)), keras.layers.Dense(2),
                             keras.layers.Activation("softmax", dtype="float32")])


def test_weights_and_batches_on_cuda():
    model = _model()
    assert all(w.device.type == "cuda" for w in model.weights)
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer.iterations.device.type == "cuda"


def test_host_resident_data_streams_to_the_same_weights(monkeypatch):
    from torchkeras_api.engine import data_adapter
    x, y = _data()
    weights = []
    for fraction in (data_adapter.DEVICE_DATA_FRACTION, 0.0):
        monkeypatch.setattr(data_adapter, "DEVICE_DATA_FRACTION", fraction)
        keras.utils.set_random_seed(0)
        model = _model()
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for on_device, streamed in zip(*weights):
        np.testing.assert_allclose(streamed, on_device, rtol=1e-6, atol=1e-7)


def test_mixed_float16_on_cuda_with_loss_scaling():
    mp.set_global_policy("mixed_float16")
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert isinstance(model.optimizer, mp.LossScaleOptimizer)
    x, y = _data()
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0).history
    assert history["accuracy"][-1] > 0.85
    assert model.layers[0](torch.as_tensor(x[:4], device="cuda")).dtype == torch.float16
    assert model(x[:4]).dtype == torch.float32
    assert all(w.dtype == torch.float32 for w in model.weights)


def test_mixed_float16_conv_net_trains():
    mp.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.layers.Conv2D(8, 3, activation="relu", input_shape=(16, 16, 3)),
                              keras.layers.BatchNormalization(), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2), keras.layers.Activation("softmax", dtype="float32")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.rand(64, 16, 16, 3).astype("float32")
    y = np.random.randint(0, 2, 64)
    history = model.fit(x, y, epochs=2, verbose=0).history
    assert np.isfinite(history["loss"]).all()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 GPUs")
def test_mirrored_strategy_over_two_gpus_matches_one_device():
    x, y = _data()
    keras.utils.set_random_seed(0)
    single = _model()
    init = single.get_weights()
    single.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    expected = single.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0).history
    strategy = keras.distribute.MirroredStrategy()
    assert strategy.num_replicas_in_sync == torch.cuda.device_count()
    with strategy.scope():
        model = _model()
        model.set_weights(init)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-4)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 GPUs")
def test_multi_gpu_model_trains():
    from torchkeras_api.utils import multi_gpu_model
    model = _model()
    parallel = multi_gpu_model(model, gpus=2)
    parallel.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data()
    parallel.fit(x, y, batch_size=64, epochs=1, verbose=0)
    np.testing.assert_allclose(parallel.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0), rtol=1e-5)


@pytest.mark.parametrize("layer_name", ["LSTM", "GRU"])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrent_layers_on_cudnn_match_the_cpu(layer_name, masked):
    """LSTM/GRU on CUDA run torch's fused kernel (cuDNN) and give the CPU's outputs and input gradients."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 12, 8)).astype("float32")
    lengths = [12, 9, 5, 1] if masked else [12] * 4
    mask = np.arange(12)[None, :] < np.array(lengths)[:, None]
    weights = None
    results = []
    for device in ("cpu", "cuda"):
        layer = getattr(keras.layers, layer_name)(16, return_sequences=True)
        layer.build((None, 12, 8))
        layer.to(device)
        if weights is None:
            weights = layer.get_weights()
        layer.set_weights(weights)
        inputs = torch.tensor(x, device=device, requires_grad=True)
        outputs = layer(inputs, mask=torch.tensor(mask, device=device) if masked else None)
        outputs.sum().backward()
        results.append((outputs.detach().cpu().numpy(), inputs.grad.cpu().numpy()))
    assert torch.backends.cudnn.is_available()
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-4, atol=1e-5)
