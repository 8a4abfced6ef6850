"""Unit tests of torchkeras_api.regularizers and torchkeras_api.constraints."""
import numpy as np
import pytest
import torch

from torchkeras_api import backend_config, constraints, regularizers
from torchkeras_api.saving.object_registry import custom_object_scope

W = np.random.RandomState(0).randn(5, 4)
EPS = 1e-7


def _t(x):
    return torch.tensor(x, dtype=torch.float64)


def _f32(x):
    return float(np.float32(x))


# ---- regularizers --------------------------------------------------------------------------

def test_l1_l2_l1l2_values():
    np.testing.assert_allclose(regularizers.L1(0.1)(_t(W)).item(), _f32(0.1) * np.abs(W).sum(), rtol=1e-12)
    np.testing.assert_allclose(regularizers.L2(0.2)(_t(W)).item(), _f32(0.2) * (W ** 2).sum(), rtol=1e-12)
    expected = _f32(0.1) * np.abs(W).sum() + _f32(0.2) * (W ** 2).sum()
    np.testing.assert_allclose(regularizers.L1L2(0.1, 0.2)(_t(W)).item(), expected, rtol=1e-12)
    zero = regularizers.L1L2()(_t(W))
    assert zero.item() == 0.0 and zero.dtype == torch.float64 and zero.dim() == 0


def test_regularizer_gradients():
    w = _t(W).requires_grad_(True)
    regularizers.L1L2(0.1, 0.2)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), _f32(0.1) * np.sign(W) + 2 * _f32(0.2) * W, rtol=1e-12)


def test_penalties_are_stored_in_floatx():
    assert regularizers.L1().get_config() == {"l1": _f32(0.01)}
    assert regularizers.L2(0.3).l2 == _f32(0.3)
    assert regularizers.L1L2(l1=0.1).get_config() == {"l1": _f32(0.1), "l2": 0.0}
    backend_config.set_floatx("float64")
    try:
        assert regularizers.L1(0.3).l1 == 0.3
    finally:
        backend_config.set_floatx("float32")


def test_constructor_arguments():
    assert regularizers.L1(None).l1 == _f32(0.01)
    assert regularizers.L2(l=0.5).l2 == 0.5
    assert regularizers.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.L1(True).l1 == 1.0
    with pytest.raises(TypeError, match="not recognized"):
        regularizers.L1(foo=1)
    with pytest.raises(ValueError, match="expected an int or float"):
        regularizers.L2("a")
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="infinite number or NaN"):
            regularizers.L1L2(l1=bad)


def test_l1_l2_function_defaults():
    reg = regularizers.l1_l2()
    assert isinstance(reg, regularizers.L1L2) and reg.get_config() == {"l1": _f32(0.01), "l2": _f32(0.01)}
    assert regularizers.l1_l2(l2=0.0).get_config() == {"l1": _f32(0.01), "l2": 0.0}


def _orthogonal_penalty(x, factor, mode):
    vectors = x if mode == "rows" else x.T
    unit = vectors / np.sqrt(np.maximum((vectors ** 2).sum(axis=1, keepdims=True), 1e-12))
    product = unit @ unit.T
    size = product.shape[0]
    return factor * 0.5 * np.abs(product * (1 - np.eye(size))).sum() / (size * (size - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer(mode):
    reg = regularizers.OrthogonalRegularizer(factor=0.1, mode=mode)
    np.testing.assert_allclose(reg(_t(W)).item(), _orthogonal_penalty(W, _f32(0.1), mode), rtol=1e-12)
    assert reg.get_config() == {"factor": _f32(0.1), "mode": mode}
    assert reg(torch.eye(3, dtype=torch.float64)).item() == 0.0


def test_orthogonal_regularizer_errors():
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="Received: mode=foo"):
        regularizers.OrthogonalRegularizer(mode="foo")


def test_base_regularizer():
    out = regularizers.Regularizer()(torch.ones(3))
    assert out.item() == 0.0 and out.dim() == 0
    with pytest.raises(NotImplementedError):
        regularizers.Regularizer().get_config()


@pytest.mark.parametrize("name, cls, config", [
    ("l1", regularizers.L1, {"l1": _f32(0.01)}), ("L1", regularizers.L1, {"l1": _f32(0.01)}),
    ("l2", regularizers.L2, {"l2": _f32(0.01)}), ("L2", regularizers.L2, {"l2": _f32(0.01)}),
    ("l1_l2", regularizers.L1L2, {"l1": _f32(0.01), "l2": _f32(0.01)}),
    ("L1L2", regularizers.L1L2, {"l1": 0.0, "l2": 0.0}),
    ("orthogonal_regularizer", regularizers.OrthogonalRegularizer, {"factor": _f32(0.01), "mode": "rows"}),
    ("OrthogonalRegularizer", regularizers.OrthogonalRegularizer, {"factor": _f32(0.01), "mode": "rows"}),
])
def test_regularizer_get_by_name(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_regularizer_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.5)
    assert regularizers.get(reg) is reg
    with pytest.raises(ValueError, match="'l1l2'"):
        regularizers.get("l1l2")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 3"):
        regularizers.get(3)


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
                                 regularizers.OrthogonalRegularizer(0.5, "columns")])
def test_regularizer_round_trip(reg):
    config = regularizers.serialize(reg)
    assert config == {"module": "keras.regularizers", "class_name": type(reg).__name__,
                      "config": reg.get_config(), "registered_name": None}
    restored = regularizers.deserialize(config)
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


def test_custom_regularizer_resolves_in_scope():
    class Twice(regularizers.Regularizer):
        def __call__(self, x):
            return 2 * torch.sum(x)

        def get_config(self):
            return {}

    with custom_object_scope({"Twice": Twice}):
        assert isinstance(regularizers.get("Twice"), Twice)
        assert isinstance(regularizers.deserialize(regularizers.serialize(Twice())), Twice)


# ---- constraints ---------------------------------------------------------------------------

def _norms(w, axis):
    return np.sqrt((w ** 2).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, -1, [0, 1], None])
def test_max_norm_unit_norm_min_max_norm(axis):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    norms = _norms(W, np_axis)
    out = constraints.MaxNorm(max_value=1.5, axis=axis)(_t(W)).numpy()
    np.testing.assert_allclose(out, W * np.clip(norms, 0, 1.5) / (EPS + norms), rtol=1e-12)
    np.testing.assert_allclose(constraints.UnitNorm(axis=axis)(_t(W)).numpy(), W / (EPS + norms), rtol=1e-12)
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.3, axis=axis)(_t(W)).numpy()
    desired = 0.3 * np.clip(norms, 1.0, 2.0) + 0.7 * norms
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-12)


def test_norm_constraints_results():
    out = constraints.UnitNorm(axis=0)(_t(W))
    np.testing.assert_allclose(torch.linalg.norm(out, dim=0).numpy(), np.ones(4), rtol=1e-6)
    out = constraints.MaxNorm(max_value=1.0)(_t(W * 0.01))
    np.testing.assert_allclose(out.numpy(), W * 0.01, rtol=1e-5)
    assert torch.equal(constraints.MaxNorm()(torch.zeros(2, 2)), torch.zeros(2, 2))


def test_epsilon_comes_from_backend():
    backend_config.set_epsilon(0.5)
    try:
        out = constraints.UnitNorm(axis=None)(torch.tensor([[3.0, 4.0]], dtype=torch.float64))
        np.testing.assert_allclose(out.numpy(), [[3.0 / 5.5, 4.0 / 5.5]], rtol=1e-12)
    finally:
        backend_config.set_epsilon(1e-7)


def test_non_neg():
    out = constraints.NonNeg()(_t(W))
    np.testing.assert_array_equal(out.numpy(), np.where(W >= 0, W, 0.0))
    assert out.dtype == torch.float64


def test_constraints_keep_dtype():
    for constraint in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm(),
                       constraints.NonNeg()):
        assert constraint(torch.randn(3, 2)).dtype == torch.float32


def test_radial_constraint_rings():
    for size, rings in [(2, [0]), (3, [0, 4]), (4, [5, 15]), (5, [6, 12, 18]), (6, [14, 28, 35]),
                        (7, [16, 24, 32, 40])]:
        kernel = torch.arange(float(size * size)).reshape(size, size)
        w = torch.stack([kernel, kernel + 100.0], dim=-1).reshape(size, size, 1, 2)
        out = constraints.RadialConstraint()(w)
        assert out.shape == w.shape
        offsets = (torch.arange(size) - (size - 1) / 2).abs().floor().long()
        ring = torch.maximum(offsets[:, None], offsets[None, :])
        expected = torch.tensor(rings, dtype=torch.float32)[ring]
        assert torch.equal(out[:, :, 0, 0], expected), size
        assert torch.equal(out[:, :, 0, 1], expected + 100.0), size


def test_radial_constraint_errors():
    with pytest.raises(ValueError, match="must have rank 4"):
        constraints.RadialConstraint()(torch.ones(3, 3))
    for shape in ((3, 5, 1, 1), (1, 1, 2, 2)):
        with pytest.raises(ValueError, match="square kernels"):
            constraints.RadialConstraint()(torch.ones(shape))


def test_base_constraint():
    w = torch.randn(2, 2)
    assert constraints.Constraint()(w) is w
    assert constraints.Constraint().get_config() == {}


@pytest.mark.parametrize("name, cls", [
    ("max_norm", constraints.MaxNorm), ("maxnorm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
    ("non_neg", constraints.NonNeg), ("nonneg", constraints.NonNeg), ("NonNeg", constraints.NonNeg),
    ("unit_norm", constraints.UnitNorm), ("unitnorm", constraints.UnitNorm), ("UnitNorm", constraints.UnitNorm),
    ("min_max_norm", constraints.MinMaxNorm), ("MinMaxNorm", constraints.MinMaxNorm),
    ("radial_constraint", constraints.RadialConstraint), ("RadialConstraint", constraints.RadialConstraint),
    ("Constraint", constraints.Constraint),
])
def test_constraint_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_constraint_get_other_identifiers():
    assert constraints.get(None) is None
    constraint = constraints.MaxNorm(3)
    assert constraints.get(constraint) is constraint
    assert constraints.get(torch.abs) is torch.abs
    with pytest.raises(ValueError, match="'no_constraint'"):
        constraints.get("no_constraint")
    with pytest.raises(ValueError, match="Could not interpret constraint function identifier: 3"):
        constraints.get(3)


@pytest.mark.parametrize("constraint", [constraints.MaxNorm(3, axis=1), constraints.NonNeg(),
                                        constraints.UnitNorm(axis=[0, 1]), constraints.MinMaxNorm(0.5, 2.0, 0.1, 2),
                                        constraints.RadialConstraint()])
def test_constraint_round_trip(constraint):
    config = constraints.serialize(constraint)
    assert config == {"module": "keras.constraints", "class_name": type(constraint).__name__,
                      "config": constraint.get_config(), "registered_name": None}
    restored = constraints.get(config)
    assert type(restored) is type(constraint) and restored.get_config() == constraint.get_config()
