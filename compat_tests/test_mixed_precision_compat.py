"""mixed_precision against tf-keras: Policy attributes, config and serialization; LossScaleOptimizer state."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import mixed_precision as mp
from torchkeras_api.engine.variables import Variable


@pytest.fixture(autouse=True)
def _float32_policies(tfk):
    yield
    mp.set_global_policy(None)
    tfk.mixed_precision.set_global_policy(None)


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "float32", "float64", "float16"])
def test_policy_attributes_and_config(tfk, name):
    ours, theirs = mp.Policy(name), tfk.mixed_precision.Policy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name, theirs.compute_dtype, theirs.variable_dtype)
    assert ours.get_config() == theirs.get_config() and repr(ours) == repr(theirs)
    assert keras.utils.serialize_keras_object(ours) == tfk.utils.serialize_keras_object(theirs)


@pytest.mark.parametrize("dtype", ["mixed_float16", "float32", None])
def test_layer_dtype_attributes_under_global_mixed_policy(tfk, dtype):
    mp.set_global_policy("mixed_bfloat16")
    tfk.mixed_precision.set_global_policy("mixed_bfloat16")
    ours, theirs = keras.layers.Dense(2, dtype=dtype), tfk.layers.Dense(2, dtype=dtype)
    assert (ours.dtype, ours.compute_dtype, ours.variable_dtype, ours.dtype_policy.name) == (
        theirs.dtype, theirs.compute_dtype, theirs.variable_dtype, theirs.dtype_policy.name)
    assert ours.get_config()["dtype"] == theirs.get_config()["dtype"]


def test_invalid_policies_raise_like_tf(tfk):
    with pytest.raises(ValueError) as theirs:
        tfk.mixed_precision.Policy("foo")
    with pytest.raises(ValueError) as ours:
        mp.Policy("foo")
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError) as theirs:
        tfk.mixed_precision.set_global_policy("int32")
    with pytest.raises(ValueError) as ours:
        mp.set_global_policy("int32")
    assert str(ours.value) == str(theirs.value)


def test_loss_scale_state_transitions_match(tf, tfk):
    theirs_var = tf.Variable([1.0, 2.0])
    theirs = tfk.mixed_precision.LossScaleOptimizer(tfk.optimizers.SGD(0.1), initial_scale=8.0,
                                                    dynamic_growth_steps=2)
    ours_var = Variable(torch.tensor([1.0, 2.0]))
    ours = mp.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=8.0, dynamic_growth_steps=2)
    for grad in ([1.0, 1.0], [np.inf, 1.0], [1.0, 1.0], [1.0, 1.0], [np.nan, 1.0], [1.0, 1.0], [1.0, 1.0],
                 [1.0, 1.0]):
        theirs.apply_gradients([(tf.constant(grad), theirs_var)])
        ours.apply_gradients([(torch.tensor(grad), ours_var)])
        assert float(ours.loss_scale) == float(theirs.loss_scale)
        assert int(ours.dynamic_counter) == int(theirs.dynamic_counter)
        assert int(ours.iterations) == int(theirs.iterations)
        np.testing.assert_allclose(ours_var.detach().numpy(), theirs_var.numpy(), rtol=1e-6)


def test_loss_scale_optimizer_config(tfk):
    theirs = tfk.mixed_precision.LossScaleOptimizer(tfk.optimizers.SGD(0.1), dynamic=False, initial_scale=4.0)
    ours = mp.LossScaleOptimizer(keras.optimizers.SGD(0.1), dynamic=False, initial_scale=4.0)
    assert ours.get_config() == theirs.get_config()
    restored = mp.LossScaleOptimizer.from_config(ours.get_config())
    assert not restored.dynamic and float(restored.loss_scale) == 4.0
    for kwargs in ({"dynamic": False}, {"dynamic": False, "initial_scale": 2.0, "dynamic_growth_steps": 3}):
        with pytest.raises(ValueError) as their_error:
            tfk.mixed_precision.LossScaleOptimizer(tfk.optimizers.SGD(), **kwargs)
        with pytest.raises(ValueError) as our_error:
            mp.LossScaleOptimizer(keras.optimizers.SGD(), **kwargs)
        assert str(our_error.value) == str(their_error.value)
