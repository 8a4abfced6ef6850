"""keras.preprocessing.text (Tokenizer and the word helpers), skipgrams / make_sampling_table and the
Discretization layer, checked against their definitions."""
import collections
import hashlib
import json
import math
import random

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.preprocessing import sequence, text


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    yield


# ---- word helpers -----------------------------------------------------------------------------------------------
def test_text_to_word_sequence_lowers_filters_and_splits():
    assert text.text_to_word_sequence("Hello, World!  tab\there") == ["hello", "world", "tab", "here"]
    assert text.text_to_word_sequence("A-b", lower=False) == ["A", "b"]
    assert text.text_to_word_sequence("a,b;c", filters=";", split=",") == ["a", "b", "c"]


def test_hashing_trick_and_one_hot_use_the_given_hash():
    words = ["some", "words", "some"]
    n = 11
    md5 = [int(hashlib.md5(w.encode()).hexdigest(), 16) % (n - 1) + 1 for w in words]
    assert text.hashing_trick("Some words, some.", n, "md5") == md5
    assert text.hashing_trick("Some words, some.", n) == [hash(w) % (n - 1) + 1 for w in words]
    assert text.one_hot("Some words, some.", n) == [hash(w) % (n - 1) + 1 for w in words]
    assert text.hashing_trick("ab", 5, hash_function=ord, analyzer=list) == [ord("a") % 4 + 1, ord("b") % 4 + 1]


# ---- Tokenizer --------------------------------------------------------------------------------------------------
def test_word_index_ranks_by_count_then_first_appearance():
    tokenizer = text.Tokenizer()
    tokenizer.fit_on_texts(["c a b", "b a d", "b"])
    assert tokenizer.word_index == {"b": 1, "a": 2, "c": 3, "d": 4}
    assert tokenizer.index_word == {1: "b", 2: "a", 3: "c", 4: "d"}
    assert isinstance(tokenizer.word_counts, collections.OrderedDict)
    assert list(tokenizer.word_counts.items()) == [("c", 1), ("a", 2), ("b", 3), ("d", 1)]
    assert dict(tokenizer.word_docs) == {"c": 1, "a": 2, "b": 3, "d": 1}
    assert dict(tokenizer.index_docs) == {3: 1, 2: 2, 1: 3, 4: 1}
    assert tokenizer.document_count == 3


def test_num_words_and_oov_token():
    plain = text.Tokenizer(num_words=3)
    plain.fit_on_texts(["c a b", "b a d", "b"])
    assert plain.texts_to_sequences(["b a c d e"]) == [[1, 2]]
    assert plain.sequences_to_texts([[1, 2, 3, 9]]) == ["b a"]
    oov = text.Tokenizer(num_words=3, oov_token="<unk>")
    oov.fit_on_texts(["c a b", "b a d", "b"])
    assert oov.word_index == {"<unk>": 1, "b": 2, "a": 3, "c": 4, "d": 5}
    assert oov.texts_to_sequences(["b a c e"]) == [[2, 1, 1, 1]]
    assert oov.sequences_to_texts([[2, 3, 9]]) == ["b <unk> <unk>"]


def test_char_level_and_token_lists():
    chars = text.Tokenizer(char_level=True)
    chars.fit_on_texts(["AbA"])
    assert chars.word_index == {"a": 1, "b": 2}
    assert chars.texts_to_sequences(["ba!"]) == [[2, 1]]
    lists = text.Tokenizer()
    lists.fit_on_texts([["Foo", "bar"], ["bar"]])
    assert lists.word_index == {"bar": 1, "foo": 2}


def test_matrices_follow_their_formulas():
    tokenizer = text.Tokenizer()
    texts = ["a a b", "b c", "a"]
    tokenizer.fit_on_texts(texts)
    index = tokenizer.word_index
    counts = np.zeros((3, 4))
    for row, sample in enumerate(texts):
        for word in sample.split():
            counts[row, index[word]] += 1
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(texts, "count"), counts)
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(texts, "binary"), (counts > 0).astype(float))
    np.testing.assert_allclose(tokenizer.texts_to_matrix(texts, "freq"), counts / counts.sum(1, keepdims=True))
    documents = {index[w]: sum(w in t.split() for t in texts) for w in index}
    tfidf = np.zeros((3, 4))
    for (row, column), count in np.ndenumerate(counts):
        if count:
            tfidf[row, column] = (1 + math.log(count)) * math.log(1 + 3 / (1 + documents[column]))
    np.testing.assert_allclose(tokenizer.texts_to_matrix(texts, "tfidf"), tfidf, rtol=1e-14)
    assert tokenizer.sequences_to_matrix([[1, 7]], "count").shape == (1, 4)


def test_fit_on_sequences_counts_documents_for_tfidf():
    tokenizer = text.Tokenizer(num_words=4)
    tokenizer.fit_on_sequences([[1, 1, 2], [2, 3]])
    assert tokenizer.document_count == 2 and dict(tokenizer.index_docs) == {1: 1, 2: 2, 3: 1}
    expected = (1 + math.log(2)) * math.log(1 + 2 / 2)
    assert tokenizer.sequences_to_matrix([[1, 1]], "tfidf")[0, 1] == pytest.approx(expected)


def test_tokenizer_errors_name_the_problem():
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        text.Tokenizer(bogus=1)
    with pytest.raises(ValueError, match="num_words"):
        text.Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(ValueError, match="tfidf"):
        text.Tokenizer(num_words=2).sequences_to_matrix([[1]], "tfidf")
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        text.Tokenizer(num_words=2).sequences_to_matrix([[1]], "onehot")


def test_json_round_trip_keeps_everything():
    tokenizer = text.Tokenizer(num_words=3, oov_token="?", split="|", filters="")
    tokenizer.fit_on_texts(["x|y|x", "z"])
    payload = json.loads(tokenizer.to_json())
    assert payload["class_name"] == "Tokenizer"
    assert json.loads(payload["config"]["index_word"]) == {"1": "?", "2": "x", "3": "y", "4": "z"}
    loaded = text.tokenizer_from_json(tokenizer.to_json())
    assert loaded.index_word == tokenizer.index_word and loaded.word_index == tokenizer.word_index
    assert loaded.index_docs == dict(tokenizer.index_docs) and loaded.document_count == 2
    assert loaded.texts_to_sequences(["x|z|w"]) == tokenizer.texts_to_sequences(["x|z|w"]) == [[2, 1, 1]]
    assert loaded.to_json() == tokenizer.to_json()


# ---- skipgrams / make_sampling_table ----------------------------------------------------------------------------
def test_make_sampling_table_follows_zipf_formula():
    table = sequence.make_sampling_table(60, sampling_factor=0.01)
    assert table[59] == 1.0
    for rank in range(1, 60, 7):
        f = 0.01 * (rank * (math.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
        assert table[rank] == pytest.approx(min(1.0, math.sqrt(f)))
    assert table[0] == table[1]


def test_skipgrams_pairs_and_labels():
    couples, labels = sequence.skipgrams([1, 2, 0, 3], 4, window_size=1, negative_samples=0.0, shuffle=False)
    assert couples == [[1, 2], [2, 1]] and labels == [1, 1]
    random.seed(0)
    couples, labels = sequence.skipgrams([1, 2, 3], 10, window_size=2, negative_samples=2.0, categorical=True)
    assert len(couples) == 18 and labels.count([0, 1]) == 6 and labels.count([1, 0]) == 12
    positives = {tuple(c) for c, l in zip(couples, labels) if l == [0, 1]}
    assert positives == {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b}
    assert all(1 <= c[1] <= 9 for c, l in zip(couples, labels) if l == [1, 0])


# ---- Discretization ---------------------------------------------------------------------------------------------
def test_discretization_buckets_right_open_like_digitize():
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = np.array([[-3.0, -1.0, 0.0, 0.25, 0.5, 2.0, 7.0, np.nan]], np.float32)
    out = keras.layers.Discretization(bin_boundaries=boundaries)(x)
    assert out.dtype == torch.int64
    expected = np.digitize(x, boundaries)
    expected[np.isnan(x)] = len(boundaries)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_discretization_encodings():
    x = np.array([[0.5, 1.5, 1.5], [3.0, 3.0, -1.0]])
    indices = np.digitize(x, [0.0, 1.0, 2.0])
    counts = np.stack([np.bincount(row, minlength=4) for row in indices]).astype("float32")
    layer = keras.layers.Discretization
    np.testing.assert_array_equal(layer([0.0, 1.0, 2.0], output_mode="count")(x).numpy(), counts)
    np.testing.assert_array_equal(layer([0.0, 1.0, 2.0], output_mode="multi_hot")(x).numpy(), counts > 0)
    one_hot = layer([0.0, 1.0, 2.0], output_mode="one_hot")(x[0])
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(4, dtype="float32")[indices[0]])


def test_discretization_adapt_on_small_data_interpolates_quantiles():
    data = np.arange(10, dtype=np.float32)
    layer = keras.layers.Discretization(num_bins=3)
    layer.adapt(data)
    cumulative = np.arange(1, 11) / 10
    np.testing.assert_allclose(layer.bin_boundaries, np.interp([1 / 3, 2 / 3], cumulative, data), rtol=1e-6)
    assert layer.is_adapted
    np.testing.assert_array_equal(layer(data).numpy(), np.digitize(data, layer.bin_boundaries))


def test_discretization_config_round_trip_and_errors():
    layer = keras.layers.Discretization(bin_boundaries=np.array([0.0, 1.0]), output_mode="count")
    config = layer.get_config()
    assert config["bin_boundaries"] == [0.0, 1.0] and config["num_bins"] is None and config["dtype"] == "float32"
    assert keras.layers.Discretization.from_config(config).get_config() == config
    assert keras.layers.experimental.preprocessing.Discretization is keras.layers.Discretization
    with pytest.raises(ValueError, match="num_bins"):
        keras.layers.Discretization(num_bins=-2)
    with pytest.raises(ValueError, match="bin_boundaries"):
        keras.layers.Discretization(bin_boundaries=[1.0]).adapt(np.ones(3))
    with pytest.raises(NotImplementedError, match="sparse"):
        keras.layers.Discretization(bin_boundaries=[1.0], output_mode="count", sparse=True)


def test_discretization_in_a_functional_model():
    inputs = keras.Input((3,))
    outputs = keras.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")(inputs)
    model = keras.Model(inputs, outputs)
    assert tuple(outputs.shape) == (None, 3)
    np.testing.assert_array_equal(model(np.array([[-1.0, 0.5, 4.0]], np.float32)).numpy(), [[1.0, 1.0, 1.0]])
