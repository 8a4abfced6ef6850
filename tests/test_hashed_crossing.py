"""HashedCrossing without the tf.keras oracle: bins against a pure-Python FingerprintCat64 cross, the uint64
remainder, output modes and shapes, errors, and functional models with string and int inputs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers
from torchkeras_api.layers.preprocessing.hashed_crossing import unsigned_remainder
from torchkeras_api.layers.preprocessing.hashing import fingerprint64

_U64 = (1 << 64) - 1


def _cat64(fp1, fp2):
    """FingerprintCat64 on Python ints (mod 2**64)."""
    mul = 0xC6A4A7935BD1E995

    def shift_mix(v):
        return v ^ (v >> 47)

    result = fp1 ^ mul
    result ^= (shift_mix((fp2 * mul) & _U64) * mul) & _U64
    result = (result * mul) & _U64
    result = (shift_mix(result) * mul) & _U64
    return shift_mix(result)


def _reference_bins(features, num_bins):
    out = []
    for values in zip(*features):
        hashed = 0xDECAFCAFFE
        for value in values:
            if isinstance(value, str):
                value_hash = int(fingerprint64([value.encode("utf-8")])[0])
            else:
                value_hash = int(value) & _U64
            hashed = _cat64(hashed, value_hash)
        out.append(hashed % (num_bins or (1 << 63) - 1))
    return out


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def test_docstring_example():
    layer = layers.HashedCrossing(num_bins=5)
    out = layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
    assert out.dtype == torch.int64
    assert out.tolist() == [1, 4, 1, 1, 3]


@pytest.mark.parametrize("num_bins", [1, 10, 2 ** 33 + 1, 0])
def test_bins_match_a_pure_python_cross(num_bins):
    rng = np.random.RandomState(0)
    strings = ["".join(rng.choice(list("xyz0é"), size=n)) for n in rng.randint(0, 80, size=20)]
    ints = rng.randint(-2 ** 63, 2 ** 63 - 1, size=20, dtype=np.int64)
    small = rng.randint(-5, 5, size=20).astype("int32")
    features = [np.array(strings), ints, small]
    out = layers.HashedCrossing(num_bins)(tuple(features))
    assert out.tolist() == _reference_bins([strings, ints.tolist(), small.tolist()], num_bins)


@pytest.mark.parametrize("divisor", [1, 3, 1000, 2 ** 62 + 7, 2 ** 63 - 1])
def test_unsigned_remainder_of_int64_bits(divisor):
    values = [0, 1, -1, -2, 2 ** 63 - 1, -2 ** 63, 123456789, -987654321]
    out = unsigned_remainder(torch.tensor(values, dtype=torch.int64), divisor)
    assert out.tolist() == [(v & _U64) % divisor for v in values]


@pytest.mark.parametrize("shape", [(), (4,), (4, 1)])
def test_output_shapes_and_one_hot(shape):
    size = int(np.prod(shape))
    features = (np.array(["p", "q", "r", "s"][:size]).reshape(shape), np.arange(size).reshape(shape))
    bins = layers.HashedCrossing(6)(features)
    one_hot = layers.HashedCrossing(6, output_mode="one_hot")(features)
    assert tuple(bins.shape) == shape
    assert one_hot.dtype == torch.float32
    expected = np.eye(6, dtype="float32")[bins.numpy().reshape(-1)]
    np.testing.assert_array_equal(one_hot.numpy(), expected[0] if shape == () else expected)


def test_tensor_and_list_inputs_agree_with_arrays():
    layer = layers.HashedCrossing(13, dtype="int32")
    from_arrays = layer((np.array([3, 4, 5]), np.array([7, 8, 9])))
    from_tensors = layer((torch.tensor([3, 4, 5]), torch.tensor([7, 8, 9], dtype=torch.int32)))
    from_lists = layer(([3, 4, 5], [7, 8, 9]))
    assert from_arrays.dtype == torch.int32
    assert from_arrays.tolist() == from_tensors.tolist() == from_lists.tolist() == \
        _reference_bins([[3, 4, 5], [7, 8, 9]], 13)


@pytest.mark.parametrize("inputs, match", [
    (np.array(["a", "b"]), "should be called on a list or tuple of inputs"),
    ((np.array(["a", "b"]),), "should be called on at least two inputs"),
    ((np.array(["a", "b"]), np.array([1, 2, 3])), "should have equal shape"),
    ((np.array([["a", "b"]]), np.array([[1, 2]])), r"should have shape `\[\]`, `\[batch_size\]` or"),
    ((np.array(["a", "b"]), np.array([1.0, 2.0])), "should have an integer or string dtype"),
])
def test_input_errors(inputs, match):
    with pytest.raises(ValueError, match=match):
        layers.HashedCrossing(3)(inputs)


def test_argument_errors():
    with pytest.raises(ValueError, match="Unkown value for `output_mode` argument of layer HashedCrossing"):
        layers.HashedCrossing(3, output_mode="count")
    with pytest.raises(ValueError, match="When `output_mode='int'`, `dtype` should be an integer type"):
        layers.HashedCrossing(3, dtype="float32")
    with pytest.raises(NotImplementedError, match="sparse=True"):
        layers.HashedCrossing(3, output_mode="one_hot", sparse=True)
    with pytest.raises(ValueError, match="must be at least minimum 0"):
        layers.HashedCrossing(-1)((np.array([1]), np.array([2])))


def test_functional_model_predicts_fits_and_round_trips_its_config():
    first, second = keras.Input(shape=(), dtype="string"), keras.Input(shape=(), dtype="int64")
    crossed = layers.HashedCrossing(8, output_mode="one_hot")((first, second))
    assert tuple(crossed.shape) == (None, 8)
    model = keras.Model([first, second], layers.Dense(1)(crossed))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    strings, ints = np.array(["a", "b", "c", "a"]), np.array([1, 1, 2, 2])
    targets = np.array([1.0, -1.0, 0.5, 2.0], "float32")
    history = model.fit([strings, ints], targets, epochs=20, batch_size=4, verbose=0).history["loss"]
    assert history[-1] < history[0]
    clone = keras.Model.from_config(model.get_config())
    assert clone.layers[2].get_config() == model.layers[2].get_config()
    bins = keras.Model([first, second], layers.HashedCrossing(8)((first, second)))
    np.testing.assert_array_equal(bins.predict([strings, ints], verbose=0),
                                  _reference_bins([strings.tolist(), ints.tolist()], 8))
