"""Unit tests of torchkeras_api.initializers: values, distributions, seeding, dtypes, (de)serialization."""
import math
import warnings

import numpy as np
import pytest
import torch

from torchkeras_api import backend_config, initializers
from torchkeras_api.engine.device import default_device
from torchkeras_api.saving.object_registry import custom_object_scope

RANDOM_CLASSES = [initializers.RandomNormal, initializers.RandomUniform, initializers.TruncatedNormal,
                  initializers.VarianceScaling, initializers.GlorotUniform, initializers.GlorotNormal,
                  initializers.HeUniform, initializers.HeNormal, initializers.LecunUniform,
                  initializers.LecunNormal, initializers.Orthogonal]


def test_zeros_ones_constant_values():
    assert torch.equal(initializers.Zeros()((2, 3)), torch.zeros(2, 3, device=default_device()))
    assert torch.equal(initializers.Ones()([4]), torch.ones(4, device=default_device()))
    assert torch.equal(initializers.Constant(2.5)((2, 2)), torch.full((2, 2), 2.5, device=default_device()))
    values = initializers.Constant([[1, 2], [3, 4]])((4,), dtype="float64")
    assert values.dtype == torch.float64 and values.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert initializers.Constant(np.array([1.0, 2.0]))((2, 1)).tolist() == [[1.0], [2.0]]
    assert initializers.Constant(torch.tensor([5.0, 6.0]))((2,)).tolist() == [5.0, 6.0]


def test_constant_errors():
    with pytest.raises(TypeError, match="3 elements"):
        initializers.Constant([1.0, 2.0])((3,))
    with pytest.raises(TypeError, match="2.5"):
        initializers.Constant(2.5)((2,), dtype="int32")


@pytest.mark.parametrize("dtype, expected", [
    (None, torch.float32), ("float64", torch.float64), ("float16", torch.float16), ("bfloat16", torch.bfloat16),
    (torch.float64, torch.float64), (np.float32, torch.float32), (np.dtype("float64"), torch.float64),
])
def test_float_dtypes_and_device(dtype, expected):
    for init in (initializers.GlorotUniform(seed=1), initializers.Zeros(), initializers.Orthogonal(seed=1),
                 initializers.TruncatedNormal(seed=1), initializers.Identity()):
        out = init((3, 3), dtype=dtype)
        assert out.dtype == expected and out.device == default_device() and out.shape == (3, 3)


def test_default_dtype_follows_floatx():
    backend_config.set_floatx("float64")
    try:
        assert initializers.RandomNormal(seed=0)((2,)).dtype == torch.float64
    finally:
        backend_config.set_floatx("float32")


def test_integer_and_bool_dtypes():
    assert initializers.Zeros()((2,), dtype="int32").dtype == torch.int32
    assert initializers.Ones()((2,), dtype="bool").tolist() == [True, True]
    assert initializers.Constant(3)((2,), dtype=torch.int64).tolist() == [3, 3]
    values = initializers.RandomUniform(0, 10, seed=3)((1000,), dtype="int32")
    assert values.dtype == torch.int32 and values.min() >= 0 and values.max() <= 9 and len(values.unique()) == 10
    with pytest.raises(TypeError, match="-0.05"):
        initializers.RandomUniform()((2,), dtype="int32")
    with pytest.raises(ValueError, match="Expected float or integer dtype"):
        initializers.RandomUniform()((2,), dtype="bool")
    with pytest.raises(ValueError, match="Expected numeric or boolean dtype"):
        initializers.Zeros()((2,), dtype="string")


@pytest.mark.parametrize("cls", [c for c in RANDOM_CLASSES if c is not initializers.RandomUniform]
                         + [initializers.Identity])
def test_float_only_initializers_reject_int(cls):
    with pytest.raises(ValueError, match="Expected floating point type"):
        cls()((2, 2), dtype="int32")


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_seeded_is_deterministic(cls):
    first = cls(seed=7)((8, 6))
    assert torch.equal(first, cls(seed=7)((8, 6)))
    init = cls(seed=7)
    assert torch.equal(init((8, 6)), init((8, 6)))
    assert not torch.equal(first, cls(seed=8)((8, 6)))


def test_unseeded_instance_repeats_with_warning_and_instances_differ():
    init = initializers.RandomNormal()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = init((50,))
    with pytest.warns(UserWarning, match="unseeded and being called multiple times"):
        second = init((50,))
    assert torch.equal(first, second)
    assert not torch.equal(first, initializers.RandomNormal()((50,)))


def test_unseeded_follows_torch_manual_seed():
    torch.manual_seed(123)
    first = initializers.GlorotUniform()((5, 5))
    torch.manual_seed(123)
    assert torch.equal(first, initializers.GlorotUniform()((5, 5)))


def test_random_normal_and_uniform_statistics():
    values = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=0)((200, 500)).double()
    assert abs(values.mean() - 1.0) < 0.03 and abs(values.std() - 2.0) < 0.03
    values = initializers.RandomUniform(minval=-3.0, maxval=1.0, seed=0)((200, 500)).double()
    assert values.min() >= -3.0 and values.max() < 1.0
    assert abs(values.mean() + 1.0) < 0.02 and abs(values.std() - 4.0 / math.sqrt(12)) < 0.02


def test_truncated_normal_is_cut_at_two_stddevs():
    values = initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=0)((200, 500)).double()
    assert values.min() >= 0.3 and values.max() <= 0.7
    assert values.min() < 0.31 and values.max() > 0.69
    assert abs(values.mean() - 0.5) < 0.002 and abs(values.std() - 0.1 * 0.8796) < 0.002


@pytest.mark.parametrize("shape, fan_in, fan_out", [
    ((), 1, 1), ((7,), 7, 7), ((20, 30), 20, 30), ((5, 8, 16), 40, 80), ((3, 3, 16, 32), 144, 288),
    ((2, 3, 3, 4, 8), 72, 144),
])
def test_fan_computation_in_keras_layout(shape, fan_in, fan_out):
    for mode, n in (("fan_in", fan_in), ("fan_out", fan_out), ("fan_avg", (fan_in + fan_out) / 2)):
        values = initializers.VarianceScaling(scale=3.0, mode=mode, distribution="uniform", seed=0)(shape)
        limit = math.sqrt(3.0 * 3.0 / max(1.0, n))
        assert values.shape == shape
        assert values.abs().max() <= limit
        if values.numel() > 1000:
            assert values.abs().max() > 0.98 * limit


@pytest.mark.parametrize("cls, scale, mode, distribution", [
    (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeUniform, 2.0, "fan_in", "uniform"),
    (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
    (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
])
def test_presets(cls, scale, mode, distribution):
    init = cls(seed=4)
    assert isinstance(init, initializers.VarianceScaling)
    assert (init.scale, init.mode, init.distribution, init.seed) == (scale, mode, distribution, 4)
    assert init.get_config() == {"seed": 4}
    shape = (3, 3, 64, 128)
    fan_in, fan_out = 9 * 64, 9 * 128
    n = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2
    values = init(shape).double()
    assert abs(values.std().item() - math.sqrt(scale / n)) < 0.02 * math.sqrt(scale / n)
    bound = math.sqrt(3 * scale / n) if distribution == "uniform" else 2 * math.sqrt(scale / n) / 0.8796256610342398
    assert values.abs().max() <= bound * (1 + 1e-6)


def test_variance_scaling_untruncated_normal():
    values = initializers.VarianceScaling(scale=2.0, distribution="untruncated_normal", seed=0)((400, 400)).double()
    assert abs(values.std().item() - math.sqrt(2.0 / 400)) < 0.01 * math.sqrt(2.0 / 400)
    assert values.abs().max() > 3 * math.sqrt(2.0 / 400)


def test_variance_scaling_argument_validation():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert initializers.VarianceScaling(distribution="UNIFORM").distribution == "uniform"
    with pytest.raises(ValueError, match="`scale` must be positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: FAN_IN"):
        initializers.VarianceScaling(mode="FAN_IN")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: foo"):
        initializers.VarianceScaling(distribution="foo")


@pytest.mark.parametrize("shape", [(10, 4), (4, 10), (6, 6), (3, 3, 8, 16), (2, 5, 3)])
def test_orthogonal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=1)(shape, dtype="float64")
    flat = values.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    torch.testing.assert_close(gram, 4.0 * torch.eye(min(rows, cols), dtype=torch.float64, device=gram.device))


def test_orthogonal_errors_and_empty():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))
    assert initializers.Orthogonal(seed=0)((0, 3)).shape == (0, 3)


def test_identity():
    assert initializers.Identity(gain=2.0)((2, 3)).tolist() == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    for shape in ((3,), (2, 2, 2)):
        with pytest.raises(ValueError, match="only be used for 2D matrices"):
            initializers.Identity()(shape)


def test_call_keyword_arguments():
    init = initializers.GlorotUniform(seed=0)
    assert init((2, 2), layout=None, partition_shape=None, partition_offset=None).shape == (2, 2)
    with pytest.raises(TypeError, match=r"Unknown keyword arguments: \['foo'\]"):
        init((2, 2), foo=1)


def test_base_initializer():
    with pytest.raises(NotImplementedError):
        initializers.Initializer()((2,))
    assert initializers.Initializer().get_config() == {}
    assert initializers.Initializer._keras_module == "keras.initializers"


ALIASES = {
    "zeros": "Zeros", "zero": "Zeros", "ones": "Ones", "one": "Ones", "constant": "Constant",
    "random_normal": "RandomNormal", "normal": "RandomNormal", "random_uniform": "RandomUniform",
    "uniform": "RandomUniform", "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform",
    "he_normal": "HeNormal", "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal",
    "orthogonal": "Orthogonal", "identity": "Identity",
}


@pytest.mark.parametrize("alias, class_name", sorted(ALIASES.items()))
def test_get_by_name(alias, class_name):
    cls = getattr(initializers, class_name)
    assert isinstance(initializers.get(alias), cls)
    assert isinstance(initializers.get(class_name), cls)
    if alias in initializers.__all__:
        assert getattr(initializers, alias) is cls


def test_get_other_identifiers_and_errors():
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    init = initializers.HeNormal(seed=2)
    assert initializers.get(init) is init

    def custom(shape, dtype=None):
        return torch.zeros(shape)

    assert initializers.get(custom) is custom
    with pytest.raises(ValueError, match="'not_an_init'"):
        initializers.get("not_an_init")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 3"):
        initializers.get(3)


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Constant(1.5), initializers.RandomNormal(0.1, 0.2, seed=3),
    initializers.RandomUniform(-1, 2), initializers.TruncatedNormal(stddev=0.3), initializers.Identity(gain=0.5),
    initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=1), initializers.GlorotUniform(seed=9),
    initializers.Orthogonal(gain=3.0), initializers.HeNormal(),
])
def test_serialize_round_trip(init):
    config = initializers.serialize(init)
    assert config == {"module": "keras.initializers", "class_name": type(init).__name__,
                      "config": init.get_config(), "registered_name": None}
    restored = initializers.deserialize(config)
    assert type(restored) is type(init) and restored.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()


def test_from_config_ignores_dtype_and_custom_objects_resolve():
    assert initializers.RandomNormal.from_config({"mean": 1.0, "dtype": "float32"}).mean == 1.0

    class MyInit(initializers.Initializer):
        def __call__(self, shape, dtype=None, **kwargs):
            return torch.full(shape, 7.0)

    with custom_object_scope({"MyInit": MyInit}):
        assert isinstance(initializers.get("MyInit"), MyInit)
        assert isinstance(initializers.deserialize(initializers.serialize(MyInit())), MyInit)
