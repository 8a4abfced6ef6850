"""torchkeras_api.regularizers and .constraints against the real tf.keras: values, configs and names."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import assert_close
from torchkeras_api import constraints, regularizers

RNG = np.random.RandomState(0)
MATRICES = {"tall": RNG.randn(7, 5).astype("float32"), "wide": RNG.randn(4, 9).astype("float32"),
            "kernel": RNG.randn(3, 3, 4, 6).astype("float32")}


# ---- regularizers --------------------------------------------------------------------------

REGULARIZER_CASES = [
    ("L1", {}), ("L1", {"l1": 0.3}), ("L2", {}), ("L2", {"l2": 0.07}), ("L1L2", {}), ("L1L2", {"l1": 0.2}),
    ("L1L2", {"l1": 0.01, "l2": 0.05}), ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.4, "mode": "columns"}),
]


@pytest.mark.parametrize("class_name, kwargs", REGULARIZER_CASES, ids=str)
@pytest.mark.parametrize("matrix", ["tall", "wide"])
def test_regularizer_values_and_gradients_match(tf, tfk, class_name, kwargs, matrix):
    x = MATRICES[matrix]
    ours_x = torch.tensor(x, requires_grad=True)
    ours = getattr(regularizers, class_name)(**kwargs)(ours_x)
    theirs_x = tf.Variable(x)
    with tf.GradientTape() as tape:
        theirs = getattr(tfk.regularizers, class_name)(**kwargs)(theirs_x)
    assert ours.dim() == 0
    assert_close(ours, theirs)
    theirs_grad = tape.gradient(theirs, theirs_x)
    if theirs_grad is None:
        assert not ours.requires_grad
    else:
        ours.backward()
        assert_close(ours_x.grad, theirs_grad)


@pytest.mark.parametrize("class_name, kwargs", REGULARIZER_CASES, ids=str)
def test_regularizer_configs_match(tfk, class_name, kwargs):
    ours = getattr(regularizers, class_name)(**kwargs)
    theirs = getattr(tfk.regularizers, class_name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert regularizers.serialize(ours) == tfk.regularizers.serialize(theirs)
    assert regularizers.deserialize(tfk.regularizers.serialize(theirs)).get_config() == theirs.get_config()


def test_regularizer_helpers_match(tfk):
    assert regularizers.l1_l2().get_config() == tfk.regularizers.l1_l2().get_config()
    assert regularizers.l1_l2(0.3, 0.0).get_config() == tfk.regularizers.l1_l2(0.3, 0.0).get_config()
    assert regularizers.L2(l=0.4).get_config() == tfk.regularizers.L2(l=0.4).get_config()
    assert regularizers.L1(None).get_config() == tfk.regularizers.L1(None).get_config()
    for bad in ("a", float("inf"), float("nan")):
        for module in (tfk.regularizers, regularizers):
            with pytest.raises(ValueError, match="not a valid regularization penalty number"):
                module.L1L2(l2=bad)


@pytest.mark.parametrize("name", ["l1", "l2", "l1_l2", "L1", "L2", "L1L2", "orthogonal_regularizer",
                                  "OrthogonalRegularizer"])
def test_regularizer_names_match(tfk, name):
    theirs = tfk.regularizers.get(name)
    ours = regularizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__ and ours.get_config() == theirs.get_config()


def test_unknown_regularizer_name(tfk):
    # tf.keras hands an unknown name back unchanged (and fails later); ours rejects it at once.
    assert tfk.regularizers.get("l1l2") == "l1l2"
    with pytest.raises(ValueError, match="'l1l2'"):
        regularizers.get("l1l2")


def test_orthogonal_regularizer_errors_match(tf, tfk):
    for module, x in ((tfk.regularizers, tf.ones((2, 2, 2))), (regularizers, torch.ones(2, 2, 2))):
        with pytest.raises(ValueError, match="must have rank 2"):
            module.OrthogonalRegularizer()(x)
        with pytest.raises(ValueError, match="mode"):
            module.OrthogonalRegularizer(mode="diagonal")


# ---- constraints ---------------------------------------------------------------------------

CONSTRAINT_CASES = [
    ("MaxNorm", {}, "tall"), ("MaxNorm", {"max_value": 1.0}, "tall"), ("MaxNorm", {"max_value": 1.5, "axis": 1}, "wide"),
    ("MaxNorm", {"max_value": 2.5, "axis": [0, 1, 2]}, "kernel"), ("MaxNorm", {"axis": -1}, "kernel"),
    ("NonNeg", {}, "tall"), ("NonNeg", {}, "kernel"),
    ("UnitNorm", {}, "tall"), ("UnitNorm", {"axis": 1}, "wide"), ("UnitNorm", {"axis": [0, 1, 2]}, "kernel"),
    ("MinMaxNorm", {}, "tall"), ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5}, "tall"),
    ("MinMaxNorm", {"min_value": 2.0, "max_value": 3.0, "rate": 0.3, "axis": 1}, "wide"),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 4.0, "axis": [0, 1, 2]}, "kernel"),
    ("RadialConstraint", {}, "kernel"),
]


@pytest.mark.parametrize("class_name, kwargs, matrix", CONSTRAINT_CASES, ids=str)
def test_constraint_values_match(tf, tfk, class_name, kwargs, matrix):
    x = MATRICES[matrix]
    ours = getattr(constraints, class_name)(**kwargs)(torch.tensor(x))
    theirs = getattr(tfk.constraints, class_name)(**kwargs)(tf.constant(x))
    assert_close(ours, theirs)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 6, 7])
def test_radial_constraint_matches_every_size(tf, tfk, size):
    x = RNG.randn(size, size, 2, 3).astype("float32")
    ours = constraints.RadialConstraint()(torch.tensor(x))
    theirs = tfk.constraints.RadialConstraint()(tf.constant(x))
    assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize("class_name, kwargs, matrix", CONSTRAINT_CASES, ids=str)
def test_constraint_configs_match(tfk, class_name, kwargs, matrix):
    ours = getattr(constraints, class_name)(**kwargs)
    theirs = getattr(tfk.constraints, class_name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert constraints.serialize(ours) == tfk.constraints.serialize(theirs)
    assert constraints.deserialize(tfk.constraints.serialize(theirs)).get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["max_norm", "maxnorm", "MaxNorm", "non_neg", "nonneg", "NonNeg", "unit_norm",
                                  "unitnorm", "UnitNorm", "min_max_norm", "MinMaxNorm", "radial_constraint",
                                  "RadialConstraint", "Constraint", "minmaxnorm", "max_norm_", "positive", ""])
def test_constraint_names_match(tfk, name):
    try:
        theirs = tfk.constraints.get(name)
    except ValueError:
        with pytest.raises(ValueError, match=f"'{name}'"):
            constraints.get(name)
        return
    ours = constraints.get(name)
    assert type(ours).__name__ == type(theirs).__name__ and ours.get_config() == theirs.get_config()


def test_constraint_public_names_and_bad_identifier_match(tfk):
    for module_name in ("constraints", "regularizers"):
        theirs_module = getattr(tfk, module_name)
        ours_module = {"constraints": constraints, "regularizers": regularizers}[module_name]
        public = {name for name in dir(theirs_module) if not name.startswith("_")}
        assert public <= set(dir(ours_module))
    assert constraints.get(None) is None and tfk.constraints.get(None) is None
    for get in (tfk.constraints.get, constraints.get):
        with pytest.raises(ValueError, match="Could not interpret constraint function identifier"):
            get(3)


def test_radial_constraint_rank_error_matches(tf, tfk):
    for module, w in ((tfk.constraints, tf.ones((3, 3))), (constraints, torch.ones(3, 3))):
        with pytest.raises(ValueError, match="The weight tensor must have rank 4"):
            module.RadialConstraint()(w)
