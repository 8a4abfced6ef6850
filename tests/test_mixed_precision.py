"""mixed_precision: policies, layers computing in bfloat16/float16 with float32 weights, loss scaling."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import mixed_precision as mp
from torchkeras_api.engine.variables import Variable


@pytest.fixture(autouse=True)
def _float32_policy():
    yield
    mp.set_global_policy(None)


def test_policy_attributes_and_errors():
    policy = mp.Policy("mixed_bfloat16")
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("mixed_bfloat16", "bfloat16", "float32")
    assert mp.Policy("float64").compute_dtype == "float64"
    with pytest.raises(ValueError, match="Cannot convert value foo"):
        mp.Policy("foo")
    with pytest.raises(ValueError, match="floating-point policies"):
        mp.set_global_policy("int32")
    assert mp.global_policy().name == "float32"


def _classifier():
    return keras.Sequential([keras.layers.Dense(32, activation="relu", input_shape=(8,)), keras.layers.Dense(2),
                             keras.layers.Activation("softmax", dtype="float32")])


def _data():
    rng = np.random.RandomState(0)
    x = rng.rand(256, 8).astype("float32")
    return x, (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype("int64")


def test_mixed_bfloat16_fit_converges_with_float32_weights():
    mp.set_global_policy("mixed_bfloat16")
    keras.utils.set_random_seed(0)
    model = _classifier()
    dense = model.layers[0]
    assert (dense.dtype, dense.compute_dtype, dense.dtype_policy.name) == ("float32", "bfloat16", "mixed_bfloat16")
    assert model.layers[-1].dtype_policy.name == "float32"
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert not isinstance(model.optimizer, mp.LossScaleOptimizer)
    x, y = _data()
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0).history
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["accuracy"][-1] > 0.85
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert dense(x[:4]).dtype == torch.bfloat16
    assert model.layers[1](dense(x[:4])).dtype == torch.bfloat16
    assert model(x[:4]).dtype == torch.float32
    assert model.predict(x[:4], verbose=0).dtype == np.float32


def test_mixed_layer_config_round_trip():
    layer = keras.layers.Dense(3, dtype="mixed_float16")
    config = layer.get_config()
    assert config["dtype"]["class_name"] == "Policy" and config["dtype"]["config"] == {"name": "mixed_float16"}
    clone = keras.layers.Dense.from_config(config)
    assert clone.dtype_policy == mp.Policy("mixed_float16") and clone.compute_dtype == "float16"
    assert keras.layers.Dense(3, dtype="float32").get_config()["dtype"] == "float32"


def test_compile_wraps_optimizer_under_mixed_float16():
    mp.set_global_policy("mixed_float16")
    model = _classifier()
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, mp.LossScaleOptimizer)
    assert float(model.optimizer.loss_scale) == 2.0 ** 15
    x, y = _data()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 4


def _scaled_step(optimizer, var, grad):
    var.grad = torch.as_tensor(grad, dtype=torch.float32) * optimizer.loss_scale
    optimizer.step([var])


def test_loss_scale_skips_and_halves_on_nonfinite_gradients():
    var = Variable(torch.tensor([1.0, 2.0]))
    optimizer = mp.LossScaleOptimizer(keras.optimizers.SGD(0.5), initial_scale=8.0, dynamic_growth_steps=2)
    _scaled_step(optimizer, var, [1.0, 1.0])
    np.testing.assert_allclose(var.detach().numpy(), [0.5, 1.5])
    for bad in (np.inf, np.nan):
        before = var.detach().clone()
        _scaled_step(optimizer, var, [bad, 1.0])
        torch.testing.assert_close(var.detach(), before)
        assert int(optimizer.dynamic_counter) == 0
    assert float(optimizer.loss_scale) == 2.0 and int(optimizer.iterations) == 3
    _scaled_step(optimizer, var, [1.0, 1.0])
    _scaled_step(optimizer, var, [1.0, 1.0])
    assert float(optimizer.loss_scale) == 4.0 and int(optimizer.dynamic_counter) == 0
    np.testing.assert_allclose(var.detach().numpy(), [-0.5, 0.5])


def test_loss_scale_helpers_and_fixed_scale():
    optimizer = mp.LossScaleOptimizer(keras.optimizers.SGD(0.1), dynamic=False, initial_scale=4.0)
    assert optimizer.dynamic_counter is None
    assert float(optimizer.get_scaled_loss(torch.tensor(2.0))) == 8.0
    grads = optimizer.get_unscaled_gradients([torch.tensor([4.0]), None])
    assert grads[1] is None and float(grads[0]) == 1.0
    var = Variable(torch.tensor([1.0]))
    optimizer.apply_gradients([(torch.tensor([np.inf]), var)])
    assert float(optimizer.loss_scale) == 4.0 and float(var.detach()) == 1.0
    with pytest.raises(TypeError, match="inner_optimizer"):
        mp.LossScaleOptimizer("sgd")


def test_experimental_names_of_tf_2_1_to_2_3():
    mp.experimental.set_policy(mp.experimental.Policy("mixed_bfloat16"))
    assert mp.global_policy().name == "mixed_bfloat16"
    optimizer = mp.experimental.LossScaleOptimizer(keras.optimizers.SGD(), loss_scale=128)
    assert not optimizer.dynamic and float(optimizer.loss_scale) == 128.0
