"""HashedCrossing against the real tf.keras: bins of int and string crosses, one-hot outputs, shapes, dtypes,
configs, errors and a functional model with string and int Inputs."""
import numpy as np
import pytest

import torchkeras_api as keras


def _random_strings(rng, n):
    alphabet = list("abcXYZ019 _-é中")
    lengths = rng.choice([0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 130], size=n)
    return np.array(["".join(rng.choice(alphabet, size=length)) for length in lengths])


def _features(kind, rng, n):
    if kind == "str":
        return _random_strings(rng, n)
    if kind == "int32":
        return rng.randint(-1000, 1000, size=n).astype("int32")
    return rng.randint(-2 ** 62, 2 ** 62, size=n, dtype=np.int64)


def _theirs(tf, layer, features):
    return layer(tuple(tf.constant(f) for f in features)).numpy()


@pytest.mark.parametrize("kinds", [("str", "int64"), ("int64", "str"), ("str", "str"), ("int32", "int64"),
                                   ("int64", "str", "int32")])
@pytest.mark.parametrize("num_bins", [1, 7, 1000, 2 ** 40, 0])
def test_int_bins_match(tf, tfk, kinds, num_bins):
    rng = np.random.RandomState(num_bins % 97)
    features = [_features(kind, rng, 40) for kind in kinds]
    theirs = _theirs(tf, tfk.layers.HashedCrossing(num_bins), features)
    ours = keras.layers.HashedCrossing(num_bins)(tuple(features))
    assert str(ours.dtype) == "torch.int64" and theirs.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), theirs)


@pytest.mark.parametrize("shape", [(), (6,), (6, 1)])
@pytest.mark.parametrize("output_mode", ["int", "one_hot"])
def test_shapes_and_output_modes_match(tf, tfk, shape, output_mode):
    rng = np.random.RandomState(3)
    size = int(np.prod(shape))
    features = [_random_strings(rng, size).reshape(shape), _features("int64", rng, size).reshape(shape)]
    theirs = _theirs(tf, tfk.layers.HashedCrossing(5, output_mode=output_mode), features)
    ours = keras.layers.HashedCrossing(5, output_mode=output_mode)(features).numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_python_lists_and_bytes_match(tfk):
    features = ([b"A", b"B", b"caf\xc3\xa9"], [1, 2, 3])
    np.testing.assert_array_equal(keras.layers.HashedCrossing(11)(features).numpy(),
                                  tfk.layers.HashedCrossing(11)(features).numpy())


def test_configs_and_dtypes_match(tfk):
    for kwargs in (dict(num_bins=5), dict(num_bins=3, output_mode="one_hot"), dict(num_bins=4, dtype="int32"),
                   dict(num_bins=4, output_mode="one_hot", dtype="int32"), dict(num_bins=2, sparse=True)):
        ours, theirs = keras.layers.HashedCrossing(**kwargs), tfk.layers.HashedCrossing(**kwargs)
        assert ours.get_config() == theirs.get_config()
        assert keras.layers.HashedCrossing.from_config(ours.get_config()).get_config() == theirs.get_config()
        assert keras.layers.experimental.preprocessing.HashedCrossing is keras.layers.HashedCrossing


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    message = str(info.value)
    if message.startswith("Exception encountered when calling layer"):
        message = message.split("\n\n")[1]
    return info.type, message.split("Received")[0]


@pytest.mark.parametrize("inputs", [
    lambda: np.array(["a", "b"]),
    lambda: (np.array(["a", "b"]),),
    lambda: (np.array(["a", "b"]), np.array([1, 2, 3])),
    lambda: (np.array(["a", "b"]), np.array([[1], [2]])),
    lambda: (np.array([["a", "b"]]), np.array([[1, 2]])),
    lambda: (np.ones((2, 1, 1), "int64"), np.ones((2, 1, 1), "int64")),
    lambda: (np.array(["a", "b"]), np.array([1.0, 2.0], "float32")),
    lambda: (np.array([True, False]), np.array([1, 2])),
])
def test_input_errors_match(tfk, inputs):
    assert _error(lambda: keras.layers.HashedCrossing(3)(inputs())) == \
        _error(lambda: tfk.layers.HashedCrossing(3)(inputs()))


def test_argument_errors_match(tfk):
    for kwargs in (dict(num_bins=3, output_mode="multi_hot"), dict(num_bins=3, dtype="float32")):
        ours_type, ours_message = _error(lambda: keras.layers.HashedCrossing(**kwargs))
        theirs_type, theirs_message = _error(lambda: tfk.layers.HashedCrossing(**kwargs))
        assert ours_type is theirs_type is ValueError and ours_message == theirs_message
    features = (np.array(["a"]), np.array([1]))
    assert _error(lambda: keras.layers.HashedCrossing(None)(features)) == \
        _error(lambda: tfk.layers.HashedCrossing(None)(features))


@pytest.mark.parametrize("output_mode", ["int", "one_hot"])
def test_functional_model_with_string_and_int_inputs_matches(tfk, output_mode):
    def model(K):
        first, second = K.Input(shape=(), dtype="string"), K.Input(shape=(), dtype="int64")
        return K.Model([first, second], K.layers.HashedCrossing(9, output_mode=output_mode)((first, second)))

    ours, theirs = model(keras), model(tfk)
    assert tuple(ours.output.shape) == tuple(theirs.output.shape)
    rng = np.random.RandomState(4)
    features = [_random_strings(rng, 10), _features("int64", rng, 10)]
    np.testing.assert_array_equal(ours.predict(features, verbose=0), theirs.predict(features, verbose=0))
    for wrong in ((keras.Input(shape=(), dtype="string"), keras.Input(shape=(1,), dtype="int64")),
                  (keras.Input(shape=()), keras.Input(shape=(), dtype="int64"))):
        with pytest.raises(ValueError, match="All `HashedCrossing` inputs should have"):
            keras.layers.HashedCrossing(3)(wrong)
