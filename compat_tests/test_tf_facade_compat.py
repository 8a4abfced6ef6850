"""The tf facade against real TensorFlow: the same call on the same random inputs gives the same values,
shapes and dtypes; GradientTape gives the same gradients."""
import numpy as np
import pytest
import torch

import torchkeras_api.tf as ours_tf

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4)).astype("float32")
B = RNG.normal(size=(4, 5)).astype("float32")
P = RNG.uniform(0.1, 2.0, size=(3, 4)).astype("float32")
I = RNG.integers(-5, 6, size=(3, 4)).astype("int32")
NZ = np.where(I == 0, 1, I).astype("int32")
V = RNG.normal(size=(6,)).astype("float32")
LOGITS = RNG.normal(size=(5, 3)).astype("float32")
LABELS = np.eye(3, dtype="float32")[RNG.integers(0, 3, 5)]
SQUARE = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype("float32")
SPD = (SQUARE @ SQUARE.T).astype("float32")
T3 = RNG.normal(size=(2, 3, 4)).astype("float32")

# (path in the tf namespace, positional args, keyword args)
CASES = [
    ("constant", ([1, 2],), {}), ("constant", ([1.5, 2],), {}), ("constant", (3,), {"shape": (2, 2)}),
    ("constant", (np.arange(3),), {}), ("constant", ([True, False],), {}),
    ("convert_to_tensor", ([[1.0, 2.0]],), {}), ("zeros", ((2, 3),), {}), ("ones", ([2],), {"dtype": "int64"}),
    ("fill", ([2, 2], 1.5), {}), ("range", (5,), {}), ("range", (1.0, 3.0, 0.5), {}), ("range", (2, 11, 3), {}),
    ("eye", (3,), {}), ("eye", (2, 3), {}), ("shape", (T3,), {}), ("rank", (T3,), {}), ("size", (T3,), {}),
    ("zeros_like", (I,), {}), ("ones_like", (A,), {}), ("cast", (A, "int32"), {}), ("linspace", (0.0, 1.0, 5), {}),
    ("math.add", (A, 2.0), {}), ("math.subtract", (A, P), {}), ("math.multiply", (I, 3), {}),
    ("math.divide", (I, NZ), {}), ("math.truediv", (A, P), {}), ("math.floordiv", (I, NZ), {}),
    ("math.floormod", (I, NZ), {}), ("math.maximum", (A, P), {}), ("math.minimum", (I, 0), {}),
    ("math.pow", (P, 1.5), {}), ("math.squared_difference", (A, P), {}), ("math.divide_no_nan", (A, A * (I > 0)), {}),
    ("math.equal", (I, 0), {}), ("math.greater_equal", (A, P), {}), ("math.logical_and", (I > 0, A > 0), {}),
    ("math.abs", (I,), {}), ("math.sqrt", (P,), {}), ("math.rsqrt", (P,), {}), ("math.exp", (A,), {}),
    ("math.log", (P,), {}), ("math.log1p", (P,), {}), ("math.sigmoid", (A,), {}), ("math.softplus", (A,), {}),
    ("math.round", (A * 3,), {}), ("math.floor", (A,), {}), ("math.sign", (I,), {}), ("math.erf", (A,), {}),
    ("math.tanh", (A,), {}), ("math.negative", (I,), {}), ("math.reciprocal", (P,), {}), ("math.is_nan", (A,), {}),
    ("reduce_sum", (A,), {}), ("reduce_sum", (I,), {"axis": 1}), ("reduce_mean", (A,), {"axis": 0, "keepdims": True}),
    ("reduce_mean", (I,), {"axis": 1}), ("reduce_max", (A,), {"axis": [0, 1]}), ("reduce_min", (I,), {"axis": -1}),
    ("reduce_prod", (P,), {"axis": 1}), ("math.reduce_std", (A,), {"axis": 0}), ("math.reduce_variance", (A,), {}),
    ("reduce_any", (A > 1,), {"axis": 1}), ("reduce_all", (A > -3,), {}), ("reduce_logsumexp", (A,), {"axis": 1}),
    ("math.reduce_euclidean_norm", (A,), {"axis": 1}), ("math.count_nonzero", (I,), {"axis": 0}),
    ("argmax", (A,), {}), ("argmax", (A,), {"axis": 1, "output_type": "int32"}), ("argmin", (I,), {"axis": 1}),
    ("cumsum", (A,), {"axis": 1}), ("cumsum", (I,), {"axis": 1, "exclusive": True, "reverse": True}),
    ("math.cumprod", (P,), {"axis": 0, "exclusive": True}), ("add_n", ([A, P, A],), {}),
    ("matmul", (A, B), {}), ("matmul", (A, A), {"transpose_b": True}), ("matmul", (T3, B), {}),
    ("tensordot", (A, B, 1), {}), ("tensordot", (T3, A, [[1, 2], [0, 1]]), {}), ("einsum", ("ij,jk->ik", A, B), {}),
    ("math.l2_normalize", (A,), {"axis": 1}), ("clip_by_value", (A, -0.5, 0.5), {}), ("clip_by_norm", (A, 1.0), {}),
    ("clip_by_norm", (A, 1.0, [1]), {}), ("norm", (A,), {}), ("norm", (A,), {"axis": 1}),
    ("norm", (A,), {"ord": 1, "axis": 0}), ("norm", (A,), {"ord": "fro", "axis": [0, 1]}),
    ("reshape", (T3, [4, -1]), {}), ("transpose", (T3,), {}), ("transpose", (T3, [0, 2, 1]), {}),
    ("concat", ([A, P], 1), {}), ("stack", ([A, P],), {"axis": 1}), ("unstack", (T3,), {"axis": 1}),
    ("split", (T3, 2), {"axis": 2}), ("split", (T3, [1, -1, 1]), {"axis": 1}), ("expand_dims", (A, 1), {}),
    ("squeeze", (A[:1, None],), {}), ("squeeze", (A[:1, None],), {"axis": [1]}),
    ("gather", (A, [2, 0, 2]), {}), ("gather", (T3, [[0, 3], [1, 1]]), {"axis": 2}),
    ("gather_nd", (T3, [[0, 1], [1, 2]]), {}), ("tile", (A, [2, 1]), {}),
    ("pad", (A, [[1, 2], [0, 1]]), {}), ("pad", (A, [[1, 2], [2, 1]]), {"mode": "REFLECT"}),
    ("pad", (A, [[1, 2], [3, 1]]), {"mode": "SYMMETRIC"}), ("pad", (I, [[1, 0], [0, 1]]), {"constant_values": 7}),
    ("boolean_mask", (A, A[:, 0] > 0), {}), ("boolean_mask", (T3, T3[0] > 0), {"axis": 1}),
    ("where", (A > 0, A, P), {}), ("where", (A > 0,), {}), ("where", (A > 0, A, 0.0), {}),
    ("one_hot", ([0, 2, 5], 3), {}), ("one_hot", ([[0, 1]], 3), {"on_value": 5, "off_value": -1, "axis": 0}),
    ("reverse", (A, [1]), {}), ("slice", (T3, [0, 1, 1], [2, -1, 2]), {}), ("broadcast_to", (V[:3], [2, 3]), {}),
    ("repeat", (A, 2), {"axis": 0}), ("repeat", (A, [1, 0, 2]), {"axis": 0}), ("sort", (V,), {}),
    ("sort", (A,), {"direction": "DESCENDING"}), ("argsort", (V,), {}), ("sequence_mask", ([1, 3, 2],), {}),
    ("sequence_mask", ([1, 3],), {"maxlen": 4, "dtype": "float32"}), ("meshgrid", (V[:2], V[:3]), {}),
    ("nn.relu", (A,), {}), ("nn.relu6", (A * 10,), {}), ("nn.leaky_relu", (A,), {}), ("nn.elu", (A,), {}),
    ("nn.selu", (A,), {}), ("nn.gelu", (A,), {}), ("nn.gelu", (A,), {"approximate": True}), ("nn.silu", (A,), {}),
    ("nn.softsign", (A,), {}), ("nn.softmax", (A,), {}), ("nn.softmax", (A,), {"axis": 0}),
    ("nn.log_softmax", (A,), {}), ("nn.sigmoid_cross_entropy_with_logits", (), {"labels": LABELS, "logits": LOGITS}),
    ("nn.softmax_cross_entropy_with_logits", (LABELS, LOGITS), {}),
    ("nn.sparse_softmax_cross_entropy_with_logits", (LABELS.argmax(1).astype("int32"), LOGITS), {}),
    ("nn.weighted_cross_entropy_with_logits", (LABELS, LOGITS, 2.5), {}), ("nn.l2_loss", (A,), {}),
    ("nn.moments", (T3, [0, 1]), {}), ("nn.moments", (T3, [2]), {"keepdims": True}),
    ("nn.batch_normalization", (A, 0.1, 2.0, 0.5, 1.5, 1e-3), {}), ("nn.bias_add", (T3, V[:4]), {}),
    ("nn.embedding_lookup", (A, [[0, 2], [1, 1]]), {}), ("nn.l2_normalize", (A, 0), {}),
    ("math.top_k", (A,), {"k": 2}), ("math.confusion_matrix", ([0, 1, 2, 1], [0, 2, 2, 1]), {}),
    ("linalg.matvec", (A, V[:4]), {}), ("linalg.inv", (SQUARE,), {}), ("linalg.det", (SQUARE,), {}),
    ("linalg.slogdet", (SQUARE,), {}), ("linalg.logdet", (SPD,), {}), ("linalg.cholesky", (SPD,), {}),
    ("linalg.solve", (SQUARE, A[:, :2]), {}), ("linalg.triangular_solve", (np.tril(SQUARE), A[:, :2]), {}),
    ("linalg.trace", (SQUARE,), {}), ("linalg.diag", (V[:3],), {}), ("linalg.diag_part", (SQUARE,), {}),
    ("linalg.band_part", (SQUARE, 1, 0), {}), ("linalg.band_part", (A, -1, 1), {}),
    ("linalg.matrix_transpose", (T3,), {}), ("linalg.cross", (A[:, :3], P[:, :3]), {}),
    ("linalg.eigvalsh", (SPD,), {}), ("linalg.svd", (A,), {"compute_uv": False}), ("linalg.pinv", (A,), {}),
    ("linalg.global_norm", ([A, P],), {}), ("linalg.eye", (2,), {"batch_shape": [3]}),
]


def _resolve(root, path):
    for part in path.split("."):
        root = getattr(root, part)
    return root


def _leaves(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _dtype_name(value):
    return str(value.dtype).replace("torch.", "") if isinstance(value, torch.Tensor) else value.dtype.name


def _theirs(tf, value):
    if isinstance(value, str) and value in ("int32", "int64", "float32"):
        return tf.as_dtype(value)
    return value


@pytest.mark.parametrize("path, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_facade_matches_tensorflow(tf, path, args, kwargs):
    theirs = _resolve(tf, path)(*[_theirs(tf, a) for a in args], **{k: _theirs(tf, v) for k, v in kwargs.items()})
    ours = _resolve(ours_tf, path)(*args, **kwargs)
    ours_leaves, theirs_leaves = _leaves(ours), _leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves)
    for mine, reference in zip(ours_leaves, theirs_leaves):
        assert _dtype_name(mine) == reference.dtype.name, (path, _dtype_name(mine), reference.dtype.name)
        assert tuple(mine.shape) == tuple(reference.shape), (path, tuple(mine.shape), tuple(reference.shape))
        np.testing.assert_allclose(mine.detach().numpy(), reference.numpy(), rtol=2e-5, atol=2e-5)


def test_svd_reconstructs_like_tensorflow(tf):
    s, u, v = ours_tf.linalg.svd(A)
    ts, tu, tv = tf.linalg.svd(A)
    np.testing.assert_allclose(s.numpy(), ts.numpy(), rtol=1e-5)
    np.testing.assert_allclose((u * s) @ v.T, (tu.numpy() * ts.numpy()) @ tv.numpy().T, rtol=1e-4, atol=1e-5)


def _loss(lib, w, b, x):
    return lib.reduce_sum(lib.nn.softmax(lib.matmul(x, w) + b) * lib.math.log(lib.nn.sigmoid(x[:, :1]) + 1.0))


def test_gradient_tape_matches_tensorflow(tf):
    w0, b0, x0 = B[:, :3], V[:3], A
    w, b = tf.Variable(w0), tf.Variable(b0)
    with tf.GradientTape() as tape:
        loss = _loss(tf, w, b, tf.constant(x0))
    theirs = tape.gradient(loss, [w, b])
    ow, ob = ours_tf.Variable(w0), ours_tf.Variable(b0)
    with ours_tf.GradientTape() as tape:
        loss = _loss(ours_tf, ow, ob, ours_tf.constant(x0))
    ours = tape.gradient(loss, [ow, ob])
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-4, atol=1e-6)


def test_second_derivative_jacobian_and_output_gradients_match_tensorflow(tf):
    def run(lib):
        x = lib.constant(V[:3])
        upstream = lib.constant(P[0, :3])
        with lib.GradientTape(persistent=True) as outer:
            outer.watch(x)
            with lib.GradientTape() as inner:
                inner.watch(x)
                y = lib.reduce_sum(lib.math.sin(x) * x ** 2)
            dy = inner.gradient(y, x)
            z = lib.math.tanh(x) * lib.reduce_sum(x)
        return [dy, outer.gradient(dy, x), outer.jacobian(z, x), outer.gradient(z, x, output_gradients=upstream)]

    for mine, reference in zip(run(ours_tf), run(tf)):
        np.testing.assert_allclose(mine.detach().numpy(), reference.numpy(), rtol=1e-4, atol=1e-6)
