"""Categorical and text preprocessing layers: CategoryEncoding, Hashing, IntegerLookup, StringLookup,
TextVectorization, and string inputs of functional models."""
import collections
import math

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers
from torchkeras_api.layers.preprocessing.hashing import fingerprint64, siphash24


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    yield


# ---- hash functions ---------------------------------------------------------------------------------------------
def test_siphash_matches_the_published_test_vectors():
    key = [int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little")]
    assert int(siphash24([bytes(range(15))], key)[0]) == 0xA129CA6149BE45E5
    assert int(siphash24([b""], key)[0]) == 0x726FDB47DD0E0E31


def test_fingerprint64_of_the_empty_string_is_farmhash_k2_and_is_deterministic():
    assert int(fingerprint64([b""])[0]) == 0x9AE16A3B2F90404F
    data = [bytes([i % 251]) * n for i, n in enumerate(range(0, 200, 7))]
    first = fingerprint64(data)
    assert np.array_equal(first, fingerprint64(list(data)))
    assert len(set(first.tolist())) == len(data)


# ---- CategoryEncoding -------------------------------------------------------------------------------------------
def test_category_encoding_modes_against_numpy():
    x = np.array([[1, 1, 3], [0, 2, 2]])
    multi = layers.CategoryEncoding(4)(x).numpy()
    count = layers.CategoryEncoding(4, output_mode="count")(x).numpy()
    expected_count = np.stack([np.bincount(row, minlength=4) for row in x]).astype("float32")
    np.testing.assert_array_equal(count, expected_count)
    np.testing.assert_array_equal(multi, (expected_count > 0).astype("float32"))
    one_hot = layers.CategoryEncoding(4, output_mode="one_hot")(np.array([3, 0]))
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(4, dtype="float32")[[3, 0]])
    weighted = layers.CategoryEncoding(4, output_mode="count")(np.array([[1, 1, 3]]),
                                                              count_weights=np.array([[0.5, 1.0, 2.0]]))
    np.testing.assert_allclose(weighted.numpy(), [[0.0, 1.5, 0.0, 2.0]])
    assert multi.dtype == np.float32


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="0 <= values < num_tokens with num_tokens=4"):
        layers.CategoryEncoding(4)(np.array([[4]]))
    with pytest.raises(ValueError, match="maximum supported output rank is 2"):
        layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[1, 2]]))
    with pytest.raises(ValueError, match="output_mode"):
        layers.CategoryEncoding(4, output_mode="tf_idf")
    with pytest.raises(ValueError, match="integer inputs"):
        layers.CategoryEncoding(4)(np.array([[0.5]]))


def test_category_encoding_symbolic_shape():
    out = layers.CategoryEncoding(5)(keras.Input(shape=(3,), dtype="int32"))
    assert tuple(out.shape) == (None, 5)


# ---- Hashing ----------------------------------------------------------------------------------------------------
def test_hashing_integers_hash_their_decimal_text_and_mask_takes_bin_zero():
    ints = np.array([[0, 7], [-12, 123456789]])
    as_text = np.array([["0", "7"], ["-12", "123456789"]])
    layer = layers.Hashing(num_bins=17)
    np.testing.assert_array_equal(layer(ints).numpy(), layer(as_text).numpy())
    expected = fingerprint64([s.encode() for s in as_text.reshape(-1)]) % np.uint64(17)
    np.testing.assert_array_equal(layer(as_text).numpy().reshape(-1), expected.astype(np.int64))
    masked = layers.Hashing(num_bins=5, mask_value=0)(np.array([0, 1, 0, 2]))
    assert masked[0] == 0 and masked[2] == 0 and bool(((masked[[1, 3]] >= 1) & (masked[[1, 3]] < 5)).all())
    assert masked.dtype == torch.int64


def test_hashing_salt_uses_siphash_and_output_modes():
    layer = layers.Hashing(num_bins=9, salt=[3, 5])
    expected = siphash24([b"abc", b"de"], [3, 5]) % np.uint64(9)
    np.testing.assert_array_equal(layer(["abc", "de"]).numpy(), expected.astype(np.int64))
    assert layers.Hashing(num_bins=9, salt=4).get_config()["salt"] == [4, 4]
    bins = layers.Hashing(num_bins=6)(np.array([["a"], ["b"]])).numpy().reshape(-1)
    one_hot = layers.Hashing(num_bins=6, output_mode="one_hot")(np.array([["a"], ["b"]])).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(6, dtype="float32")[bins])
    with pytest.raises(ValueError, match="strings or integers"):
        layers.Hashing(num_bins=3)(np.array([1.5]))
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(num_bins=0)


# ---- lookups ----------------------------------------------------------------------------------------------------
def _ranked(tokens):
    """Vocabulary order: most frequent first, ties broken by the larger token."""
    counts = collections.Counter(tokens)
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def test_string_lookup_adapt_orders_by_count_then_token():
    data = np.array([["b", "c", "a"], ["c", "d", "a"], ["e", "e", "zz"]])
    layer = layers.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]"] + _ranked(data.reshape(-1).tolist())
    assert layer.vocabulary_size() == 1 + len(set(data.reshape(-1)))
    out = layer(np.array([["e", "zz", "nope"]]))
    vocab = layer.get_vocabulary()
    assert out.tolist() == [[vocab.index("e"), vocab.index("zz"), 0]] and out.dtype == torch.int64
    assert layer.get_vocabulary(include_special_tokens=False) == vocab[1:]


def test_string_lookup_mask_oov_buckets_and_invert():
    layer = layers.StringLookup(vocabulary=["x", "y"], mask_token="", num_oov_indices=2)
    out = layer(np.array(["", "x", "y", "q"])).numpy()
    bucket = int(fingerprint64([b"q"])[0] % np.uint64(2))
    assert out.tolist() == [0, 3, 4, 1 + bucket]
    inverse = layers.StringLookup(vocabulary=["x", "y"], mask_token="", num_oov_indices=2, invert=True)
    assert inverse(np.array([0, 1, 3, 4, 9])).tolist() == ["", "[UNK]", "x", "y", "[UNK]"]


def test_string_lookup_vocabulary_with_special_tokens_from_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("earth\nwind\nfire\n", encoding="utf-8")
    from_file = layers.StringLookup(vocabulary=str(path))
    assert from_file.get_vocabulary() == ["[UNK]", "earth", "wind", "fire"]
    with_specials = layers.StringLookup(vocabulary=["[UNK]", "earth", "wind"])
    assert with_specials.get_vocabulary() == ["[UNK]", "earth", "wind"]
    assert from_file.get_config()["vocabulary"] == str(path)


def test_string_lookup_errors():
    with pytest.raises(ValueError, match="repeated"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="mask token at unexpected location"):
        layers.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))
    with pytest.raises(RuntimeError, match="set the layer's vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match="string inputs"):
        layers.StringLookup(vocabulary=["a"])(np.array([1.0]))


def test_string_lookup_count_and_tf_idf_against_numpy():
    docs = [["a", "b", "b"], ["b", "c", "c"], ["a", "d", "d"]]
    count_layer = layers.StringLookup(output_mode="count")
    count_layer.adapt(np.array(docs))
    vocab = count_layer.get_vocabulary()
    expected = np.zeros((3, len(vocab)), dtype="float32")
    for i, doc in enumerate(docs):
        for token in doc:
            expected[i, vocab.index(token)] += 1
    np.testing.assert_array_equal(count_layer(np.array(docs)).numpy(), expected)
    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.adapt(np.array(docs))
    doc_freq = np.array([sum(t in doc for doc in docs) for t in vocab[1:]])
    idf = np.log(1 + len(docs) / (1 + doc_freq))
    idf = np.concatenate([[idf.mean()], idf])
    np.testing.assert_allclose(tfidf(np.array(docs)).numpy(), expected * idf, rtol=1e-6)


def test_integer_lookup_adapt_oov_modulo_and_invert():
    layer = layers.IntegerLookup()
    data = np.array([5, 3, 3, 7, 9, 9, 2, -1])
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1] + _ranked([5, 3, 3, 7, 9, 9, 2])
    hashed = layers.IntegerLookup(vocabulary=[10, 20], num_oov_indices=3)
    assert hashed(torch.tensor([10, 20, -7, 4, 5, 6])).tolist() == [3, 4, -7 % 3, 4 % 3, 5 % 3, 6 % 3]
    masked = layers.IntegerLookup(vocabulary=[12, 36], mask_token=0)
    forward = masked(np.array([[12, 0, 36, 99]]))
    assert forward.tolist() == [[2, 0, 3, 1]]
    inverse = layers.IntegerLookup(vocabulary=[12, 36], mask_token=0, invert=True)
    assert inverse(forward).tolist() == [[12, 0, 36, -1]]
    multi = layers.IntegerLookup(vocabulary=[12, 36], output_mode="multi_hot")(np.array([[12, 99, 12]]))
    np.testing.assert_array_equal(multi.numpy(), [[1.0, 1.0, 0.0]])


def test_lookup_config_round_trip():
    layer = layers.IntegerLookup(vocabulary=[4, 5], num_oov_indices=2, mask_token=0)
    clone = layers.IntegerLookup.from_config(layer.get_config())
    x = np.array([[4, 5, 0, 11]])
    assert torch.equal(clone(x), layer(x))
    assert layer.get_config()["vocabulary_size"] == 5


# ---- TextVectorization ------------------------------------------------------------------------------------------
def test_text_vectorization_standardizes_ascii_only_and_splits_on_ascii_whitespace():
    layer = layers.TextVectorization()
    layer.adapt(["Hello, World! ÄÖ\xa0x\ttab.end"])
    vocab = layer.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"]
    assert sorted(vocab[2:]) == sorted(["hello", "world", "Ä\u00d6\xa0x", "tabend"])


def test_text_vectorization_int_output_pads_and_truncates():
    layer = layers.TextVectorization(vocabulary=["a", "b", "c"], output_sequence_length=3)
    out = layer(np.array([["a b"], ["c a b a"], ["zzz"]]))
    assert out.tolist() == [[2, 3, 0], [4, 2, 3], [1, 0, 0]] and out.dtype == torch.int64
    ragged_width = layers.TextVectorization(vocabulary=["a", "b"])(["a", "b a a", ""])
    assert ragged_width.tolist() == [[2, 0, 0], [3, 2, 2], [0, 0, 0]]
    assert layers.TextVectorization(vocabulary=["a"])("a q").tolist() == [2, 1]


def test_text_vectorization_ngrams_character_split_and_callables():
    ngram = layers.TextVectorization(ngrams=2, vocabulary=["a", "b", "a b"])
    assert ngram(["a b c"]).tolist() == [[2, 3, 1, 4, 1]]
    chars = layers.TextVectorization(split="character", standardize=None)
    chars.adapt(["aab"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "b"]
    custom = layers.TextVectorization(standardize=lambda s: np.array([t.upper() for t in s.reshape(-1)], dtype=object
                                                                     ).reshape(s.shape),
                                      split=lambda s: [t.split("-") for t in s], vocabulary=["A", "B"])
    assert custom(["a-b-c"]).tolist() == [[2, 3, 1]]


def test_text_vectorization_bag_of_words_modes():
    docs = ["a b b", "b c", "a q"]
    layer = layers.TextVectorization(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab[0] == "[UNK]"
    counts = np.zeros((3, len(vocab)), dtype="float32")
    for i, doc in enumerate(docs):
        for token in doc.split():
            counts[i, vocab.index(token)] += 1
    doc_freq = np.array([sum(t in d.split() for d in docs) for t in vocab[1:]])
    idf = np.log(1 + 3 / (1 + doc_freq))
    np.testing.assert_allclose(layer(docs).numpy(), counts * np.concatenate([[idf.mean()], idf]), rtol=1e-6)
    multi = layers.TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"], max_tokens=5,
                                     pad_to_max_tokens=True)
    np.testing.assert_array_equal(multi(["b b z"]).numpy(), [[1, 0, 1, 0, 0]])


def test_text_vectorization_errors():
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(NotImplementedError, match="ragged"):
        layers.TextVectorization(ragged=True)


def test_text_vectorization_adapt_from_batches_and_max_tokens():
    batches = [np.array(["x y y"]), np.array(["y z"]), np.array(["w"])]
    layer = layers.TextVectorization(max_tokens=4)
    layer.adapt(iter(batches))
    assert layer.get_vocabulary() == ["", "[UNK]", "y", "z"]
    assert layer.get_config()["vocabulary_size"] == 4


# ---- models with string inputs ----------------------------------------------------------------------------------
def _text_model(max_tokens=30):
    texts = np.array([["good movie"], ["bad film"], ["great good fun"], ["awful bad bad"]] * 4)
    labels = np.array([1, 0, 1, 0] * 4, dtype="float32")
    vectorize = layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=4)
    vectorize.adapt(texts)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = layers.Embedding(max_tokens, 8)(vectorize(inputs))
    x = layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    return model, texts, labels


def test_functional_text_model_fits_and_predicts_on_string_arrays():
    torch.manual_seed(0)
    model, texts, labels = _text_model()
    assert model.inputs[0].dtype == "string" and tuple(model.layers[1].output.shape) == (None, 4)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(texts, labels, epochs=8, batch_size=4, shuffle=True, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predictions = model.predict(np.array([["good"], ["bad"]]), verbose=0)
    assert predictions.shape == (2, 1) and predictions[0, 0] > predictions[1, 0]
    flat = model.predict(np.array(["good", "bad"]), verbose=0)
    np.testing.assert_allclose(flat, predictions, rtol=1e-6)


def test_string_model_config_round_trip_and_sequential():
    model, texts, _ = _text_model()
    clone = keras.Model.from_config(model.get_config())
    assert isinstance(clone.layers[1], layers.TextVectorization) and clone.inputs[0].dtype == "string"
    seq = keras.Sequential([keras.Input(shape=(1,), dtype="string"), layers.StringLookup(vocabulary=["a", "b"]),
                            layers.CategoryEncoding(3, output_mode="one_hot")])
    np.testing.assert_array_equal(seq.predict(np.array([["a"], ["b"], ["z"]]), verbose=0),
                                  np.eye(3, dtype="float32")[[1, 2, 0]])
    adapted = layers.StringLookup()
    adapted.adapt(np.array(["x", "y", "y"]))
    np.testing.assert_array_equal(keras.Sequential([adapted]).predict(["y", "x", "w"], verbose=0), [1, 2, 0])
    hashed = keras.Sequential([keras.Input(shape=(1,), dtype="string"), layers.Hashing(num_bins=7)])
    expected = fingerprint64([b"a", b"b"]) % np.uint64(7)
    np.testing.assert_array_equal(hashed.predict(np.array([["a"], ["b"]]), verbose=0).reshape(-1),
                                  expected.astype(np.int64))


def test_string_input_symbolic_outputs():
    inputs = keras.Input(shape=(1,), dtype="string")
    assert tuple(layers.TextVectorization(output_mode="count", vocabulary=["a"])(inputs).shape) == (None, 2)
    assert tuple(layers.TextVectorization()(inputs).shape) == (None, None)
    lookup = layers.StringLookup(vocabulary=["a"])(inputs)
    assert tuple(lookup.shape) == (None, 1) and lookup.dtype == torch.int64
    assert math.isclose(layers.Hashing(3, output_mode="one_hot")(inputs).shape[-1], 3)
