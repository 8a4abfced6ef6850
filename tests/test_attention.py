"""MultiHeadAttention, Attention, AdditiveAttention and EinsumDense: results against plain numpy formulas, masks,
dropout, the fused-kernel path, configs, functional models and training."""
import logging

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers

RNG = np.random.RandomState(0)


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    yield


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _mha_reference(layer, query, value, mask=None):
    """Multi-head attention written out with numpy, from the layer's weights in tf.keras layout."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    q = np.einsum("btd,dnh->btnh", query, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", value, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", value, wv) + bv
    scores = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(wq.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    probs = _softmax(scores)
    heads = np.einsum("bnts,bsnh->btnh", probs, v)
    return np.einsum("btnh,nho->bto", heads, wo) + bo, probs


def _random_weights(layer):
    layer.set_weights([RNG.randn(*w.keras_shape).astype("float32") * 0.5 for w in layer.weights])


def test_multi_head_attention_matches_numpy_formula():
    query, value = RNG.randn(2, 5, 4).astype("float32"), RNG.randn(2, 3, 4).astype("float32")
    mask = RNG.rand(2, 5, 3) > 0.4
    mask[..., 1] = True
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2)
    layer(query, value)
    _random_weights(layer)
    expected, expected_scores = _mha_reference(layer, query, value, mask)
    out, scores = layer(query, value, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), expected_scores, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        fused = layer(query, value, attention_mask=mask)
    np.testing.assert_allclose(fused.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_multi_head_attention_causal_mask_and_keyword_call():
    x = RNG.randn(2, 4, 6).astype("float32")
    layer = layers.MultiHeadAttention(2, 3)
    out = layer(query=x, value=x, use_causal_mask=True)
    expected, _ = _mha_reference(layer, x, x, np.tril(np.ones((4, 4), bool))[None].repeat(2, 0))
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    changed = x.copy()
    changed[:, -1] += 1.0
    later = layer(changed, changed, use_causal_mask=True)
    np.testing.assert_allclose(later[:, :-1].detach().numpy(), out[:, :-1].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_multi_head_attention_fully_masked_row_gives_uniform_weights():
    x = RNG.randn(1, 3, 4).astype("float32")
    mask = np.ones((1, 3, 3), bool)
    mask[0, 1] = False
    _, scores = layers.MultiHeadAttention(2, 2)(x, x, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(scores[0, :, 1].detach().numpy(), np.full((2, 3), 1 / 3), rtol=1e-6)


def test_output_mask_is_query_mask_and_masks_reach_attention():
    tokens = np.array([[1, 2, 0, 0], [3, 4, 5, 0]])
    embedded = layers.Embedding(6, 4, mask_zero=True)(tokens)
    layer = layers.MultiHeadAttention(2, 2)
    out, scores = layer(embedded, embedded, return_attention_scores=True)
    assert torch.equal(out._keras_mask, torch.tensor(tokens != 0))
    assert float(scores[0, :, 0, 2:].detach().abs().max()) == 0.0
    assert torch.allclose(scores[0, :, 3], torch.full((2, 4), 0.25))


def test_multi_head_attention_dropout_only_in_training():
    x = RNG.randn(2, 5, 8).astype("float32")
    layer = layers.MultiHeadAttention(2, 4, dropout=0.5)
    inference = layer(x, x)
    assert torch.equal(layer(x, x, training=False), inference)
    for kwargs in ({}, {"return_attention_scores": True}):
        torch.manual_seed(0)
        trained = layer(x, x, training=True, **kwargs)
        trained = trained[0] if kwargs else trained
        assert not torch.allclose(trained, inference)
    with torch.no_grad():
        assert not torch.allclose(layer(torch.tensor(x), torch.tensor(x), training=True), inference)


def test_multi_head_attention_4d_inputs_and_output_shape():
    x = RNG.randn(2, 3, 4, 5).astype("float32")
    out, scores = layers.MultiHeadAttention(2, 3, attention_axes=(2,), output_shape=(7,))(
        x, x, return_attention_scores=True)
    assert tuple(out.shape) == (2, 3, 4, 7) and tuple(scores.shape) == (2, 3, 2, 4, 4)
    np.testing.assert_allclose(scores.sum(-1).detach().numpy(), 1.0, rtol=1e-6)
    out, scores = layers.MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)
    assert tuple(out.shape) == (2, 3, 4, 5) and tuple(scores.shape) == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(scores.sum((-1, -2)).detach().numpy(), 1.0, rtol=1e-5)


def test_multi_head_attention_bad_attention_axes():
    x = np.ones((2, 3, 4), "float32")
    with pytest.raises(ValueError, match="attention_axes"):
        layers.MultiHeadAttention(2, 3, attention_axes=(2,))(x, x)


def test_multi_head_attention_config_round_trip_builds_same_weights():
    x, y = RNG.randn(2, 5, 4).astype("float32"), RNG.randn(2, 3, 6).astype("float32")
    layer = layers.MultiHeadAttention(2, 3, value_dim=5, output_shape=(2, 2), kernel_regularizer="l2")
    layer(x, y)
    config = layer.get_config()
    assert config["query_shape"] == [2, 5, 4] and config["value_shape"] == config["key_shape"] == [2, 3, 6]
    copy = layers.deserialize(layers.serialize(layer))
    assert copy.weights == []
    copy(x, y)
    assert [w.name for w in copy.weights] == [w.name.replace(layer.name, copy.name) for w in layer.weights]
    copy.set_weights(layer.get_weights())
    assert torch.allclose(copy(x, y), layer(x, y))
    assert len(layer.losses) == 4


def test_multi_head_attention_functional_model_trains_and_reloads(tmp_path):
    inputs = keras.Input((6, 4))
    attended = layers.MultiHeadAttention(2, 4)(inputs, inputs)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling1D()(attended))
    model = keras.Model(inputs, outputs)
    assert tuple(attended.shape) == (None, 6, 4)
    x = RNG.randn(64, 6, 4).astype("float32")
    y = x.mean(axis=(1, 2))[:, None] * 3
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    model.save_weights(str(tmp_path / "w.h5"))
    clone = keras.Model.from_config(model.get_config())
    clone.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def _attention_reference(query, value, key, scale=1.0, q_mask=None, v_mask=None, causal=False):
    scores = scale * query @ key.transpose(0, 2, 1)
    keep = np.ones(scores.shape, bool)
    if v_mask is not None:
        keep &= v_mask[:, None, :]
    if causal:
        keep &= np.tril(np.ones(scores.shape[1:], bool))
    weights = _softmax(np.where(keep, scores, scores - 1e9))
    out = weights @ value
    return out * q_mask[..., None] if q_mask is not None else out


@pytest.mark.parametrize("use_scale", [False, True])
def test_attention_matches_numpy_formula(use_scale):
    q, v, k = (RNG.randn(2, n, 3).astype("float32") for n in (4, 5, 5))
    q_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 0, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
    layer = layers.Attention(use_scale=use_scale)
    layer([q, v, k])
    if use_scale:
        layer.set_weights([np.array(0.7, "float32")])
    scale = 0.7 if use_scale else 1.0
    masks = [torch.tensor(q_mask), torch.tensor(v_mask)]
    expected = _attention_reference(q, v, k, scale, q_mask, v_mask, causal=True)
    out = layer([q, v, k], mask=masks, use_causal_mask=True)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        fused = layer([torch.tensor(q), torch.tensor(v), torch.tensor(k)], mask=masks, use_causal_mask=True)
    np.testing.assert_allclose(fused.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(layer.compute_mask([q, v, k], masks), masks[0])


def test_attention_concat_and_additive_scores():
    q, v = RNG.randn(2, 4, 3).astype("float32"), RNG.randn(2, 5, 3).astype("float32")
    summed = np.tanh(q[:, :, None, :] + v[:, None, :, :])
    concat = layers.Attention(score_mode="concat", use_scale=True)
    concat([q, v])
    concat.set_weights([np.array(1.0, "float32"), np.array(2.0, "float32")])
    _, scores = concat([q, v], return_attention_scores=True)
    np.testing.assert_allclose(scores.detach().numpy(), _softmax(2.0 * summed.sum(-1)), rtol=1e-5)
    additive = layers.AdditiveAttention()
    additive([q, v])
    scale = RNG.randn(3).astype("float32")
    additive.set_weights([scale])
    out, scores = additive([q, v], return_attention_scores=True)
    np.testing.assert_allclose(scores.detach().numpy(), _softmax((summed * scale).sum(-1)), rtol=1e-5)
    np.testing.assert_allclose(out.detach().numpy(), _softmax((summed * scale).sum(-1)) @ v, rtol=1e-5,
                               atol=1e-6)
    assert [w.name for w in additive.weights] == ["additive_attention/scale:0"]


def test_attention_causal_argument_is_deprecated_alias(caplog):
    q = RNG.randn(2, 4, 3).astype("float32")
    with caplog.at_level(logging.WARNING):
        layer = layers.Attention(causal=True)
    assert "deprecated" in caplog.text
    assert "causal" not in layer.get_config()
    np.testing.assert_allclose(layer([q, q]).detach().numpy(), _attention_reference(q, q, q, causal=True),
                               rtol=1e-5, atol=1e-6)


def test_attention_dropout_and_errors():
    q = RNG.randn(2, 4, 8).astype("float32")
    layer = layers.Attention(dropout=0.5)
    assert torch.equal(layer([q, q]), layer([q, q], training=False))
    assert not torch.allclose(layer([q, q], training=True), layer([q, q]))
    with pytest.raises(ValueError, match="list of inputs"):
        layer(q)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([q, q, q, q])
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="general")


def test_attention_layers_in_functional_model_round_trip():
    q, v = keras.Input((None, 4)), keras.Input((None, 4))
    out = layers.Concatenate()([layers.Attention(use_scale=True)([q, v]), layers.AdditiveAttention()([q, v])])
    model = keras.Model([q, v], out)
    assert tuple(out.shape) == (None, None, 8)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    data = [RNG.randn(2, 3, 4).astype("float32"), RNG.randn(2, 5, 4).astype("float32")]
    np.testing.assert_allclose(clone.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape, kernel_shape, bias_shape", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,)),
    ("...b,bc->...c", 4, None, (2, 3, 5), (5, 4), None),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 4, 5), (5, 2, 3), (2, 3)),
    ("abc,cde->abde", (4, 2, 3), "d", (2, 4, 5), (5, 2, 3), (2, 1)),
    ("ab...,bc->ac...", 3, "c", (2, 5, 4), (5, 3), (3, 1)),
])
def test_einsum_dense_shapes_and_values(equation, output_shape, bias_axes, shape, kernel_shape, bias_shape):
    x = RNG.randn(*shape).astype("float32")
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    layer(x)
    assert layer.kernel.keras_shape == kernel_shape
    assert (layer.bias.keras_shape if layer.bias is not None else None) == bias_shape
    weights = [RNG.randn(*w.keras_shape).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    expected = np.einsum(equation, x, weights[0]) + (weights[1] if bias_shape else 0)
    np.testing.assert_allclose(layer(x).detach().numpy(), np.tanh(expected), rtol=1e-5, atol=1e-6)
    assert layer.get_config()["output_shape"] == ([output_shape] if isinstance(output_shape, int)
                                                  else list(output_shape))


def test_einsum_dense_bad_equation():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->b", 4)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="Bias dimension 'x'"):
        layers.EinsumDense("ab,bc->ac", 4, bias_axes="x")(np.ones((2, 3), "float32"))
