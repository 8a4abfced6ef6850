"""Unit tests of torchkeras_api.metrics: state, names, device placement, errors and serialization."""
import copy
import warnings

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import backend as K
from torchkeras_api import metrics
from torchkeras_api.engine import base_layer
from torchkeras_api.saving.object_registry import custom_object_scope


@pytest.fixture(autouse=True)
def _fresh_names():
    K.clear_session()


def _value(t):
    return t.detach().cpu().numpy()


# ---- the Metric base class -------------------------------------------------------------------

class BinaryTruePositives(metrics.Metric):
    """A user metric written as in the tf.keras guide."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="tp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = K.cast(K.equal(K.cast(y_true, "bool"), K.cast(y_pred, "bool")) & K.cast(y_true, "bool"),
                        self.dtype)
        if sample_weight is not None:
            values = values * K.cast(sample_weight, self.dtype)
        self.true_positives.add_(K.sum(values))

    def result(self):
        return self.true_positives.clone()


def test_custom_metric_accumulates_resets_and_is_callable():
    m = BinaryTruePositives()
    assert m.name == "binary_true_positives" and m.dtype == "float32" and m.stateful
    assert m([1, 1, 0, 1], [1, 0, 1, 1]).item() == 2.0
    m.update_state(torch.tensor([1, 1]), torch.tensor([1, 1]), sample_weight=torch.tensor([0.5, 2.0]))
    assert m.result().item() == 4.5
    m.reset_state()
    assert m.result().item() == 0.0
    assert [v.name for v in m.variables] == ["tp:0"]
    assert m.trainable_weights == [] and m.non_trainable_weights == m.variables
    assert not m.variables[0].requires_grad


def test_update_state_builds_no_autograd_graph():
    y_pred = torch.rand(4, 3, requires_grad=True)
    for m in (metrics.Mean(), metrics.MeanSquaredError(), metrics.AUC(), BinaryTruePositives()):
        args = (y_pred,) if isinstance(m, metrics.Mean) and not hasattr(m, "_fn") else (torch.ones(4, 3), y_pred)
        result = m(*args)
        assert not result.requires_grad and all(v.grad_fn is None for v in m.variables)


def test_result_is_a_snapshot_not_the_state():
    m = metrics.Sum()
    first = m([1.0, 2.0])
    m.update_state([10.0])
    assert first.item() == 3.0 and m.result().item() == 13.0
    assert not isinstance(m.result(), torch.nn.Parameter)


def test_default_names_are_not_made_unique_unless_tf_keras_does():
    assert [metrics.Mean().name, metrics.Mean().name] == ["mean", "mean"]
    assert [metrics.BinaryAccuracy().name, metrics.BinaryAccuracy().name] == ["binary_accuracy"] * 2
    assert [metrics.AUC().name, metrics.AUC().name] == ["auc", "auc_1"]
    assert metrics.Precision(name="p").name == "p"
    assert metrics.MeanMetricWrapper(lambda t, p: p).name == "mean_metric_wrapper"


def test_reset_states_alias_and_deprecated_override():
    m = metrics.Mean()
    m.update_state([1.0, 2.0])
    m.reset_states()
    assert m.count.item() == 0.0

    class Old(metrics.Mean):
        def reset_states(self):
            self.total.data.fill_(-1.0)

    old = Old()
    with pytest.warns(UserWarning, match="rename it to `reset_state"):
        old.reset_state()
    assert old.total.item() == -1.0


def test_dtype_sets_state_and_result_dtype():
    m = metrics.Mean(dtype="float64")
    assert m.dtype == "float64" and m.get_config() == {"name": "mean", "dtype": "float64"}
    assert m([1.0, 2.0]).dtype == torch.float64
    assert metrics.AUC(dtype="float64")([0, 1], [0.2, 0.8]).dtype == torch.float64


def test_merge_state_adds_states():
    a, b = metrics.Accuracy(), metrics.Accuracy()
    a.update_state([[1], [2]], [[0], [2]])
    b.update_state([[3], [4]], [[3], [4]])
    b.merge_state([a])
    assert b.result().item() == 0.75
    with pytest.raises(ValueError, match="is not compatible"):
        b.merge_state([metrics.Sum()])


def test_weights_round_trip_and_deepcopy():
    m = metrics.Precision(thresholds=[0.3, 0.7])
    m.update_state([0, 1, 1], [0.5, 0.8, 0.2])
    clone = copy.deepcopy(m)
    np.testing.assert_array_equal(_value(clone.result()), _value(m.result()))
    clone.update_state([0], [0.9])
    assert not np.array_equal(_value(clone.result()), _value(m.result()))
    fresh = metrics.Precision(thresholds=[0.3, 0.7])
    fresh.set_weights(m.get_weights())
    np.testing.assert_array_equal(_value(fresh.result()), _value(m.result()))
    assert set(m.state_dict()) == {"true_positives", "false_positives"}


def test_metric_held_by_a_subclassed_model_is_tracked_like_tf_keras():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)
            self.tracker = metrics.Mean(name="tracker")

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3), "float32"))
    assert [w.name for w in net.weights][-2:] == ["total:0", "count:0"]


# ---- no host synchronisation, device placement ----------------------------------------------

ALL_METRICS = [
    lambda: metrics.Mean(), lambda: metrics.Sum(), lambda: metrics.MeanSquaredError(),
    lambda: metrics.RootMeanSquaredError(), lambda: metrics.BinaryAccuracy(), lambda: metrics.CategoricalAccuracy(),
    lambda: metrics.SparseCategoricalAccuracy(), lambda: metrics.TopKCategoricalAccuracy(k=2),
    lambda: metrics.SparseTopKCategoricalAccuracy(k=2), lambda: metrics.AUC(), lambda: metrics.AUC(curve="PR"),
    lambda: metrics.AUC(multi_label=True), lambda: metrics.AUC(thresholds=[0.1, 0.7]), lambda: metrics.Precision(),
    lambda: metrics.Precision(top_k=2), lambda: metrics.Recall(class_id=1),
    lambda: metrics.TruePositives(thresholds=[0.2, 0.5]), lambda: metrics.SensitivityAtSpecificity(0.5),
    lambda: metrics.MeanIoU(3), lambda: metrics.F1Score(), lambda: metrics.R2Score(),
    lambda: metrics.BinaryCrossentropy(), lambda: metrics.CategoricalCrossentropy(),
    lambda: metrics.SparseCategoricalCrossentropy(), lambda: metrics.Hinge(), lambda: metrics.KLDivergence(),
    lambda: metrics.LogCoshError(), lambda: metrics.CosineSimilarity(), lambda: metrics.Poisson(),
    lambda: metrics.MeanTensor(), lambda: metrics.MeanRelativeError([1.0, 2.0, 3.0]),
]


def _inputs(metric, device):
    rows = torch.empty(8, device=device)
    if isinstance(metric, metrics.MeanIoU):
        labels = torch.zeros(8, dtype=torch.int64, device=device)
        return (labels, labels), rows
    if isinstance(metric, (metrics.Sum, metrics.MeanTensor)) or type(metric) is metrics.Mean:
        return (torch.empty(8, 3, device=device),), rows
    if "Sparse" in type(metric).__name__:
        return (torch.zeros(8, dtype=torch.int64, device=device), torch.empty(8, 3, device=device)), rows
    return (torch.empty(8, 3, device=device), torch.empty(8, 3, device=device)), rows


@pytest.mark.parametrize("factory", ALL_METRICS)
def test_update_and_result_never_read_values_on_the_host(monkeypatch, factory):
    """On the meta device, any .item()/float()/.numpy() would raise: updates and results stay on the device."""
    monkeypatch.setattr(base_layer, "default_device", lambda: torch.device("meta"))
    metric = factory()
    args, weights = _inputs(metric, "meta")
    metric.update_state(*args, sample_weight=weights)
    result = metric.result()
    assert result.device.type == "meta"
    metric.reset_state()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("factory", ALL_METRICS)
def test_state_follows_the_inputs_to_cuda(factory):
    metric = factory()
    args, weights = _inputs(metric, "cuda")
    args = tuple(torch.zeros_like(a) for a in args)
    metric.update_state(*args, sample_weight=torch.ones_like(weights))
    assert metric.result().device.type == "cuda"
    assert all(v.device.type == "cuda" for v in metric.variables)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cpu_labels_with_cuda_predictions_keep_the_state_on_cuda():
    metric = metrics.AUC()
    metric.update_state(torch.tensor([0.0, 1.0]), torch.tensor([0.3, 0.6], device="cuda"))
    assert metric.true_positives.device.type == "cuda" and metric.result().item() == 1.0


def test_numpy_and_list_inputs_go_to_the_state_device():
    m = metrics.BinaryAccuracy()
    assert m(np.array([[1], [0]]), [[0.9], [0.7]]).item() == 0.5
    assert m.result().device == m.variables[0].device


# ---- numerics on known values -----------------------------------------------------------------

def test_mean_and_sum_documented_values():
    assert metrics.Mean()([1, 3, 5, 7]).item() == 4.0
    assert metrics.Mean()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]).item() == 2.0
    assert metrics.Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]).item() == 4.0
    assert metrics.Mean().result().item() == 0.0


def test_mean_metric_wrapper_weights_masked_values():
    def fn(y_true, y_pred):
        values = y_pred - y_true
        values._keras_mask = torch.tensor([True, False, True])
        return values

    m = metrics.MeanMetricWrapper(fn)
    assert m(torch.zeros(3), torch.tensor([1.0, 100.0, 3.0])).item() == 2.0
    m.reset_state()
    m.update_state(torch.zeros(3), torch.tensor([1.0, 100.0, 3.0]), sample_weight=torch.tensor([3.0, 1.0, 1.0]))
    assert m.result().item() == 1.5


def test_custom_function_metric_averages_per_sample_values_over_all_samples():
    m = metrics.MeanMetricWrapper(lambda t, p: K.cast(K.equal(t, p), "float32"), name="same")
    m.update_state([1, 2, 3, 4], [1, 2, 3, 0])
    m.update_state([5], [0])
    assert m.name == "same" and m.result().item() == pytest.approx(3 / 5)


def test_auc_roc_and_pr_known_values():
    y_true, y_pred = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    assert metrics.AUC()(y_true, y_pred).item() == pytest.approx(0.75, abs=1e-6)
    assert metrics.AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]).item() == pytest.approx(0.75)
    assert metrics.AUC(curve="PR", num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]).item() == \
        pytest.approx(0.8206994)


def test_precision_recall_known_values():
    assert metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1]).item() == pytest.approx(2 / 3)
    assert metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1]).item() == pytest.approx(2 / 3)
    assert metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1]).item() == 0.0  # ties: lower indices first
    assert metrics.Precision(top_k=2)([[0, 0, 1, 1]], [[0.1, 0.5, 0.4, 0.9]]).item() == 0.5
    np.testing.assert_allclose(_value(metrics.Precision(thresholds=[0.0, 0.5])([0, 1], [0.3, 0.7])), [0.5, 1.0])


def test_mean_iou_ignores_class_without_syncing():
    m = metrics.MeanIoU(num_classes=2, ignore_class=255)
    assert m([0, 0, 1, 255], [0, 1, 0, 1]).item() == pytest.approx(1 / 6)


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("build, match", [
    (lambda: metrics.AUC(curve="ROCK"), 'Invalid AUC curve value: "ROCK"'),
    (lambda: metrics.AUC(summation_method="mean"), 'Invalid AUC summation method value: "mean"'),
    (lambda: metrics.AUC(num_thresholds=1), "num_thresholds=1"),
    (lambda: metrics.AUC(num_labels=3), "`num_labels` is needed only when `multi_label` is True"),
    (lambda: metrics.AUC(label_weights=[1.0, -1.0]), "label_weights"),
    (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"Threshold values must be in \[0, 1\]. Received: \[1.5\]"),
    (lambda: metrics.Recall(thresholds=-0.1), "Threshold values must be in"),
    (lambda: metrics.SensitivityAtSpecificity(1.5), "`specificity` must be in the range"),
    (lambda: metrics.RecallAtPrecision(0.5, num_thresholds=0), "num_thresholds=0"),
    (lambda: metrics.IoU(3, target_class_ids=[0, 3]), "Target class id 3 is out of range"),
    (lambda: metrics.FBetaScore(average="mean"), "Invalid `average` argument value"),
    (lambda: metrics.FBetaScore(beta=2), "beta=2"),
    (lambda: metrics.F1Score(threshold=1.5), "threshold=1.5"),
    (lambda: metrics.R2Score(class_aggregation="max"), "class_aggregation=max"),
])
def test_bad_arguments_raise_value_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Mean().update_state(np.ones((4, 3)), sample_weight=np.ones((4, 3, 2)))
    with pytest.raises(ValueError, match="incompatible"):
        metrics.Precision().update_state([[1, 0]], [[0.2, 0.4, 0.6]])
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state([1, 0], [0.5, 0.5])
    with pytest.raises(ValueError, match="Number of labels is not consistent"):
        metrics.AUC(multi_label=True, num_labels=3).update_state(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="incompatible"):
        metrics.accuracy([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="y_true"):
        metrics.SparseCategoricalAccuracy().update_state(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="weight per label"):
        metrics.MeanIoU(2).update_state([0, 1, 1], [0, 1, 0], sample_weight=[1.0, 2.0])
    mean_tensor = metrics.MeanTensor()
    mean_tensor.update_state(np.ones(3))
    with pytest.raises(ValueError, match=r"Expected shape \(set during the first call\): \(3,\). Got: \(4,\)"):
        mean_tensor.update_state(np.ones(4))
    with pytest.raises(ValueError, match="does not have any value yet"):
        metrics.MeanTensor().result()


def test_get_serialize_deserialize():
    assert metrics.get("mse") is metrics.mean_squared_error is keras.losses.mean_squared_error
    assert metrics.get("acc") is metrics.accuracy
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    auc = metrics.get("AUC")
    assert isinstance(auc, metrics.AUC) and auc.num_thresholds == 200
    assert isinstance(metrics.get({"class_name": "Precision", "config": {"top_k": 2}}), metrics.Precision)
    with pytest.raises(ValueError, match="Unknown metric function: 'no_such_metric'"):
        metrics.get("no_such_metric")
    for bad in (3, None):
        with pytest.raises(ValueError, match=f"Could not interpret metric identifier: {bad}"):
            metrics.get(bad)
    config = metrics.serialize(metrics.SparseTopKCategoricalAccuracy(k=3, name="top3"))
    assert config == {"module": "keras.metrics", "class_name": "SparseTopKCategoricalAccuracy",
                      "config": {"name": "top3", "dtype": "float32", "k": 3}, "registered_name": None}
    assert metrics.deserialize(config).get_config() == config["config"]
    with pytest.warns(UserWarning, match="should only be used for objects of type"):
        assert metrics.serialize(metrics.mse)["config"] == "mean_squared_error"


def test_mean_metric_wrapper_with_a_custom_function_round_trips():
    def my_error(y_true, y_pred, scale=1.0):
        return scale * K.abs(y_true - y_pred)

    wrapper = metrics.MeanMetricWrapper(my_error, name="err", scale=2.0)
    assert wrapper([1.0, 2.0], [2.0, 4.0]).item() == 3.0
    config = metrics.serialize(wrapper)
    assert config["config"]["fn"]["config"] == "my_error" and config["config"]["scale"] == 2.0
    with custom_object_scope({"my_error": my_error}):
        rebuilt = metrics.deserialize(config)
    assert rebuilt._fn is my_error and rebuilt.name == "err" and rebuilt([1.0], [2.0]).item() == 2.0
    with pytest.raises(ValueError, match="my_error"):
        metrics.deserialize(config)


def test_metric_functions_accept_python_data():
    np.testing.assert_allclose(_value(metrics.binary_accuracy([[1, 0, 1]], [[0.7, 0.2, 0.4]])), [2 / 3], rtol=1e-6)
    np.testing.assert_array_equal(_value(metrics.sparse_categorical_accuracy([[1], [2]], [[0.1, 0.9, 0.0],
                                                                                          [0.2, 0.5, 0.3]])), [1, 0])
    np.testing.assert_array_equal(_value(metrics.top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.3, 0.3]], k=2)),
                                  [1.0])


def test_no_warnings_on_a_plain_update():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.AUC()([0, 1], [0.3, 0.6])
        metrics.CategoricalAccuracy()([[0, 1]], [[0.3, 0.6]])
