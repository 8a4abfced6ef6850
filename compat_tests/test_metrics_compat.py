"""torchkeras_api.metrics against the real tf.keras: results over several batches, weights, resets, configs."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import assert_close
from torchkeras_api import backend as K
from torchkeras_api import metrics

RNG = np.random.RandomState(0)
N = 16
BATCHES = 3


def _batch(kind, shape, rng):
    """(y_true, y_pred) of one kind for predictions of `shape`."""
    if kind == "regression":
        return rng.randn(*shape).astype("float32"), rng.randn(*shape).astype("float32")
    if kind == "positive":
        return rng.rand(*shape).astype("float32") + 0.1, rng.rand(*shape).astype("float32") + 0.1
    if kind == "binary":
        return (rng.rand(*shape) > 0.5).astype("float32"), rng.rand(*shape).astype("float32")
    if kind == "signed":
        return np.sign(rng.randn(*shape)).astype("float32"), rng.randn(*shape).astype("float32")
    probs = rng.rand(*shape).astype("float32")
    probs /= probs.sum(-1, keepdims=True)
    labels = rng.randint(0, shape[-1], size=shape[:-1])
    if kind == "categorical":
        return np.eye(shape[-1], dtype="float32")[labels], probs
    if kind == "sparse":
        return labels.astype("int64"), probs
    if kind == "sparse_column":
        return labels[..., None].astype("float32"), probs
    raise ValueError(kind)


def _weights(option, y_pred_shape, rng):
    if option is None:
        return None
    if option == "per_sample":
        return rng.rand(y_pred_shape[0]).astype("float32")
    if option == "column":
        return rng.rand(y_pred_shape[0], 1).astype("float32")
    if option == "per_step":
        return rng.rand(*y_pred_shape[:2]).astype("float32")
    raise ValueError(option)


def _both_reject(ours, theirs, batch):
    """Whether tf.keras rejects the batch; if it does, ours must reject it with a ValueError too."""
    y_true, y_pred, sw = batch
    try:
        theirs.update_state(y_true, y_pred, sample_weight=sw)
    except Exception:  # noqa: BLE001 - tf raises ValueError or InvalidArgumentError
        with pytest.raises(ValueError):
            ours.update_state(y_true, y_pred, sample_weight=sw)
        return True
    theirs.reset_state()
    return False


def _compare(ours, theirs, batches, rtol=1e-5, atol=1e-6):
    """Updates both metrics batch by batch comparing results, then resets both and compares again."""
    for y_true, y_pred, sw in batches:
        kwargs = {} if sw is None else {"sample_weight": sw}
        ours.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kwargs)
        theirs.update_state(y_true, y_pred, **kwargs)
        assert_close(ours.result(), theirs.result(), rtol=rtol, atol=atol)
    for ours_w, theirs_w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(ours_w, theirs_w, rtol=rtol, atol=atol)
    ours.reset_state()
    theirs.reset_state()
    assert_close(ours.result(), theirs.result())
    y_true, y_pred, sw = batches[-1]
    kwargs = {} if sw is None else {"sample_weight": sw}
    assert_close(ours(y_true, y_pred, **kwargs), theirs(y_true, y_pred, **kwargs), rtol=rtol, atol=atol)


def _batches(kind, shape, weights, seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(BATCHES):
        y_true, y_pred = _batch(kind, shape, rng)
        out.append((y_true, y_pred, _weights(weights, shape, rng)))
    return out


# (class name, kwargs, data kind, y_pred shapes, sample-weight options)
REDUCING_CASES = [
    ("MeanSquaredError", {}, "regression", [(N,), (N, 1), (N, 3), (N, 4, 3)], [None, "per_sample"]),
    ("MeanAbsoluteError", {}, "regression", [(N, 1), (N, 3)], [None, "per_sample", "column"]),
    ("MeanAbsolutePercentageError", {}, "positive", [(N, 3)], [None, "per_sample"]),
    ("MeanSquaredLogarithmicError", {}, "positive", [(N, 3), (N, 4, 3)], [None, "per_sample", "per_step"]),
    ("RootMeanSquaredError", {}, "regression", [(N,), (N, 3), (N, 4, 3)], [None, "per_sample"]),
    ("LogCoshError", {}, "regression", [(N, 3)], [None, "per_sample"]),
    ("CosineSimilarity", {}, "regression", [(N, 3), (N, 4, 3)], [None, "per_sample"]),
    ("CosineSimilarity", {"axis": 1}, "regression", [(N, 4, 3)], [None]),
    ("Hinge", {}, "binary", [(N, 3)], [None, "per_sample"]),
    ("Hinge", {}, "signed", [(N, 1)], [None]),
    ("SquaredHinge", {}, "binary", [(N, 3)], [None, "per_sample"]),
    ("CategoricalHinge", {}, "categorical", [(N, 4)], [None, "per_sample"]),
    ("KLDivergence", {}, "categorical", [(N, 4)], [None, "per_sample"]),
    ("Poisson", {}, "positive", [(N, 3)], [None, "per_sample"]),
    ("BinaryCrossentropy", {}, "binary", [(N,), (N, 1), (N, 3)], [None, "per_sample"]),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "signed", [(N, 3)], [None]),
    ("CategoricalCrossentropy", {}, "categorical", [(N, 4), (N, 5, 4)], [None, "per_sample"]),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "categorical", [(N, 4)], [None]),
    ("SparseCategoricalCrossentropy", {}, "sparse", [(N, 4), (N, 5, 4)], [None, "per_sample"]),
    ("SparseCategoricalCrossentropy", {}, "sparse_column", [(N, 4)], [None, "column"]),
    ("Accuracy", {}, "binary", [(N, 3)], [None, "per_sample"]),
    ("BinaryAccuracy", {}, "binary", [(N,), (N, 1), (N, 3), (N, 4, 3)], [None, "per_sample"]),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary", [(N, 1)], [None, "column"]),
    ("CategoricalAccuracy", {}, "categorical", [(N, 4), (N, 5, 4)], [None, "per_sample"]),
    ("SparseCategoricalAccuracy", {}, "sparse", [(N, 4), (N, 5, 4)], [None, "per_sample"]),
    ("SparseCategoricalAccuracy", {}, "sparse_column", [(N, 4)], [None, "per_sample", "column"]),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical", [(N, 5)], [None, "per_sample"]),
    ("TopKCategoricalAccuracy", {}, "categorical", [(N, 6)], [None]),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", [(N, 5), (N, 3, 5)], [None, "per_sample"]),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_column", [(N, 5)], [None, "column"]),
]


def _reducing_params():
    for class_name, kwargs, kind, shapes, weight_options in REDUCING_CASES:
        for shape in shapes:
            for weights in weight_options:
                if weights == "per_step" and len(shape) < 3:
                    continue
                yield pytest.param(class_name, kwargs, kind, shape, weights,
                                   id=f"{class_name}-{kwargs}-{kind}-{shape}-{weights}")


@pytest.mark.parametrize("class_name, kwargs, kind, shape, weights", list(_reducing_params()))
def test_reducing_metrics_match(tfk, class_name, kwargs, kind, shape, weights):
    ours = getattr(metrics, class_name)(**kwargs)
    theirs = getattr(tfk.metrics, class_name)(**kwargs)
    assert ours.name == theirs.name
    batches = _batches(kind, shape, weights)
    if shape == (N,) and weights and class_name not in ("BinaryAccuracy", "RootMeanSquaredError"):
        # The function reduces (N,) to a scalar, which per-sample weights cannot weigh: tf.keras raises too.
        y_true, y_pred, sw = batches[0]
        with pytest.raises(Exception):
            theirs.update_state(y_true, y_pred, sample_weight=sw)
        with pytest.raises(ValueError, match="sample_weight"):
            ours.update_state(y_true, y_pred, sample_weight=sw)
        return
    _compare(ours, theirs, batches)


CONFUSION_CASES = [
    ("TruePositives", {}), ("FalsePositives", {"thresholds": [0.2, 0.5, 0.9]}),
    ("TrueNegatives", {"thresholds": 0.3}), ("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}),
    ("Precision", {}), ("Precision", {"thresholds": [0.1, 0.4, 0.7]}), ("Precision", {"top_k": 2}),
    ("Precision", {"class_id": 1}), ("Precision", {"top_k": 2, "class_id": 2, "thresholds": [0.0, 0.2]}),
    ("Recall", {}), ("Recall", {"thresholds": [0.0, 0.5, 1.0]}), ("Recall", {"top_k": 1}),
    ("Recall", {"class_id": 0, "thresholds": 0.6}),
    ("AUC", {}), ("AUC", {"curve": "PR"}), ("AUC", {"num_thresholds": 17}),
    ("AUC", {"thresholds": [0.8, 0.1, 0.45]}), ("AUC", {"thresholds": [0.25, 0.5, 0.75], "curve": "PR"}),
    ("AUC", {"summation_method": "minoring"}), ("AUC", {"curve": "PR", "summation_method": "majoring"}),
    ("AUC", {"curve": "PR_GAIN"}), ("AUC", {"from_logits": True}),
    ("AUC", {"multi_label": True}), ("AUC", {"multi_label": True, "curve": "PR", "num_labels": 3}),
    ("AUC", {"multi_label": True, "label_weights": [0.2, 1.0, 0.5]}), ("AUC", {"label_weights": [1.0, 0.0, 3.0]}),
    ("SensitivityAtSpecificity", {"specificity": 0.6}), ("SpecificityAtSensitivity", {"sensitivity": 0.7}),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 50}),
    ("RecallAtPrecision", {"precision": 0.6, "class_id": 1}), ("RecallAtPrecision", {"precision": 0.99}),
    ("SensitivityAtSpecificity", {"specificity": 0.5, "num_thresholds": 1}),
]
CONFUSION_SHAPES = {"(N,)": (N,), "(N,1)": (N, 1), "(N,3)": (N, 3), "(N,4,3)": (N, 4, 3)}


def _confusion_params():
    for class_name, kwargs in CONFUSION_CASES:
        shapes = ["(N,3)"] if ("class_id" in kwargs or "top_k" in kwargs or "label_weights" in kwargs
                               or kwargs.get("multi_label")) else list(CONFUSION_SHAPES)
        for shape in shapes:
            for weights in (None, "per_sample"):
                yield pytest.param(class_name, kwargs, shape, weights,
                                   id=f"{class_name}-{kwargs}-{shape}-{weights}")


@pytest.mark.parametrize("class_name, kwargs, shape, weights", list(_confusion_params()))
def test_confusion_metrics_match(tfk, class_name, kwargs, shape, weights):
    ours = getattr(metrics, class_name)(**kwargs)
    theirs = getattr(tfk.metrics, class_name)(**kwargs)
    kind = "signed" if kwargs.get("from_logits") else "binary"
    batches = _batches(kind, CONFUSION_SHAPES[shape], weights if shape != "(N,)" else None)
    if kind == "signed":
        batches = [((yt > 0).astype("float32"), yp, sw) for yt, yp, sw in batches]
    if shape == "(N,4,3)" and weights:
        assert _both_reject(ours, theirs, batches[0])  # (N,) weights do not broadcast to 3-D predictions
        return
    # Weighted counts such as fn = sum(weights) - tp may cancel to float32 noise (~1e-6) in tf.keras.
    _compare(ours, theirs, batches, atol=1e-5)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


def test_confusion_metrics_with_exact_bucket_edges_match(tfk):
    """Predictions exactly on thresholds (0, 0.5, 1) take the same side as in tf.keras."""
    y_true = np.array([0, 1, 1, 0, 1, 0, 1, 0], "float32")
    y_pred = np.array([0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 0.25, 0.75], "float32")
    for name, kwargs in [("AUC", {"num_thresholds": 5}), ("Precision", {"thresholds": [0.0, 0.5, 1.0]}),
                         ("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}), ("TruePositives", {}),
                         ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 5}),
                         ("Precision", {"top_k": 3}), ("Recall", {"top_k": 2, "thresholds": [0.0, 0.6]})]:
        ours, theirs = getattr(metrics, name)(**kwargs), getattr(tfk.metrics, name)(**kwargs)
        _compare(ours, theirs, [(y_true, y_pred, None)])


def _plain(config):
    """A config with tf's list wrappers as lists and arrays as nested lists, for comparison."""
    def plain(value):
        if isinstance(value, (np.ndarray, np.generic)):
            return value.tolist()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value
    return {key: plain(value) for key, value in config.items()}


def test_mean_and_sum_match(tfk):
    rng = np.random.RandomState(1)
    for name in ("Mean", "Sum"):
        for shape, sw_shape in [((N,), None), ((N,), (N,)), ((N, 3), (N,)), ((N, 3), (N, 1)), ((N, 3), (N, 3)),
                                ((N, 4, 3), (N,)), ((N, 4, 3), (N, 4)), ((), None), ((N, 1), (N,))]:
            ours, theirs = getattr(metrics, name)(), getattr(tfk.metrics, name)()
            assert ours.name == theirs.name
            batches = [(np.asarray(rng.randn(*shape), "float32"),
                        None if sw_shape is None else rng.rand(*sw_shape).astype("float32")) for _ in range(3)]
            for values, sw in batches:
                assert_close(ours(torch.as_tensor(values), sample_weight=sw), theirs(values, sample_weight=sw))
            ours.reset_states()
            theirs.reset_states()
            assert_close(ours.result(), theirs.result())
    ours, theirs = metrics.Mean(), tfk.metrics.Mean()
    assert_close(ours([1, 3, 5, 7], sample_weight=2.0), theirs([1, 3, 5, 7], sample_weight=2.0))


def test_mean_tensor_matches(tfk):
    ours, theirs = metrics.MeanTensor(), tfk.metrics.MeanTensor()
    rng = np.random.RandomState(2)
    for sw in (None, rng.rand(4).astype("float32"), rng.rand(4, 1).astype("float32")):
        values = rng.randn(4, 3).astype("float32")
        assert_close(ours(values, sample_weight=sw), theirs(values, sample_weight=sw))
    ours.reset_state()
    theirs.reset_state()
    assert_close(ours.result(), theirs.result())


@pytest.mark.parametrize("factory", [
    lambda m: m.MeanIoU(num_classes=4), lambda m: m.MeanIoU(num_classes=4, ignore_class=0),
    lambda m: m.IoU(num_classes=4, target_class_ids=[1, 3]),
    lambda m: m.OneHotMeanIoU(num_classes=4), lambda m: m.OneHotIoU(num_classes=4, target_class_ids=[0, 2]),
    lambda m: m.MeanIoU(num_classes=4, sparse_y_pred=False),
])
@pytest.mark.parametrize("weights", [None, "per_sample"])
def test_iou_metrics_match(tfk, factory, weights):
    ours, theirs = factory(metrics), factory(tfk.metrics)
    rng = np.random.RandomState(3)
    batches = []
    for _ in range(BATCHES):
        labels, preds = rng.randint(0, 4, size=(N, 5)), rng.randint(0, 3, size=(N, 5))
        probs = rng.rand(N, 5, 4).astype("float32")
        if isinstance(ours, (metrics.OneHotIoU, metrics.OneHotMeanIoU)):
            labels, preds = np.eye(4, dtype="float32")[labels], probs
        elif not ours.sparse_y_pred:
            preds = probs
        sw = None if weights is None else rng.rand(N, 5).astype("float32")
        batches.append((labels, preds, sw))
    _compare(ours, theirs, batches)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


def test_binary_iou_matches(tfk):
    ours, theirs = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3), tfk.metrics.BinaryIoU([1], 0.3)
    rng = np.random.RandomState(8)
    batches = [_batch("binary", (N, 3), rng) + (rng.rand(N, 3).astype("float32"),) for _ in range(BATCHES)]
    _compare(ours, theirs, batches)
    assert _both_reject(ours, theirs, batches[0][:2] + (rng.rand(N).astype("float32"),))
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


def test_mean_relative_error_matches(tfk):
    normalizer = np.random.RandomState(4).rand(N, 3).astype("float32") + 0.5
    ours, theirs = metrics.MeanRelativeError(normalizer), tfk.metrics.MeanRelativeError(normalizer)
    _compare(ours, theirs, _batches("regression", (N, 3), "per_sample"))
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.filterwarnings("ignore:More independent predictors")
@pytest.mark.parametrize("kwargs", [{}, {"class_aggregation": None}, {"class_aggregation": "variance_weighted_average"},
                                    {"num_regressors": 2}])
def test_r2_score_matches(tfk, kwargs):
    ours, theirs = metrics.R2Score(**kwargs), tfk.metrics.R2Score(**kwargs)
    _compare(ours, theirs, _batches("regression", (N, 3), "per_sample"), rtol=1e-4)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.parametrize("class_name, kwargs", [
    ("F1Score", {}), ("F1Score", {"average": "micro", "threshold": 0.5}), ("F1Score", {"average": "macro"}),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.4}),
])
def test_f_scores_match(tfk, class_name, kwargs):
    ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(tfk.metrics, class_name)(**kwargs)
    _compare(ours, theirs, _batches("binary", (N, 3), "per_sample"))
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.parametrize("fn_name, kwargs, kind, shape", [
    ("binary_accuracy", {}, "binary", (N, 3)), ("binary_accuracy", {"threshold": 0.7}, "binary", (N,)),
    ("categorical_accuracy", {}, "categorical", (N, 4)), ("sparse_categorical_accuracy", {}, "sparse", (N, 4)),
    ("sparse_categorical_accuracy", {}, "sparse_column", (N, 4)),
    ("top_k_categorical_accuracy", {"k": 2}, "categorical", (N, 5)),
    ("sparse_top_k_categorical_accuracy", {}, "sparse", (N, 7)),
    ("sparse_top_k_categorical_accuracy", {"k": 1}, "sparse_column", (N, 3, 4)),
    ("mse", {}, "regression", (N, 3)), ("mae", {}, "regression", (N, 3)), ("mape", {}, "positive", (N, 3)),
    ("msle", {}, "positive", (N, 3)), ("logcosh", {}, "regression", (N, 3)), ("kld", {}, "categorical", (N, 4)),
    ("poisson", {}, "positive", (N, 3)), ("hinge", {}, "binary", (N, 3)), ("squared_hinge", {}, "binary", (N, 3)),
    ("binary_crossentropy", {}, "binary", (N, 3)), ("categorical_crossentropy", {}, "categorical", (N, 4)),
    ("sparse_categorical_crossentropy", {}, "sparse", (N, 4)),
])
def test_metric_functions_match(tfk, fn_name, kwargs, kind, shape):
    y_true, y_pred = _batch(kind, shape, np.random.RandomState(5))
    assert_close(getattr(metrics, fn_name)(torch.as_tensor(y_true), torch.as_tensor(y_pred), **kwargs),
                 getattr(tfk.metrics, fn_name)(y_true, y_pred, **kwargs))


def test_cosine_similarity_function_matches(tf, tfk):
    from tf_keras.src.metrics import cosine_similarity
    y_true, y_pred = _batch("regression", (N, 3), np.random.RandomState(6))
    y_true[0] = 0.0
    assert_close(metrics.cosine_similarity(y_true, y_pred), cosine_similarity(y_true, y_pred))
    assert metrics.get("cosine_proximity") is metrics.cosine_similarity


def test_custom_metric_functions_match(tfk):
    """The seeds' idiom: K-based functions of (y_true, y_pred), per-sample or per-batch, wrapped in
    MeanMetricWrapper (as compile does), averaged as tf.keras averages them over uneven batches."""
    def build(backend):
        def accuracy(y_true, y_pred):
            return backend.cast(backend.equal(backend.argmax(y_true, axis=-1), backend.argmax(y_pred, axis=-1)),
                                backend.floatx())

        def precision(y_true, y_pred):
            tp = backend.sum(y_pred[:, 1] * y_true[:, 1])
            fp = backend.sum(y_pred[:, 1] * y_true[:, 0])
            return tp / (tp + fp)

        def weighted_error(y_true, y_pred):
            return backend.mean(2 * backend.abs(y_true - 0.5) * backend.square(y_pred - y_true), axis=-1)

        return [accuracy, precision, weighted_error]

    rng = np.random.RandomState(7)
    batches = []
    for size in (8, 8, 3):
        y_true, y_pred = _batch("categorical", (size, 2), rng)
        batches.append((y_true, y_pred, None))
    for ours_fn, theirs_fn in zip(build(K), build(tfk.backend)):
        ours, theirs = metrics.MeanMetricWrapper(ours_fn), tfk.metrics.MeanMetricWrapper(theirs_fn)
        assert ours.name == theirs.name and ours.name.startswith("mean_metric_wrapper")
        _compare(ours, theirs, batches)
        named = metrics.MeanMetricWrapper(ours_fn, name=ours_fn.__name__)
        assert named.name == ours_fn.__name__


CONFIG_CASES = [
    ("Mean", {}), ("Sum", {"name": "total"}), ("Accuracy", {}), ("BinaryAccuracy", {"threshold": 0.7}),
    ("CategoricalAccuracy", {}), ("SparseCategoricalAccuracy", {"dtype": "float64"}),
    ("TopKCategoricalAccuracy", {"k": 3}), ("SparseTopKCategoricalAccuracy", {}), ("AUC", {}),
    ("AUC", {"num_thresholds": 10, "curve": "pr", "summation_method": "Majoring", "multi_label": True}),
    ("AUC", {"thresholds": [0.5, 0.2]}), ("Precision", {"thresholds": [0.3, 0.6], "top_k": 2, "class_id": 1}),
    ("Recall", {"thresholds": 0.4}), ("TruePositives", {}), ("FalseNegatives", {"thresholds": [0.1, 0.9]}),
    ("PrecisionAtRecall", {"recall": 0.4}), ("SpecificityAtSensitivity", {"sensitivity": 0.3, "class_id": 2}),
    ("MeanSquaredError", {}), ("RootMeanSquaredError", {}), ("LogCoshError", {}), ("CosineSimilarity", {"axis": 1}),
    ("KLDivergence", {}), ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("CategoricalCrossentropy", {}), ("SparseCategoricalCrossentropy", {"ignore_class": 2}),
    ("Hinge", {}), ("CategoricalHinge", {}), ("MeanIoU", {"num_classes": 3}),
    ("IoU", {"num_classes": 3, "target_class_ids": [0]}), ("F1Score", {"average": "macro"}),
]


@pytest.mark.parametrize("class_name, kwargs", CONFIG_CASES, ids=str)
def test_configs_names_and_serialization_match(tfk, class_name, kwargs):
    ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(tfk.metrics, class_name)(**kwargs)
    assert ours.name == theirs.name
    assert ours.dtype == theirs.dtype
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    theirs_args = ",".join(f"{k}={v}" for k, v in _plain(theirs.get_config()).items())
    assert str(ours) == f"{class_name}({theirs_args})"
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    ours_s, theirs_s = metrics.serialize(ours), tfk.metrics.serialize(theirs)
    assert {**ours_s, 'config': _plain(ours_s['config'])} == {**theirs_s, 'config': _plain(theirs_s['config'])}
    rebuilt = metrics.deserialize(tfk.metrics.serialize(theirs))
    assert type(rebuilt) is type(ours) and _plain(rebuilt.get_config()) == _plain(theirs.get_config())
    assert _plain(type(ours).from_config(theirs.get_config()).get_config()) == _plain(theirs.get_config())


def test_default_names_follow_tf_keras(tfk):
    for name in ("Mean", "AUC", "Precision", "Recall", "TruePositives", "BinaryAccuracy"):
        ours = [getattr(metrics, name)().name for _ in range(2)]
        theirs = [getattr(tfk.metrics, name)().name for _ in range(2)]
        assert ours == theirs
    assert metrics.MeanIoU(2).name == tfk.metrics.MeanIoU(2).name == "mean_io_u"


def test_get_resolves_like_tf_keras(tfk):
    for name in ("mse", "MSE", "mae", "mape", "msle", "logcosh", "log_cosh", "binary_crossentropy",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge",
                 "categorical_hinge", "kullback_leibler_divergence", "poisson", "accuracy", "acc",
                 "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                 "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "cosine_similarity"):
        ours, theirs = metrics.get(name), tfk.metrics.get(name)
        assert callable(ours) and ours.__name__ == theirs.__name__, name
    for name in ("AUC", "Accuracy", "Precision", "MeanSquaredError", "SparseCategoricalAccuracy"):
        ours, theirs = metrics.get(name), tfk.metrics.get(name)
        assert _plain(ours.get_config()) == _plain(theirs.get_config())
    config = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert metrics.get(config).get_config() == tfk.metrics.get(config).get_config()
    wrapper = tfk.metrics.serialize(tfk.metrics.MeanMetricWrapper(tfk.metrics.mse, name="w"))
    rebuilt = metrics.get(wrapper)
    assert isinstance(rebuilt, metrics.MeanMetricWrapper) and rebuilt._fn is metrics.mse and rebuilt.name == "w"
