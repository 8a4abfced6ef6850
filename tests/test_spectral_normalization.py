"""SpectralNormalization without the tf.keras oracle: the power-iteration update against numpy and an SVD,
training vs inference, symbolic calls, configs, errors and .h5 round trips."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _l2_normalize(a):
    return a / np.sqrt(max(float((a * a).sum()), 1e-12))


def _expected_update(kernel, vector_u, power_iterations):
    """The new kernel and vector_u, computed in numpy on the tf.keras-layout kernel."""
    matrix = kernel.reshape(-1, kernel.shape[-1]).astype("float64")
    u = vector_u.astype("float64")
    for _ in range(power_iterations):
        v = _l2_normalize(u @ matrix.T)
        u = _l2_normalize(v @ matrix)
    sigma = (v @ matrix @ u.T).item()
    return kernel / sigma, u


@pytest.mark.parametrize("wrapped, shape", [
    (lambda: layers.Dense(4), (3, 6)),
    (lambda: layers.Conv2D(3, 2), (2, 5, 5, 4)),
    (lambda: layers.Conv1DTranspose(2, 3), (2, 6, 5)),
])
@pytest.mark.parametrize("power_iterations", [1, 3])
def test_training_call_normalizes_kernel_and_updates_vector_u(wrapped, shape, power_iterations):
    layer = layers.SpectralNormalization(wrapped(), power_iterations=power_iterations)
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    layer(x)
    kernel, vector_u = layer.kernel.numpy(), layer.vector_u.numpy()
    expected_kernel, expected_u = _expected_update(kernel, vector_u, power_iterations)
    y = layer(x, training=True)
    np.testing.assert_allclose(layer.kernel.numpy(), expected_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.vector_u.numpy(), expected_u, rtol=1e-5, atol=1e-6)
    reference = wrapped()
    reference(x)
    reference.set_weights(layer.layer.get_weights())
    np.testing.assert_allclose(y.detach().numpy(), reference(x).detach().numpy(), rtol=1e-6)


def test_repeated_training_calls_converge_to_unit_spectral_norm():
    layer = layers.SpectralNormalization(layers.Dense(5, kernel_initializer="random_normal"))
    x = np.ones((2, 8), "float32")
    for _ in range(30):
        layer(x, training=True)
    kernel = layer.kernel.numpy()
    assert np.linalg.svd(kernel, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)


def test_inference_calls_leave_weights_unchanged():
    layer = layers.SpectralNormalization(layers.Dense(3))
    x = np.ones((2, 4), "float32")
    layer(x)
    before = layer.get_weights()
    for training in (None, False):
        y = layer(x, training=training)
        for old, new in zip(before, layer.get_weights()):
            np.testing.assert_array_equal(old, new)
    np.testing.assert_allclose(y.detach().numpy(), x @ before[0] + before[1], rtol=1e-6)


def test_weights_kernel_property_and_input_spec():
    layer = layers.SpectralNormalization(layers.Conv2D(3, 2))
    layer(np.zeros((1, 4, 4, 2), "float32"))
    assert [(w.name, w.keras_shape, w.trainable) for w in layer.weights] == [
        ("spectral_normalization/kernel:0", (2, 2, 2, 3), True), ("spectral_normalization/bias:0", (3,), True),
        ("spectral_normalization/vector_u:0", (1, 3), False)]
    assert layer.kernel is layer.layer.kernel
    assert layer.kernel_shape == [2, 2, 2, 3]
    assert layer.input_spec.shape == (None, 4, 4, 2)
    assert not layer.vector_u.requires_grad


def test_embedding_weights_are_normalized():
    layer = layers.SpectralNormalization(layers.Embedding(6, 3))
    ids = np.array([[0, 2, 5]])
    layer(ids)
    expected, _ = _expected_update(layer.kernel.numpy(), layer.vector_u.numpy(), 1)
    y = layer(ids, training=True)
    np.testing.assert_allclose(y.detach().numpy(), expected[ids[0]][None], rtol=1e-5)


def test_symbolic_training_call_does_not_update_weights():
    layer = layers.SpectralNormalization(layers.Dense(2))
    inputs = keras.Input((3,))
    layer(inputs)
    before = layer.get_weights()
    outputs = layer(inputs, training=True)
    assert tuple(outputs.shape) == (None, 2)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_errors():
    with pytest.raises(ValueError, match=r"`power_iterations` should be greater than zero. Received: "
                                         r"`power_iterations=0`"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="supplied to wrapper is not a supported layer type"):
        layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match="LSTM object has no attribute 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.LSTM(2))(np.zeros((1, 2, 3), "float32"))
    layer = layers.SpectralNormalization(layers.Dense(2))
    layer(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(1, 4\)"):
        layer(np.zeros((1, 4), "float32"))


def test_model_config_and_h5_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((5,)), layers.SpectralNormalization(layers.Dense(4), power_iterations=2),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    rng = np.random.RandomState(1)
    x, y = rng.randn(8, 5).astype("float32"), rng.randn(8, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = str(tmp_path / "model.h5")
    model.save(path)
    restored = keras.models.load_model(path)
    assert restored.layers[0].get_config() == model.layers[0].get_config()
    assert [w.name for w in restored.weights] == [w.name for w in model.weights]
    for old, new in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_kernel_gradient_is_taken_at_the_normalized_kernel():
    layer = layers.SpectralNormalization(layers.Dense(2, use_bias=False))
    x = torch.tensor(np.random.RandomState(2).randn(3, 4).astype("float32"))
    layer(x)
    loss = (layer(x, training=True) ** 2).sum()
    (grad,) = torch.autograd.grad(loss, [layer.kernel])
    kernel = layer.kernel.detach()
    np.testing.assert_allclose(grad.numpy(), (2 * x.T @ (x @ kernel)).numpy(), rtol=1e-5)
