"""keras.losses: names, identities, get/serialize, errors, devices and symbolic use."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import losses

ALIASES = [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"), ("mae", "mean_absolute_error"),
    ("MAE", "mean_absolute_error"), ("mape", "mean_absolute_percentage_error"),
    ("MAPE", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
    ("MSLE", "mean_squared_logarithmic_error"), ("kld", "kl_divergence"), ("KLD", "kl_divergence"),
    ("kullback_leibler_divergence", "kl_divergence"), ("logcosh", "log_cosh"),
]

CLASSES = {
    "MeanSquaredError": ("mean_squared_error", "mean_squared_error"),
    "MeanAbsoluteError": ("mean_absolute_error", "mean_absolute_error"),
    "MeanAbsolutePercentageError": ("mean_absolute_percentage_error", "mean_absolute_percentage_error"),
    "MeanSquaredLogarithmicError": ("mean_squared_logarithmic_error", "mean_squared_logarithmic_error"),
    "BinaryCrossentropy": ("binary_crossentropy", "binary_crossentropy"),
    "BinaryFocalCrossentropy": ("binary_focal_crossentropy", "binary_focal_crossentropy"),
    "CategoricalCrossentropy": ("categorical_crossentropy", "categorical_crossentropy"),
    "CategoricalFocalCrossentropy": ("categorical_focal_crossentropy", "categorical_focal_crossentropy"),
    "SparseCategoricalCrossentropy": ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
    "Hinge": ("hinge", "hinge"), "SquaredHinge": ("squared_hinge", "squared_hinge"),
    "CategoricalHinge": ("categorical_hinge", "categorical_hinge"), "Huber": ("huber", "huber_loss"),
    "LogCosh": ("log_cosh", "log_cosh"), "KLDivergence": ("kl_divergence", "kl_divergence"),
    "Poisson": ("poisson", "poisson"), "CosineSimilarity": ("cosine_similarity", "cosine_similarity"),
}


@pytest.mark.parametrize("alias,name", ALIASES)
def test_aliases_are_the_same_function(alias, name):
    assert getattr(losses, alias) is getattr(losses, name)


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_class_wraps_the_module_function_under_its_default_name(class_name):
    fn_name, default_name = CLASSES[class_name]
    loss = getattr(losses, class_name)()
    assert loss.fn is getattr(losses, fn_name)
    assert loss.name == default_name and loss.reduction == "auto"
    assert isinstance(loss, losses.LossFunctionWrapper) and isinstance(loss, losses.Loss)


def test_get_resolves_names_classes_configs_and_callables():
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get(None) is None
    assert losses.get(losses.poisson) is losses.poisson
    instance = losses.get("SparseCategoricalCrossentropy")
    assert isinstance(instance, losses.SparseCategoricalCrossentropy)
    assert instance.fn is losses.sparse_categorical_crossentropy
    restored = losses.get({"class_name": "Huber", "config": {"delta": 3.0, "reduction": "sum", "name": "h"}})
    assert (restored._fn_kwargs["delta"], restored.reduction, restored.name) == (3.0, "sum", "h")
    custom = losses.Huber(0.5)
    assert losses.get(custom) is custom


def test_get_rejects_unknown_identifiers():
    with pytest.raises(ValueError, match="Unknown loss function: 'no_such_loss'"):
        losses.get("no_such_loss")
    with pytest.raises(ValueError, match="Could not interpret loss function identifier: 5"):
        losses.get(5)
    with pytest.raises(ValueError, match="Improper config format"):
        losses.get({"foo": 1})


def test_custom_objects_resolve_by_name():
    def my_loss(y_true, y_pred):
        return torch.mean(torch.abs(y_pred - y_true), dim=-1)

    with keras.utils.custom_object_scope({"my_loss": my_loss}):
        assert losses.get("my_loss") is my_loss
    assert losses.deserialize("my_loss", custom_objects={"my_loss": my_loss}) is my_loss


def test_wrapper_config_round_trip_keeps_function_and_kwargs():
    wrapper = losses.LossFunctionWrapper(losses.huber, reduction="sum", name="w", delta=3.0)
    config = losses.serialize(wrapper)
    assert config["module"] == "keras.__internal__.losses" and config["class_name"] == "LossFunctionWrapper"
    assert config["config"] == {"reduction": "sum", "name": "w", "delta": 3.0, "fn": "huber"}
    restored = losses.LossFunctionWrapper.from_config(config["config"])
    assert restored.fn is losses.huber and restored._fn_kwargs == {"delta": 3.0}
    y_true, y_pred = torch.zeros(4, 2), torch.linspace(-5, 5, 8).reshape(4, 2)
    assert torch.equal(restored(y_true, y_pred), wrapper(y_true, y_pred))


def test_bad_reduction_is_rejected():
    with pytest.raises(ValueError, match='Invalid Reduction Key: mean. Expected keys are "'):
        losses.MeanSquaredError(reduction="mean")
    assert losses.Reduction.all() == ("auto", "none", "sum", "sum_over_batch_size")


def test_base_loss_requires_call():
    with pytest.raises(NotImplementedError):
        losses.Loss()(torch.ones(2, 2), torch.ones(2, 2))


def test_custom_loss_subclass_is_weighted_and_reduced():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.sum(y_pred - y_true, dim=-1)

    y_pred = torch.arange(6.0).reshape(3, 2)
    weights = torch.tensor([1.0, 0.0, 2.0])
    assert Scaled(reduction="sum")(torch.zeros(3, 2), y_pred, sample_weight=weights).item() == 1.0 + 18.0
    assert torch.equal(Scaled(reduction="none")(torch.zeros(3, 2), y_pred), torch.tensor([1.0, 5.0, 9.0]))
    assert Scaled()(torch.zeros(3, 2), y_pred).item() == 5.0


def test_sample_weight_of_wrong_shape_names_it():
    loss = losses.MeanSquaredError()
    with pytest.raises(ValueError, match="`sample_weight` of shape \\(4, 3\\).*rank 1"):
        loss(torch.zeros(4, 2), torch.ones(4, 2), sample_weight=torch.ones(4, 3))
    with pytest.raises(ValueError, match="`sample_weight` of shape \\(5,\\) cannot be broadcast.*\\(4,\\)"):
        loss(torch.zeros(4, 2), torch.ones(4, 2), sample_weight=torch.ones(5))


def test_categorical_crossentropy_argument_errors_and_warning():
    with pytest.raises(ValueError, match="`axis` must be of type `int`. Received: axis=True"):
        losses.categorical_crossentropy(torch.ones(2, 3), torch.ones(2, 3), axis=True)
    with pytest.raises(ValueError, match="incompatible"):
        losses.categorical_crossentropy(torch.ones(2, 4), torch.ones(2, 3))
    with pytest.warns(SyntaxWarning, match="Consider using 'binary_crossentropy'"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


def test_activations_remember_their_logits():
    x = torch.randn(3, 4)
    assert losses.categorical_crossentropy is keras.losses.categorical_crossentropy
    assert keras.activations.softmax(x)._keras_logits is x
    assert keras.activations.sigmoid(x)._keras_logits is x
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    out = model(x)
    assert out._keras_logits.shape == (3, 3)
    assert torch.allclose(torch.softmax(out._keras_logits, -1), out)


def test_saturated_softmax_output_keeps_a_finite_gradient():
    logits = torch.tensor([[200.0, 0.0, -200.0]], requires_grad=True)
    loss = losses.CategoricalCrossentropy()(torch.tensor([[0.0, 0.0, 1.0]]), keras.activations.softmax(logits))
    assert loss.item() == pytest.approx(400.0)
    (grad,) = torch.autograd.grad(loss, logits)
    assert torch.allclose(grad, torch.tensor([[1.0, 0.0, -1.0]]))


def test_sparse_labels_may_be_float_or_column_shaped():
    y_pred = torch.softmax(torch.randn(5, 4), dim=-1)
    labels = torch.tensor([0, 3, 1, 2, 3])
    expected = losses.sparse_categorical_crossentropy(labels, y_pred)
    assert torch.allclose(losses.sparse_categorical_crossentropy(labels.float(), y_pred), expected)
    assert torch.allclose(losses.sparse_categorical_crossentropy(labels.reshape(5, 1), y_pred), expected)
    assert torch.allclose(expected, -torch.log(y_pred[torch.arange(5), labels]))


def test_dtypes_follow_y_pred_except_huber_which_uses_floatx():
    y_true, y_pred = torch.zeros(2, 3, dtype=torch.int64), torch.rand(2, 3, dtype=torch.float64)
    assert losses.mean_squared_error(y_true, y_pred).dtype == torch.float64
    assert losses.MeanAbsoluteError()(y_true, y_pred).dtype == torch.float64
    assert losses.huber(y_true, y_pred).dtype == torch.float32


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_losses_run_without_reading_values_back(class_name):
    """Meta tensors have no data: any host read (`.item()`, `bool(t)`) in the loss would raise."""
    y_pred = torch.empty(4, 3, 5, device="meta")
    y_true = torch.empty(4, 3, device="meta", dtype=torch.int64) if "Sparse" in class_name else y_pred
    for reduction in ("auto", "none", "sum"):
        loss = getattr(losses, class_name)(reduction=reduction)
        out = loss(y_true, y_pred, sample_weight=torch.empty(4, 3, device="meta"))
        assert out.device.type == "meta"
        assert out.shape == ((4, 3) if reduction == "none" else ())


def test_loss_functions_on_keras_tensors_become_one_graph_node():
    y_true, y_pred = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    model = keras.Model([y_true, y_pred], losses.mse(y_true, y_pred))
    assert model.layers[-1].name == "tf.keras.losses.mean_squared_error"
    a, b = torch.randn(2, 3), torch.randn(2, 3)
    assert torch.allclose(model([a, b]), torch.mean((a - b) ** 2, dim=-1))


def test_numpy_inputs_give_tensors():
    out = losses.MeanSquaredError()(np.zeros((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert isinstance(out, torch.Tensor) and out.item() == 1.0


@pytest.mark.parametrize("class_name", sorted(CLASSES))
def test_labels_and_weights_follow_the_predictions_device(class_name):
    y_pred = torch.empty(4, 5, device="meta")
    y_true = torch.zeros(4, dtype=torch.int64) if "Sparse" in class_name else torch.zeros(4, 5)
    out = getattr(losses, class_name)()(y_true, y_pred, sample_weight=np.ones(4, "float32"))
    assert out.device.type == "meta"
