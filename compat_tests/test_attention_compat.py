"""Attention layers against the real tf.keras: MultiHeadAttention, Attention, AdditiveAttention and EinsumDense
give the same outputs, attention scores and input gradients from the same weights, with the same masks,
weight names/shapes/order, symbolic shapes and configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match

RNG = np.random.RandomState(0)


def _arrays(*shapes):
    return [RNG.randn(*shape).astype("float32") for shape in shapes]


def _no_full_rows(shape, seed=1):
    """A random 0/1 attention mask in which every target step attends to at least one source step."""
    mask = np.random.RandomState(seed).rand(*shape) > 0.5
    mask[..., 0] = True
    return mask


def _with_full_row(shape):
    mask = _no_full_rows(shape, seed=2)
    mask[0, 1, :] = False
    return mask


def _call_both(tf, theirs, ours, args, kwargs, as_list=False):
    """Both layers on the same arrays: outputs and gradients w.r.t. every float input (arrays passed more than
    once are one input) for a random weighting of all outputs."""
    unique = list({id(a): a for a in args}.values())
    tf_inputs = {id(a): tf.constant(a) for a in unique}
    with tf.GradientTape() as tape:
        for t in tf_inputs.values():
            tape.watch(t)
        tf_args = [tf_inputs[id(a)] for a in args]
        tf_kwargs = {k: tf.constant(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        theirs_y = tf.nest.flatten(theirs(tf_args, **tf_kwargs) if as_list else theirs(*tf_args, **tf_kwargs))
        upstream = [np.random.RandomState(i + 3).randn(*y.shape).astype("float32") for i, y in enumerate(theirs_y)]
        total = sum(tf.reduce_sum(y * u) for y, u in zip(theirs_y, upstream))
    theirs_grads = tape.gradient(total, list(tf_inputs.values()))

    torch_inputs = {id(a): torch.tensor(a, requires_grad=True) for a in unique}
    our_args = [torch_inputs[id(a)] for a in args]
    our_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours_y = ours(our_args, **our_kwargs) if as_list else ours(*our_args, **our_kwargs)
    ours_y = list(ours_y) if isinstance(ours_y, (list, tuple)) else [ours_y]
    assert len(ours_y) == len(theirs_y)
    sum((y * torch.tensor(u)).sum() for y, u in zip(ours_y, upstream)).backward()
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t)
    for o, t in zip(torch_inputs.values(), theirs_grads):
        assert_close(o.grad, t, atol=1e-5)


def _built_pair(tfk, factory, args, kwargs, as_list=False):
    theirs, ours = factory(tfk), factory(keras)
    call_kwargs = {k: v for k, v in kwargs.items() if not isinstance(v, np.ndarray)}
    if as_list:
        theirs(list(args), **call_kwargs)
        ours(list(args), **call_kwargs)
    else:
        theirs(*args, **call_kwargs)
        ours(*args, **call_kwargs)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.keras_shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    return theirs, ours


Q, V, K = _arrays((2, 5, 6), (2, 4, 6), (2, 4, 3))
X4 = _arrays((2, 3, 4, 6))[0]
MHA = lambda **kw: (lambda lib: lib.layers.MultiHeadAttention(**{"num_heads": 2, "key_dim": 3, **kw}))  # noqa: E731

# name: (factory, positional arrays, call kwargs)
MHA_CASES = {
    "self": (MHA(), [Q, Q], {}),
    "self_scores": (MHA(), [Q, Q], {"return_attention_scores": True}),
    "cross": (MHA(), [Q, V], {}),
    "cross_with_key": (MHA(), [Q, V, K], {}),
    "value_dim_no_bias": (MHA(value_dim=5, use_bias=False), [Q, V], {"return_attention_scores": True}),
    "output_shape_int": (MHA(output_shape=7), [Q, V], {}),
    "output_shape_tuple": (MHA(output_shape=(2, 3), value_dim=4), [Q, V, K], {}),
    "attention_mask": (MHA(), [Q, V], {"attention_mask": _no_full_rows((2, 5, 4))}),
    "attention_mask_scores": (MHA(), [Q, V], {"attention_mask": _no_full_rows((2, 5, 4)),
                                              "return_attention_scores": True}),
    "fully_masked_row": (MHA(), [Q, V], {"attention_mask": _with_full_row((2, 5, 4))}),
    "fully_masked_row_scores": (MHA(), [Q, V], {"attention_mask": _with_full_row((2, 5, 4)),
                                                "return_attention_scores": True}),
    "float_attention_mask": (MHA(), [Q, V], {"attention_mask": _no_full_rows((2, 5, 4)).astype("float32")}),
    "causal_self": (MHA(), [Q, Q], {"use_causal_mask": True}),
    "causal_cross_scores": (MHA(), [Q, V], {"use_causal_mask": True, "return_attention_scores": True}),
    "causal_and_mask": (MHA(), [Q, Q], {"use_causal_mask": True, "attention_mask": _no_full_rows((2, 5, 5))}),
    "robust_masking": (MHA(softmax_robust_masking=True), [Q, V], {"attention_mask": _with_full_row((2, 5, 4))}),
    "axes_2_on_4d": (MHA(attention_axes=(2,)), [X4, X4], {"return_attention_scores": True}),
    "axes_2_on_4d_mask": (MHA(attention_axes=2), [X4, X4], {"attention_mask": _no_full_rows((2, 3, 4, 4))}),
    "axes_1_2_on_4d": (MHA(attention_axes=(1, 2), output_shape=5), [X4, X4], {"return_attention_scores": True}),
    "default_axes_on_4d": (MHA(value_dim=2), [X4, X4], {}),
    "negative_axis_on_4d": (MHA(attention_axes=-3), [X4, X4], {"return_attention_scores": True}),
    "negative_axis_fused": (MHA(attention_axes=[-3]), [Q, V], {}),
}


@pytest.mark.parametrize("name", sorted(MHA_CASES))
def test_multi_head_attention_matches(tf, tfk, name):
    factory, args, kwargs = MHA_CASES[name]
    theirs, ours = _built_pair(tfk, factory, args, kwargs)
    _call_both(tf, theirs, ours, args, kwargs)
    assert ours.get_config() == theirs.get_config()


def test_multi_head_attention_fused_path_matches_explicit_path(tf, tfk, monkeypatch):
    """Without gradients, masked attention runs on torch's fused kernel and still matches tf.keras, fully masked
    rows included; with scores requested it takes the einsum path."""
    mask = _with_full_row((2, 5, 4))
    theirs, ours = _built_pair(tfk, MHA(), [Q, V], {})
    calls = []
    fused = torch.nn.functional.scaled_dot_product_attention
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention",
                        lambda *a, **k: calls.append(1) or fused(*a, **k))
    expected = theirs(Q, V, attention_mask=mask)
    with torch.no_grad():
        fused_out = ours(torch.tensor(Q), torch.tensor(V), attention_mask=torch.tensor(mask))
        assert len(calls) == 1
        explicit, _ = ours(torch.tensor(Q), torch.tensor(V), attention_mask=torch.tensor(mask),
                           return_attention_scores=True)
        assert len(calls) == 1
    assert_close(fused_out, expected)
    assert_close(explicit, expected)


def _embedding_mha_model(K, causal):
    tokens = K.Input((None,), dtype="int32")
    other = K.Input((None,), dtype="int32")
    x = K.layers.Embedding(9, 6, mask_zero=True)(tokens)
    y = K.layers.Embedding(9, 6, mask_zero=True)(other)
    out = K.layers.MultiHeadAttention(2, 3)(x, y, use_causal_mask=causal)
    self_out = K.layers.MultiHeadAttention(3, 2, value_dim=4)(out, out, x)
    return K.Model([tokens, other], [out, self_out])


@pytest.mark.parametrize("causal", [False, True])
def test_automatic_masks_from_embeddings_match(tf, tfk, causal):
    """Query, value and key masks of Embedding(mask_zero=True) outputs (a fully padded query row too)."""
    theirs, ours = _embedding_mha_model(tfk, causal), _embedding_mha_model(keras, causal)
    ours.set_weights(theirs.get_weights())
    tokens = np.array([[3, 4, 0, 0, 0], [0, 2, 5, 7, 1]], dtype="int32")
    other = np.array([[1, 2, 3, 0], [6, 0, 8, 0]], dtype="int32")
    upstream = _arrays((2, 5, 6), (2, 5, 6))
    with tf.GradientTape() as tape:
        theirs_y = theirs([tokens, other])
        total = sum(tf.reduce_sum(y * u) for y, u in zip(theirs_y, upstream))
    theirs_grads = tape.gradient(total, theirs.trainable_weights)
    ours_y = ours([tokens, other])
    sum((y * torch.tensor(u)).sum() for y, u in zip(ours_y, upstream)).backward()
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t)
    for o, t in zip(ours.trainable_weights, theirs_grads):
        assert_close(o.grad, tf.convert_to_tensor(t), atol=1e-5)
    theirs_mask = theirs.layers[-1].output._keras_mask
    assert ours.layers[-1].output._keras_mask is not None and theirs_mask is not None
    assert_close(ours_y[1]._keras_mask, tf.constant(tokens != 0))


def test_multi_head_attention_weights_before_and_after_from_config(tfk):
    theirs, ours = _built_pair(tfk, MHA(value_dim=4, output_shape=(3,)), [Q, V, K], {})
    config = theirs.get_config()
    ours_config = ours.get_config()
    theirs_copy = tfk.layers.MultiHeadAttention.from_config(dict(config))
    ours_copy = keras.layers.MultiHeadAttention.from_config(dict(ours_config))
    assert ours_copy.get_config() == theirs_copy.get_config()
    assert ours_copy.weights == [] and theirs_copy.weights == []
    theirs_copy(Q, V, K)
    ours_copy(Q, V, K)
    assert [w.name for w in ours_copy.weights] == [w.name for w in theirs_copy.weights]
    assert [w.keras_shape for w in ours_copy.weights] == [tuple(w.shape) for w in theirs_copy.weights]


def test_multi_head_attention_unbuilt_config_matches(tfk):
    for kwargs in ({}, {"value_dim": 4, "dropout": 0.1, "use_bias": False, "output_shape": (2, 3),
                        "attention_axes": [2], "kernel_initializer": "he_normal", "bias_regularizer": "l2",
                        "activity_regularizer": "l1", "kernel_constraint": "max_norm"}):
        assert keras.layers.MultiHeadAttention(2, 3, **kwargs).get_config() == \
            tfk.layers.MultiHeadAttention(2, 3, **kwargs).get_config()


def test_multi_head_attention_in_functional_model_config_matches(tfk):
    def model(K):
        x = K.Input((None, 6))
        return K.Model(x, K.layers.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True))

    theirs, ours = model(tfk).get_config(), model(keras).get_config()
    assert ours["layers"][1]["inbound_nodes"] == theirs["layers"][1]["inbound_nodes"]
    assert ours["layers"][1]["config"] == theirs["layers"][1]["config"]
    rebuilt = keras.Model.from_config(theirs)
    assert [tuple(w.keras_shape) for w in rebuilt.weights] == [(6, 2, 3), (2, 3)] * 3 + [(2, 3, 6), (6,)]
    assert tuple(rebuilt.output.shape) == (None, None, 6)


SYMBOLIC = {
    "self": (lambda K: lambda x: K.layers.MultiHeadAttention(2, 3)(x, x), [(5, 6), (None, 6)]),
    "scores": (lambda K: lambda x: K.layers.MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)[1],
               [(5, 6), (None, 6)]),
    "output_shape": (lambda K: lambda x: K.layers.MultiHeadAttention(2, 3, output_shape=(4, 2))(x, x),
                     [(None, 6)]),
    "axes_2": (lambda K: lambda x: K.layers.MultiHeadAttention(2, 3, attention_axes=(2,))(
        x, x, return_attention_scores=True)[1], [(3, 4, 6), (None, None, 6)]),
    "axes_1_2": (lambda K: lambda x: K.layers.MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)[1],
                 [(3, 4, 6), (None, 4, 6)]),
    "attention": (lambda K: lambda x: K.layers.Attention()([x, x]), [(5, 6), (None, 6)]),
    "attention_scores": (lambda K: lambda x: K.layers.Attention(score_mode="concat")(
        [x, x], return_attention_scores=True)[1], [(5, 6), (None, 6)]),
    "additive": (lambda K: lambda x: K.layers.AdditiveAttention()([x, x, x]), [(None, 6)]),
    "einsum_elided": (lambda K: K.layers.EinsumDense("...b,bc->...c", 4), [(5, 6), (None, 3, 6)]),
    "einsum_heads": (lambda K: K.layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"),
                     [(5, 6), (None, 6)]),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_shapes_match(tfk, name):
    factory, shapes = SYMBOLIC[name]
    assert_symbolic_shapes_match(keras, tfk, factory, shapes)


ATT = lambda cls, **kw: (lambda lib: getattr(lib.layers, cls)(**kw))  # noqa: E731
QA, VA, KA = _arrays((2, 5, 4), (2, 3, 4), (2, 3, 4))
QMASK = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], dtype=bool)
VMASK = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)

# name: (factory, list inputs, call kwargs)
ATTENTION_CASES = {
    "dot": (ATT("Attention"), [QA, VA], {}),
    "dot_scale_key": (ATT("Attention", use_scale=True), [QA, VA, KA], {}),
    "dot_masks_scores": (ATT("Attention", use_scale=True), [QA, VA], {"mask": [QMASK, VMASK],
                                                                       "return_attention_scores": True}),
    "dot_masks": (ATT("Attention"), [QA, VA, KA], {"mask": [QMASK, VMASK]}),
    "dot_causal": (ATT("Attention"), [QA, VA], {"use_causal_mask": True}),
    "dot_causal_masks": (ATT("Attention", use_scale=True), [QA, QA], {"use_causal_mask": True,
                                                                       "mask": [QMASK, QMASK]}),
    "dot_causal_argument": (ATT("Attention", causal=True), [QA, VA], {"return_attention_scores": True}),
    "concat": (ATT("Attention", score_mode="concat"), [QA, VA, KA], {}),
    "concat_scale_masks": (ATT("Attention", score_mode="concat", use_scale=True), [QA, VA],
                           {"mask": [QMASK, VMASK], "return_attention_scores": True}),
    "concat_causal": (ATT("Attention", score_mode="concat"), [QA, VA], {"use_causal_mask": True}),
    "additive": (ATT("AdditiveAttention"), [QA, VA, KA], {"return_attention_scores": True}),
    "additive_masks": (ATT("AdditiveAttention"), [QA, VA], {"mask": [QMASK, VMASK]}),
    "additive_no_scale_causal": (ATT("AdditiveAttention", use_scale=False), [QA, VA],
                                 {"use_causal_mask": True, "mask": [None, VMASK]}),
}


def _masks_as_tensors(lib_tensor, kwargs):
    return {k: ([None if m is None else lib_tensor(m) for m in v] if k == "mask" else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("name", sorted(ATTENTION_CASES))
def test_attention_matches(tf, tfk, name):
    factory, inputs, kwargs = ATTENTION_CASES[name]
    theirs, ours = _built_pair(tfk, factory, inputs, {}, as_list=True)
    theirs_call = lambda x, **kw: theirs(x, **_masks_as_tensors(tf.constant, kw))  # noqa: E731
    ours_call = lambda x, **kw: ours(x, **_masks_as_tensors(torch.tensor, kw))  # noqa: E731
    _call_both(tf, theirs_call, ours_call, inputs, kwargs, as_list=True)
    assert ours.get_config() == theirs.get_config()


def test_attention_masks_from_embeddings_match(tfk):
    def model(K):
        q, v = K.Input((None,), dtype="int32"), K.Input((None,), dtype="int32")
        embed = K.layers.Embedding(9, 4, mask_zero=True)
        out = K.layers.Attention(use_scale=True)([embed(q), embed(v)])
        out = K.layers.AdditiveAttention()([out, embed(v)])
        return K.Model([q, v], [out, K.layers.GlobalAveragePooling1D()(out)])

    theirs, ours = model(tfk), model(keras)
    ours.set_weights(theirs.get_weights())
    data = [np.array([[3, 4, 0, 0], [2, 5, 7, 1]], "int32"), np.array([[1, 0, 3], [6, 5, 0]], "int32")]
    for o, t in zip(ours(data), theirs(data)):
        assert_close(o, t)


# name: (equation, output_shape, bias_axes, input shape, extra kwargs)
EINSUM_CASES = {
    "matmul": ("ab,bc->ac", 4, "c", (3, 5), {"activation": "relu"}),
    "left_elided": ("...b,bc->...c", (4,), "c", (2, 3, 5), {}),
    "left_elided_4d": ("...b,bc->...c", 4, None, (2, 3, 2, 5), {}),
    "heads": ("abc,cde->abde", (None, 2, 3), "de", (2, 4, 5), {}),
    "heads_partial_bias": ("abc,cde->abde", (4, 2, 3), "e", (2, 4, 5), {"activation": "tanh"}),
    "right_elided": ("ab...,bc->ac...", 3, "c", (2, 5, 4), {}),
    "output_projection": ("abcd,cde->abe", (None, 6), "e", (2, 4, 2, 3), {}),
    "contract_two": ("abcd,cdf->abf", (None, 3), None, (2, 4, 2, 5), {"kernel_initializer": "he_normal"}),
}


@pytest.mark.parametrize("name", sorted(EINSUM_CASES))
def test_einsum_dense_matches(tf, tfk, name):
    equation, output_shape, bias_axes, shape, kwargs = EINSUM_CASES[name]
    factory = lambda lib: lib.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, **kwargs)  # noqa
    x = RNG.randn(*shape).astype("float32")
    theirs, ours = _built_pair(tfk, factory, [x], {})
    if theirs.bias is not None:
        theirs.bias.assign(RNG.randn(*theirs.bias.shape).astype("float32"))
        ours.set_weights(theirs.get_weights())
    _call_both(tf, theirs, ours, [x], {})
    assert ours.get_config() == theirs.get_config()
    assert keras.layers.EinsumDense.from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("equation, bias_axes, shape", [
    ("ab->b", None, (2, 3)),
    ("ab,bc->ad", None, (2, 3)),
    ("ab,bcd->ac", None, (2, 3)),
    ("ab,bc->ac", "x", (2, 3)),
])
def test_einsum_dense_errors_match(tfk, equation, bias_axes, shape):
    x = np.ones(shape, "float32")
    with pytest.raises(ValueError) as theirs:
        tfk.layers.EinsumDense(equation, 4, bias_axes=bias_axes)(x)
    with pytest.raises(ValueError) as ours:
        keras.layers.EinsumDense(equation, 4, bias_axes=bias_axes)(x)
    first_line = str(theirs.value).split("\n\n")[1].splitlines()[0] if "\n\n" in str(theirs.value) \
        else str(theirs.value)
    assert first_line in str(ours.value)


def test_attention_errors_match(tfk):
    x = np.ones((2, 3, 4), "float32")
    for bad in (lambda K: K.layers.Attention()(x), lambda K: K.layers.Attention()([x]),
                lambda K: K.layers.AdditiveAttention()([x, x], mask=[None])):
        with pytest.raises(ValueError):
            bad(tfk)
        with pytest.raises(ValueError):
            bad(keras)
    with pytest.raises(ValueError, match="score_mode"):
        keras.layers.Attention(score_mode="general")


def test_h5_weights_move_both_ways(tfk, tmp_path):
    def model(K):
        x = K.Input((5, 6))
        return K.Model(x, K.layers.MultiHeadAttention(2, 3, value_dim=4)(x, x, use_causal_mask=True))

    theirs, ours = model(tfk), model(keras)
    theirs.save_weights(str(tmp_path / "theirs.h5"))
    ours.load_weights(str(tmp_path / "theirs.h5"))
    assert_close(ours.predict(Q, verbose=0), theirs.predict(Q, verbose=0))
    ours.set_weights([w * 0.5 for w in ours.get_weights()])
    ours.save_weights(str(tmp_path / "ours.h5"))
    theirs.load_weights(str(tmp_path / "ours.h5"))
    assert_close(ours.predict(Q, verbose=0), theirs.predict(Q, verbose=0))
