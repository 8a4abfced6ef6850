"""torchkeras_api.backend (K) against the real tf.keras backend: values, dtypes, shapes and op names."""
import re
import zlib

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close
from torchkeras_api import backend as K


def _rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def _inputs(name, specs):
    """numpy inputs from specs: a shape (normal floats), or (kind, shape) with kind pos/int/bool/prob/onehot."""
    rng = _rng(name)
    out = []
    for spec in specs:
        kind, shape = spec if isinstance(spec[0], str) else ("float", spec)
        if kind == "float":
            value = rng.randn(*shape) * 2
        elif kind == "pos":
            value = rng.uniform(0.1, 3.0, shape)
        elif kind == "prob":
            value = rng.uniform(0.0, 1.0, shape)
            value[..., 0] = 0.0
        elif kind == "softmax":
            logits = rng.randn(*shape)
            value = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        elif kind == "onehot":
            value = np.eye(shape[-1])[rng.randint(0, shape[-1], shape[:-1])]
        elif kind == "int":
            out.append(rng.randint(-5, 6, shape).astype("int32"))
            continue
        elif kind == "label":
            out.append(rng.randint(0, 4, shape).astype("int32"))
            continue
        elif kind == "bool":
            out.append(rng.rand(*shape) > 0.5)
            continue
        else:
            raise ValueError(kind)
        out.append(value.astype("float32"))
    return out


def _compare(ours, theirs):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _compare(o, t)
        return
    theirs_np = np.asarray(theirs.numpy() if hasattr(theirs, "numpy") else theirs)
    ours_np = np.asarray(K.get_value(ours))
    assert ours_np.dtype == theirs_np.dtype, f"dtype {ours_np.dtype} != {theirs_np.dtype}"
    if theirs_np.dtype.kind in "biu":
        assert ours_np.shape == theirs_np.shape, f"shape {ours_np.shape} != {theirs_np.shape}"
        np.testing.assert_array_equal(ours_np, theirs_np)
    else:
        assert_close(ours_np, theirs_np)


# (id, fn(K, *inputs), input specs); fn runs on both backends.
CASES = [
    ("mean", lambda K, x: K.mean(x), [(3, 4)]),
    ("mean_axis", lambda K, x: K.mean(x, axis=1), [(3, 4)]),
    ("mean_axes_keepdims", lambda K, x: K.mean(x, axis=[0, 2], keepdims=True), [(3, 4, 5)]),
    ("mean_bool", lambda K, x: K.mean(x, axis=1), [("bool", (3, 4))]),
    ("mean_int", lambda K, x: K.mean(x, axis=0), [("int", (7, 3))]),
    ("sum", lambda K, x: K.sum(x, axis=-1), [(3, 4)]),
    ("sum_int", lambda K, x: K.sum(x), [("int", (3, 4))]),
    ("sum_tuple_keepdims", lambda K, x: K.sum(x, axis=(1, 2), keepdims=True), [(2, 3, 4)]),
    ("prod", lambda K, x: K.prod(x, axis=1), [(3, 4)]),
    ("prod_axes_keepdims", lambda K, x: K.prod(x, axis=[0, 2], keepdims=True), [(2, 3, 2)]),
    ("prod_all", lambda K, x: K.prod(x), [(2, 3)]),
    ("prod_int", lambda K, x: K.prod(x, axis=0), [("int", (3, 4))]),
    ("max", lambda K, x: K.max(x), [(3, 4)]),
    ("max_axis_keepdims", lambda K, x: K.max(x, axis=0, keepdims=True), [(3, 4)]),
    ("min", lambda K, x: K.min(x, axis=[0, 1]), [(3, 4, 2)]),
    ("min_int", lambda K, x: K.min(x, axis=1), [("int", (3, 4))]),
    ("std", lambda K, x: K.std(x), [(3, 4)]),
    ("std_axis", lambda K, x: K.std(x, axis=1, keepdims=True), [(3, 4)]),
    ("var", lambda K, x: K.var(x, axis=[0, 1]), [(3, 4, 2)]),
    ("any", lambda K, x: K.any(x, axis=1), [("bool", (3, 4))]),
    ("any_float", lambda K, x: K.any(K.greater(x, 3.0)), [(3, 4)]),
    ("all", lambda K, x: K.all(x, axis=0, keepdims=True), [("bool", (3, 4))]),
    ("all_int", lambda K, x: K.all(x), [("int", (3, 4))]),
    ("argmax", lambda K, x: K.argmax(x), [(3, 4)]),
    ("argmax_axis", lambda K, x: K.argmax(x, axis=0), [(3, 4)]),
    ("argmin", lambda K, x: K.argmin(x, axis=1), [(3, 4, 2)]),
    ("cumsum", lambda K, x: K.cumsum(x), [(3, 4)]),
    ("cumsum_int", lambda K, x: K.cumsum(x, axis=1), [("int", (3, 4))]),
    ("cumprod", lambda K, x: K.cumprod(x, axis=1), [(3, 4)]),
    ("square", lambda K, x: K.square(x), [(3, 4)]),
    ("abs", lambda K, x: K.abs(x), [(3, 4)]),
    ("abs_int", lambda K, x: K.abs(x), [("int", (3, 4))]),
    ("sqrt", lambda K, x: K.sqrt(x), [(3, 4)]),
    ("exp", lambda K, x: K.exp(x), [(3, 4)]),
    ("log", lambda K, x: K.log(x), [("pos", (3, 4))]),
    ("pow", lambda K, x: K.pow(x, 3), [(3, 4)]),
    ("pow_float", lambda K, x: K.pow(x, 0.5), [("pos", (3, 4))]),
    ("pow_tensor", lambda K, x, y: K.pow(x, y), [("pos", (3, 4)), (3, 4)]),
    ("pow_int", lambda K, x: K.pow(x, 2), [("int", (3, 4))]),
    ("sign", lambda K, x: K.sign(x), [(3, 4)]),
    ("sign_int", lambda K, x: K.sign(x), [("int", (3, 4))]),
    ("round", lambda K, x: K.round(x * 2), [("int", (3, 4))]),
    ("round_half", lambda K, x: K.round(K.cast(x, "float32") + 0.5), [("int", (3, 4))]),
    ("sin", lambda K, x: K.sin(x), [(3, 4)]),
    ("cos", lambda K, x: K.cos(x), [(3, 4)]),
    ("clip", lambda K, x: K.clip(x, -1.0, 0.5), [(3, 4)]),
    ("clip_swapped", lambda K, x: K.clip(x, 1.0, -1.0), [(3, 4)]),
    ("clip_none", lambda K, x: K.clip(x, None, 0.5), [(3, 4)]),
    ("clip_int", lambda K, x: K.clip(x, -2, 3), [("int", (3, 4))]),
    ("cast_int", lambda K, x: K.cast(x, "int32"), [(3, 4)]),
    ("cast_float64", lambda K, x: K.cast(x, "float64"), [(3, 4)]),
    ("cast_bool", lambda K, x: K.cast(x, "bool"), [("int", (3, 4))]),
    ("cast_from_bool", lambda K, x: K.cast(x, "float32"), [("bool", (3, 4))]),
    ("equal", lambda K, x, y: K.equal(x, y), [("int", (3, 4)), ("int", (3, 4))]),
    ("not_equal", lambda K, x, y: K.not_equal(x, y), [("int", (3, 4)), ("int", (4,))]),
    ("greater", lambda K, x, y: K.greater(x, y), [(3, 4), (3, 4)]),
    ("greater_scalar", lambda K, x: K.greater(x, 0.5), [(3, 4)]),
    ("greater_equal", lambda K, x, y: K.greater_equal(x, y), [("int", (3, 4)), ("int", (3, 4))]),
    ("less", lambda K, x, y: K.less(x, y), [(3, 4), (1, 4)]),
    ("less_equal", lambda K, x: K.less_equal(x, 0.0), [(3, 4)]),
    ("maximum", lambda K, x, y: K.maximum(x, y), [(3, 4), (3, 4)]),
    ("maximum_scalar", lambda K, x: K.maximum(x, 0.0), [(3, 4)]),
    ("maximum_int", lambda K, x: K.maximum(x, 1), [("int", (3, 4))]),
    ("minimum", lambda K, x, y: K.minimum(x, y), [(3, 4), (4,)]),
    ("sigmoid", lambda K, x: K.sigmoid(x), [(3, 4)]),
    ("hard_sigmoid", lambda K, x: K.hard_sigmoid(x), [(3, 40)]),
    ("tanh", lambda K, x: K.tanh(x), [(3, 4)]),
    ("relu", lambda K, x: K.relu(x), [(3, 40)]),
    ("relu_alpha", lambda K, x: K.relu(x, alpha=0.1), [(3, 40)]),
    ("relu_alpha_big", lambda K, x: K.relu(x, alpha=1.5), [(3, 40)]),
    ("relu_max", lambda K, x: K.relu(x, max_value=1.5), [(3, 40)]),
    ("relu_max6", lambda K, x: K.relu(x * 4, max_value=6), [(3, 40)]),
    ("relu_threshold", lambda K, x: K.relu(x, threshold=0.5), [(3, 40)]),
    ("relu_negative_threshold", lambda K, x: K.relu(x, threshold=-1.0), [(3, 40)]),
    ("relu_threshold_max", lambda K, x: K.relu(x, max_value=1.0, threshold=-0.5), [(3, 40)]),
    ("relu_all", lambda K, x: K.relu(x, alpha=0.2, max_value=2.0, threshold=0.5), [(3, 40)]),
    ("relu_alpha_max", lambda K, x: K.relu(x, alpha=0.3, max_value=1.0), [(3, 40)]),
    ("elu", lambda K, x: K.elu(x), [(3, 40)]),
    ("elu_alpha", lambda K, x: K.elu(x, 0.5), [(3, 40)]),
    ("softmax", lambda K, x: K.softmax(x), [(3, 4)]),
    ("softmax_axis", lambda K, x: K.softmax(x, axis=1), [(3, 4, 5)]),
    ("softmax_tuple", lambda K, x: K.softmax(x, axis=(1, 2)), [(3, 4, 5)]),
    ("softplus", lambda K, x: K.softplus(x * 10), [(3, 40)]),
    ("softsign", lambda K, x: K.softsign(x), [(3, 4)]),
    ("l2_normalize", lambda K, x: K.l2_normalize(x, axis=1), [(3, 4)]),
    ("l2_normalize_all", lambda K, x: K.l2_normalize(x), [(3, 4)]),
    ("l2_normalize_axes", lambda K, x: K.l2_normalize(x, axis=[0, 2]), [(3, 4, 2)]),
    ("l2_normalize_zero", lambda K, x: K.l2_normalize(x * 0.0, axis=-1), [(3, 4)]),
    ("concatenate", lambda K, x, y: K.concatenate([x, y]), [(3, 4), (3, 2)]),
    ("concatenate_axis0", lambda K, x, y: K.concatenate([x, y], axis=0), [(3, 4), (2, 4)]),
    ("reshape", lambda K, x: K.reshape(x, (-1, 2)), [(3, 4)]),
    ("reshape_list", lambda K, x: K.reshape(x, [2, 3, 2]), [(3, 4)]),
    ("expand_dims", lambda K, x: K.expand_dims(x), [(3, 4)]),
    ("expand_dims_0", lambda K, x: K.expand_dims(x, 0), [(3, 4)]),
    ("expand_dims_neg", lambda K, x: K.expand_dims(x, -2), [(3, 4)]),
    ("squeeze", lambda K, x: K.squeeze(x, 1), [(3, 1, 4)]),
    ("squeeze_neg", lambda K, x: K.squeeze(x, -1), [(3, 4, 1)]),
    ("stack", lambda K, x, y: K.stack([x, y]), [(3, 4), (3, 4)]),
    ("stack_axis", lambda K, x, y: K.stack([x, y], axis=-1), [(3, 4), (3, 4)]),
    ("flatten", lambda K, x: K.flatten(x), [(3, 4, 2)]),
    ("batch_flatten", lambda K, x: K.batch_flatten(x), [(3, 4, 2)]),
    ("batch_flatten_2d", lambda K, x: K.batch_flatten(x), [(3, 4)]),
    ("permute_dimensions", lambda K, x: K.permute_dimensions(x, (2, 0, 1)), [(3, 4, 2)]),
    ("repeat", lambda K, x: K.repeat(x, 3), [(2, 4)]),
    ("repeat_elements", lambda K, x: K.repeat_elements(x, 2, 1), [(3, 4)]),
    ("repeat_elements_axis0", lambda K, x: K.repeat_elements(x, 3, 0), [(2, 3, 2)]),
    ("tile", lambda K, x: K.tile(x, (2, 3)), [(3, 4)]),
    ("tile_int", lambda K, x: K.tile(x, 2), [(4,)]),
    ("transpose", lambda K, x: K.transpose(x), [(3, 4)]),
    ("transpose_3d", lambda K, x: K.transpose(x), [(3, 4, 2)]),
    ("reverse", lambda K, x: K.reverse(x, 1), [(3, 4)]),
    ("reverse_axes", lambda K, x: K.reverse(x, [0, 2]), [(3, 4, 2)]),
    ("gather", lambda K, x: K.gather(x, [2, 0, 2]), [(3, 4)]),
    ("gather_tensor", lambda K, x, i: K.gather(x, K.abs(i) % 3), [(3, 4), ("int", (2, 2))]),
    ("gather_scalar", lambda K, x: K.gather(x, 1), [(3, 4)]),
    ("one_hot", lambda K, i: K.one_hot(i, 4), [("label", (3, 2))]),
    ("one_hot_out_of_range", lambda K, i: K.one_hot(i, 3), [("int", (6,))]),
    ("dot_2d", lambda K, x, y: K.dot(x, y), [(3, 4), (4, 5)]),
    ("dot_3d_2d", lambda K, x, y: K.dot(x, y), [(2, 3, 4), (4, 5)]),
    ("dot_2d_3d", lambda K, x, y: K.dot(x, y), [(3, 4), (2, 4, 5)]),
    ("dot_3d_3d", lambda K, x, y: K.dot(x, y), [(2, 3, 4), (6, 4, 5)]),
    ("batch_dot_2_2", lambda K, x, y: K.batch_dot(x, y), [(3, 4), (3, 4)]),
    ("batch_dot_2_2_axes1", lambda K, x, y: K.batch_dot(x, y, axes=1), [(3, 4), (3, 4)]),
    ("batch_dot_3_3", lambda K, x, y: K.batch_dot(x, y), [(3, 4, 5), (3, 5, 2)]),
    ("batch_dot_3_3_axes", lambda K, x, y: K.batch_dot(x, y, axes=(1, 2)), [(3, 4, 5), (3, 2, 4)]),
    ("batch_dot_3_3_int_axes", lambda K, x, y: K.batch_dot(x, y, axes=1), [(3, 4, 5), (3, 4, 2)]),
    ("batch_dot_2_3", lambda K, x, y: K.batch_dot(x, y, axes=(1, 1)), [(3, 4), (3, 4, 5)]),
    ("batch_dot_2_3_default", lambda K, x, y: K.batch_dot(x, y), [(3, 4), (3, 4, 5)]),
    ("batch_dot_3_2", lambda K, x, y: K.batch_dot(x, y, axes=(2, 1)), [(3, 5, 4), (3, 4)]),
    ("batch_dot_3_2_default", lambda K, x, y: K.batch_dot(x, y), [(3, 5, 4), (3, 4)]),
    ("batch_dot_4_3", lambda K, x, y: K.batch_dot(x, y, axes=(3, 1)), [(2, 5, 6, 3), (2, 3, 4)]),
    ("batch_dot_4_4", lambda K, x, y: K.batch_dot(x, y, axes=(1, 3)), [(2, 3, 5, 6), (2, 4, 7, 3)]),
    ("batch_dot_3_4_negative", lambda K, x, y: K.batch_dot(x, y, axes=(-1, -3)), [(2, 5, 3), (2, 3, 4, 6)]),
    ("zeros_like", lambda K, x: K.zeros_like(x), [("int", (3, 4))]),
    ("zeros_like_dtype", lambda K, x: K.zeros_like(x, dtype="int32"), [(3, 4)]),
    ("ones_like", lambda K, x: K.ones_like(x), [(3, 4)]),
    ("ones_like_dtype", lambda K, x: K.ones_like(x, dtype="float64"), [(3, 4)]),
    ("shape", lambda K, x: K.shape(x), [(3, 4, 2)]),
    ("binary_crossentropy", lambda K, t, o: K.binary_crossentropy(t, o), [("prob", (3, 4)), ("prob", (3, 4))]),
    ("binary_crossentropy_logits", lambda K, t, o: K.binary_crossentropy(t, o * 5, from_logits=True),
     [("prob", (3, 4)), (3, 4)]),
    ("binary_crossentropy_sigmoid", lambda K, t, o: K.binary_crossentropy(t, K.sigmoid(o * 20)),
     [("prob", (3, 4)), (3, 4)]),
    ("categorical_crossentropy", lambda K, t, o: K.categorical_crossentropy(t, o),
     [("onehot", (3, 5)), ("softmax", (3, 5))]),
    ("categorical_crossentropy_unnormalized", lambda K, t, o: K.categorical_crossentropy(t, o),
     [("prob", (3, 5)), ("prob", (3, 5))]),
    ("categorical_crossentropy_logits", lambda K, t, o: K.categorical_crossentropy(t, o, from_logits=True),
     [("onehot", (3, 5)), (3, 5)]),
    ("categorical_crossentropy_axis", lambda K, t, o: K.categorical_crossentropy(t, o, axis=1),
     [("prob", (2, 5, 3)), ("prob", (2, 5, 3))]),
    ("categorical_crossentropy_softmax", lambda K, t, o: K.categorical_crossentropy(t, K.softmax(o * 30)),
     [("onehot", (3, 5)), (3, 5)]),
    ("sparse_categorical_crossentropy", lambda K, t, o: K.sparse_categorical_crossentropy(t, o),
     [("label", (3,)), ("softmax", (3, 4))]),
    ("sparse_categorical_crossentropy_column", lambda K, t, o: K.sparse_categorical_crossentropy(t, o),
     [("label", (3, 1)), ("prob", (3, 4))]),
    ("sparse_categorical_crossentropy_logits",
     lambda K, t, o: K.sparse_categorical_crossentropy(t, o, from_logits=True), [("label", (3,)), (3, 4)]),
    ("sparse_categorical_crossentropy_3d", lambda K, t, o: K.sparse_categorical_crossentropy(t, o),
     [("label", (2, 5)), ("softmax", (2, 5, 4))]),
    ("sparse_categorical_crossentropy_3d_flat_target", lambda K, t, o: K.sparse_categorical_crossentropy(t, o),
     [("label", (10,)), ("softmax", (2, 5, 4))]),
    ("sparse_categorical_crossentropy_axis",
     lambda K, t, o: K.sparse_categorical_crossentropy(t, o, from_logits=True, axis=1),
     [("label", (2, 5)), (2, 4, 5)]),
    ("sparse_categorical_crossentropy_softmax",
     lambda K, t, o: K.sparse_categorical_crossentropy(t, K.softmax(o * 30)), [("label", (3,)), (3, 4)]),
    ("sparse_categorical_crossentropy_ignore",
     lambda K, t, o: K.sparse_categorical_crossentropy(t, o, from_logits=True, ignore_class=1),
     [("label", (6,)), (6, 4)]),
    ("switch", lambda K, c, x, y: K.switch(c, x, y), [("bool", (3, 4)), (3, 4), (3, 4)]),
    ("switch_rank1", lambda K, c, x, y: K.switch(c, x, y), [("bool", (4,)), (3, 4), (3, 4)]),
    ("switch_rank2", lambda K, c, x, y: K.switch(c, x, y), [("bool", (3, 4)), (3, 4, 2), (3, 4, 2)]),
    ("switch_int_condition", lambda K, c, x, y: K.switch(c, x, y), [("int", (3, 4)), (3, 4), (3, 4)]),
    ("switch_scalar", lambda K, x, y: K.switch(K.greater(K.sum(x), 0.0), x, y), [(3, 4), (3, 4)]),
    ("switch_callables", lambda K, x, y: K.switch(K.greater(K.sum(x), 0.0), lambda: x * 2, lambda: y),
     [(3, 4), (3, 4)]),
    ("stop_gradient", lambda K, x: K.stop_gradient(x), [(3, 4)]),
    ("bias_add", lambda K, x, b: K.bias_add(x, b), [(3, 4), (4,)]),
    ("bias_add_channels_first", lambda K, x, b: K.bias_add(x, b, data_format="channels_first"),
     [(2, 3, 4, 5), (3,)]),
    ("bias_add_full", lambda K, x, b: K.bias_add(x, b, data_format="channels_first"), [(2, 3, 4, 5), (4, 5, 3)]),
    ("in_top_k", lambda K, p, t: K.in_top_k(p, t, 2), [(6, 4), ("label", (6,))]),
    ("temporal_padding", lambda K, x: K.temporal_padding(x, (1, 2)), [(2, 3, 4)]),
    ("spatial_2d_padding", lambda K, x: K.spatial_2d_padding(x, ((1, 0), (2, 1))), [(2, 3, 4, 2)]),
    ("spatial_2d_padding_first", lambda K, x: K.spatial_2d_padding(x, data_format="channels_first"),
     [(2, 3, 4, 2)]),
    ("spatial_3d_padding", lambda K, x: K.spatial_3d_padding(x, ((1, 0), (0, 1), (2, 2))), [(2, 3, 2, 2, 2)]),
    ("foldl", lambda K, x: K.foldl(lambda a, r: a * 0.5 + r, x), [(4, 3)]),
    ("foldl_initializer", lambda K, x, i: K.foldl(lambda a, r: a * 0.5 + r, x, i), [(4, 3), (3,)]),
    ("foldr", lambda K, x: K.foldr(lambda a, r: a * 0.5 + r, x), [(4, 3)]),
    ("map_fn", lambda K, x: K.map_fn(lambda r: K.sum(r * r), x), [(4, 3)]),
]


@pytest.mark.parametrize("name, fn, specs", CASES, ids=[c[0] for c in CASES])
def test_matches_tf_keras(tf, tfk, name, fn, specs):
    arrays = _inputs(name, specs)
    ours = fn(K, *[torch.as_tensor(a) for a in arrays])
    theirs = fn(tfk.backend, *[tf.constant(a) for a in arrays])
    _compare(ours, theirs)


@pytest.mark.parametrize("name, fn, specs", [c for c in CASES if c[0] in {
    "sum", "greater_scalar", "maximum_scalar", "clip", "categorical_crossentropy", "binary_crossentropy",
    "batch_dot_3_3", "one_hot", "gather", "relu", "reshape"}], ids=lambda v: v if isinstance(v, str) else "")
def test_numpy_inputs_match(tf, tfk, name, fn, specs):
    arrays = _inputs(name, specs)
    _compare(fn(K, *arrays), fn(tfk.backend, *arrays))


def test_sparse_categorical_crossentropy_ignore_class_mask(tf, tfk):
    target = np.array([0, 1, 2, 1], "int32")
    output = _rng("ignore").randn(4, 3).astype("float32")
    ours = K.sparse_categorical_crossentropy(torch.as_tensor(target), torch.as_tensor(output), True, ignore_class=1)
    theirs = tfk.backend.sparse_categorical_crossentropy(target, output, True, ignore_class=1)
    np.testing.assert_array_equal(ours._keras_mask.numpy(), theirs._keras_mask.numpy())


def test_rnn_matches(tf, tfk):
    x, h0, w = _inputs("rnn", [(2, 5, 3), (2, 4), (3, 4)])
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 1, 1, 1]], bool)

    def run(B, convert, **kwargs):
        def step(inputs, states):
            out = B.tanh(B.dot(inputs, convert(w)) + states[0])
            return out, [out * 0.5]
        last, outputs, states = B.rnn(step, convert(x), [convert(h0)], **kwargs)
        return [last, outputs] + list(states)

    for kwargs in [{}, {"go_backwards": True}, {"return_all_outputs": False}]:
        for masked in (False, True):
            for zero_output in (False, True):
                ours = run(K, torch.as_tensor, mask=torch.as_tensor(mask) if masked else None,
                           zero_output_for_mask=zero_output, **kwargs)
                theirs = run(tfk.backend, tf.constant, mask=tf.constant(mask) if masked else None,
                             zero_output_for_mask=zero_output, **kwargs)
                _compare(ours, theirs)


def test_rnn_time_major_and_constants(tf, tfk):
    x, h0, c = _inputs("rnn_time_major", [(5, 2, 3), (2, 3), (2, 3)])

    def run(B, x, h0, c):
        return B.rnn(lambda i, s: (i + s[0] * s[1], [i + s[0] * s[1]]), x, [h0], constants=[c], time_major=True)

    ours = run(K, *(torch.as_tensor(a) for a in (x, h0, c)))
    theirs = run(tfk.backend, *(tf.constant(a) for a in (x, h0, c)))
    _compare(list(ours[:2]) + list(ours[2]), list(theirs[:2]) + list(theirs[2]))


@pytest.mark.parametrize("fn", [
    lambda K: K.zeros((2, 3)), lambda K: K.ones((3,), dtype="int32"), lambda K: K.eye(3),
    lambda K: K.eye(2, dtype="float64"), lambda K: K.variable([[1, 2], [3, 4]]),
    lambda K: K.variable(np.arange(3.0), dtype="float64"), lambda K: K.constant(2), lambda K: K.constant([1, 2]),
    lambda K: K.constant(np.zeros(2, "float64")), lambda K: K.constant(1.5, shape=(2, 3)),
    lambda K: K.constant([1, 2, 3, 4], dtype="int32", shape=(2, 2)), lambda K: K.arange(5),
    lambda K: K.arange(1, 7, 2, dtype="float32"), lambda K: K.arange(-3),
    lambda K: K.cast_to_floatx(np.arange(3)),
])
def test_creation_matches(tf, tfk, fn):
    _compare(fn(K), fn(tfk.backend))


def test_static_information_matches(tf, tfk):
    x = np.zeros((2, 3, 4), "float32")
    for B, t, v in [(K, torch.as_tensor(x), K.variable(x)), (tfk.backend, tf.constant(x), tfk.backend.variable(x))]:
        assert B.int_shape(t) == (2, 3, 4) and B.ndim(t) == 3 and B.dtype(t) == "float32"
        assert B.int_shape(v) == (2, 3, 4) and B.count_params(v) == 24 and B.dtype(v) == "float32"
        assert B.int_shape(B.cast(t, "int32")) == (2, 3, 4) and B.dtype(B.cast(t, "int32")) == "int32"
        assert B.is_keras_tensor(t) is False
        assert B.floatx() == "float32" and B.epsilon() == 1e-7 and B.image_data_format() == "channels_last"
        assert B.learning_phase() == 0
        assert B.in_train_phase(1, 2) == 2 and B.in_train_phase(lambda: 1, 2, training=True) == 1
        assert B.in_test_phase(1, 2) == 1 and B.in_test_phase(1, 2, training=1) == 2
        assert B.backend() == "tensorflow"
        with pytest.raises(ValueError, match="Expected a symbolic tensor"):
            B.is_keras_tensor(x)


def test_value_round_trip_matches(tf, tfk):
    for B in (K, tfk.backend):
        v = B.variable(np.ones((2, 2)))
        B.set_value(v, [[1, 2], [3, 4]])
        B.update_add(v, np.ones((2, 2), "float32"))
        B.update_sub(v, np.full((2, 2), 0.5, "float32"))
        B.moving_average_update(v, np.zeros((2, 2), "float32"), 0.9)
        scalar = B.variable(3.0)
        B.batch_set_value([(scalar, 5.0)])
        values = B.batch_get_value([v, scalar])
        np.testing.assert_allclose(values[0], [[1.35, 2.25], [3.15, 4.05]], rtol=1e-6)
        assert values[0].dtype == np.float32 and isinstance(values[1], np.float32) and values[1] == 5.0
        assert B.get_value(np.ones(2)).tolist() == [1.0, 1.0] and B.get_value(3) == 3
        with pytest.raises(ValueError):
            B.set_value(scalar, [1.0, 2.0])


# ---- symbolic (functional API): one node per K call, named as tf.keras names it ----------------------------

# (fn(K, *inputs), input shapes without the batch axis)
SYMBOLIC = [
    (lambda K, x: K.mean(x, axis=1), [(3,)]), (lambda K, x: K.sum(x), [(3,)]),
    (lambda K, x: K.prod(x, axis=-1), [(3,)]), (lambda K, x: K.max(x, axis=1, keepdims=True), [(3,)]),
    (lambda K, x: K.min(x, axis=1), [(3,)]), (lambda K, x: K.std(x, axis=1), [(3,)]),
    (lambda K, x: K.var(x, axis=1), [(3,)]), (lambda K, x: K.any(x, axis=1), [(3,)]),
    (lambda K, x: K.all(x, axis=1), [(3,)]), (lambda K, x: K.argmax(x), [(3,)]),
    (lambda K, x: K.argmin(x), [(3,)]), (lambda K, x: K.cumsum(x, 1), [(3,)]),
    (lambda K, x: K.cumprod(x, 1), [(3,)]), (lambda K, x: K.abs(x), [(3,)]), (lambda K, x: K.square(x), [(3,)]),
    (lambda K, x: K.sqrt(x), [(3,)]), (lambda K, x: K.exp(x), [(3,)]), (lambda K, x: K.log(K.abs(x) + 1), [(3,)]),
    (lambda K, x: K.pow(x, 2.0), [(3,)]), (lambda K, x: K.sign(x), [(3,)]), (lambda K, x: K.round(x), [(3,)]),
    (lambda K, x: K.sin(x), [(3,)]), (lambda K, x: K.cos(x), [(3,)]),
    (lambda K, x: K.clip(x, -0.5, 0.5), [(3,)]), (lambda K, x: K.cast(x, "int32"), [(3,)]),
    (lambda K, x, y: K.equal(x, y), [(3,), (3,)]), (lambda K, x, y: K.not_equal(x, y), [(3,), (3,)]),
    (lambda K, x, y: K.greater(x, y), [(3,), (3,)]), (lambda K, x: K.greater_equal(x, 0.0), [(3,)]),
    (lambda K, x, y: K.less(x, y), [(3,), (3,)]), (lambda K, x, y: K.less_equal(x, y), [(3,), (3,)]),
    (lambda K, x, y: K.maximum(x, y), [(3,), (3,)]), (lambda K, x: K.minimum(x, 0.0), [(3,)]),
    (lambda K, x: K.sigmoid(x), [(3,)]), (lambda K, x: K.hard_sigmoid(x), [(3,)]), (lambda K, x: K.tanh(x), [(3,)]),
    (lambda K, x: K.relu(x), [(3,)]), (lambda K, x: K.relu(x, alpha=0.1), [(3,)]),
    (lambda K, x: K.relu(x, max_value=6), [(3,)]), (lambda K, x: K.relu(x, max_value=3.0), [(3,)]),
    (lambda K, x: K.relu(x, threshold=0.5), [(3,)]), (lambda K, x: K.relu(x, alpha=0.1, threshold=0.5), [(3,)]),
    (lambda K, x: K.elu(x), [(3,)]), (lambda K, x: K.elu(x, 0.5), [(3,)]), (lambda K, x: K.softmax(x), [(3,)]),
    (lambda K, x: K.softmax(x, axis=(1, 2)), [(3, 2)]), (lambda K, x: K.softplus(x), [(3,)]),
    (lambda K, x: K.softsign(x), [(3,)]), (lambda K, x, y: K.concatenate([x, y]), [(3,), (2,)]),
    (lambda K, x: K.reshape(x, (-1, 3, 1)), [(3,)]), (lambda K, x: K.expand_dims(x), [(3,)]),
    (lambda K, x: K.squeeze(x, 2), [(3, 1)]), (lambda K, x, y: K.stack([x, y], axis=1), [(3,), (3,)]),
    (lambda K, x: K.flatten(x), [(3, 2)]), (lambda K, x: K.batch_flatten(x), [(3, 2)]),
    (lambda K, x: K.permute_dimensions(x, (0, 2, 1)), [(3, 2)]), (lambda K, x: K.repeat(x, 4), [(3,)]),
    (lambda K, x: K.repeat_elements(x, 2, 1), [(3,)]), (lambda K, x: K.repeat_elements(x, 2, 1), [(None,)]),
    (lambda K, x: K.tile(x, (1, 2)), [(3,)]), (lambda K, x: K.reverse(x, 1), [(3,)]),
    (lambda K, x: K.one_hot(K.cast(x, "int32"), 4), [(3,)]),
    (lambda K, x: K.dot(x, K.constant(np.ones((3, 2)))), [(3,)]),
    (lambda K, x: K.dot(x, K.constant(np.ones((2, 3, 4)))), [(5, 3)]),
    (lambda K, x, y: K.batch_dot(x, y), [(3,), (3,)]), (lambda K, x, y: K.batch_dot(x, y), [(2, 3), (3, 4)]),
    (lambda K, x, y: K.batch_dot(x, y, axes=(3, 1)), [(5, 6, 3), (3, 4)]),
    (lambda K, x, y: K.batch_dot(x, y, axes=(2, 1)), [(2, 3), (3, 4, 5)]),
    (lambda K, x: K.zeros_like(x), [(3,)]), (lambda K, x: K.ones_like(x), [(3,)]),
    (lambda K, t, o: K.binary_crossentropy(t, o), [(3,), (3,)]),
    (lambda K, t, o: K.categorical_crossentropy(t, o, from_logits=True), [(3,), (3,)]),
    (lambda K, t, o: K.sparse_categorical_crossentropy(t, o, from_logits=True), [(1,), (3,)]),
    (lambda K, x: K.l2_normalize(x, 1), [(3,)]), (lambda K, x: K.stop_gradient(x), [(3,)]),
    (lambda K, c, x, y: K.switch(K.greater(c, 0.0), x, y), [(3,), (3,), (3,)]),
    (lambda K, x, y: K.switch(K.greater(K.sum(x), 0.0), x, y), [(3,), (3,)]),
    (lambda K, x: K.bias_add(x, np.ones(3, "float32")), [(3,)]),
    (lambda K, x: K.temporal_padding(x), [(3, 2)]), (lambda K, x: K.foldl(lambda a, r: a + r, x), [(3,)]),
    (lambda K, x: K.rnn(lambda i, s: (i * 2, [s[0] + i]), x, [K.zeros_like(x[:, 0])])[1], [(4, 3)]),
]


def _name(i):
    return f"symbolic_{i}"


def _base_name(name):
    """A node name without its `_<n>` suffix: where tf.keras builds several ops for one K call, the ops before
    the last one use up suffixes; here the call is one node."""
    return re.sub(r"_\d+$", "", name)


@pytest.mark.parametrize("index", range(len(SYMBOLIC)), ids=_name)
def test_symbolic_node_named_like_tf_keras(tf, tfk, index):
    fn, shapes = SYMBOLIC[index]
    theirs_inputs = [tfk.Input(s) for s in shapes]
    theirs = fn(tfk.backend, *theirs_inputs)
    ours_inputs = [keras.Input(s) for s in shapes]
    ours = fn(K, *ours_inputs)
    assert K.is_keras_tensor(ours)
    assert _base_name(ours._keras_history.layer.name) == _base_name(theirs._keras_history.layer.name)
    assert len(ours.shape) == len(theirs.shape)
    assert all(t is None or o == t for o, t in zip(ours.shape, theirs.shape)), (ours.shape, theirs.shape)

    arrays = [_rng(_name(index)).randn(2, *[d or 3 for d in s]).astype("float32") for s in shapes]
    model = keras.Model(ours_inputs, ours)
    expected = fn(K, *[torch.as_tensor(a) for a in arrays])
    _compare(model(arrays if len(arrays) > 1 else arrays[0]), expected.detach())
