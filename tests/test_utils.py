"""keras.utils: to_categorical and the custom-object registry."""
import numpy as np
import pytest

import torchkeras_api as keras


def test_to_categorical_seed_example():
    cat = keras.utils.to_categorical([1, 0, 2], num_classes=3)
    np.testing.assert_array_equal(cat, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert cat.dtype == np.float32


def test_to_categorical_shapes_and_errors():
    assert keras.utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)
    assert keras.utils.to_categorical(np.zeros((2, 5), int), 3).shape == (2, 5, 3)
    with pytest.raises(ValueError, match="num_classes=2"):
        keras.utils.to_categorical([0, 2], num_classes=2)


def test_registered_layer_deserializes_by_name():
    @keras.utils.register_keras_serializable(package="Test")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    config = keras.layers.serialize(Doubler(name="twice"))
    assert config["registered_name"] == "Test>Doubler"
    assert isinstance(keras.layers.deserialize(config), Doubler)


def test_custom_object_scope():
    class Scoped(keras.layers.Layer):
        pass

    config = {"class_name": "Scoped", "config": {"name": "s"}}
    with pytest.raises(ValueError, match="Unknown layer: 'Scoped'"):
        keras.layers.deserialize(config)
    with keras.utils.custom_object_scope({"Scoped": Scoped}):
        assert keras.layers.deserialize(config).name == "s"
    assert keras.layers.deserialize(config, custom_objects={"Scoped": Scoped}).name == "s"


def test_set_random_seed_makes_initial_weights_reproducible():
    def weights():
        keras.utils.set_random_seed(7)
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        return layer.get_weights()[0], np.random.rand(), __import__("random").random()

    (w1, n1, r1), (w2, n2, r2) = weights(), weights()
    np.testing.assert_array_equal(w1, w2)
    assert (n1, r1) == (n2, r2)
    with pytest.raises(ValueError, match="integer"):
        keras.utils.set_random_seed(1.5)
