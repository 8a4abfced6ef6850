"""keras.preprocessing.text (Tokenizer and the word helpers), skipgrams / make_sampling_table and the
Discretization layer against tf-keras."""
import json
import random

import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api.preprocessing import sequence as our_sequence
from torchkeras_api.preprocessing import text as our_text

from compat_tests.conftest import assert_close

WORDS = ["the", "The", "cat", "sat", "on", "mat", "dog", "ran", "fast", "slow", "a", "A", "zebra", "x-ray",
         "rock'n'roll", "why?", "yes!", "émile", "tab\there"]


def _corpus(seed, count=12, unknown=False):
    rng = np.random.RandomState(seed)
    words = WORDS + (["unseen", "novel", "Other"] if unknown else [])
    probabilities = 1.0 / np.arange(1, len(words) + 1)
    probabilities /= probabilities.sum()
    texts = []
    for _ in range(count):
        chosen = rng.choice(words, size=rng.randint(0, 9), p=probabilities)
        texts.append(" ".join(chosen) + rng.choice(["", ".", " !", ",  "]))
    return texts


def _state(tokenizer):
    return (dict(tokenizer.word_counts), list(tokenizer.word_counts), dict(tokenizer.word_docs),
            dict(tokenizer.index_docs), tokenizer.word_index, tokenizer.index_word, tokenizer.document_count)


def _their_text(tfk):
    from tf_keras.preprocessing import text
    return text


TOKENIZER_SETTINGS = [{}, {"num_words": 6}, {"oov_token": "<OOV>"}, {"num_words": 5, "oov_token": "<OOV>"},
                      {"oov_token": "cat"}, {"lower": False}, {"char_level": True}, {"char_level": True, "lower": False},
                      {"filters": "", "split": "a"}, {"num_words": 1}]


@pytest.mark.parametrize("settings", TOKENIZER_SETTINGS, ids=[str(s) for s in TOKENIZER_SETTINGS])
def test_tokenizer_vocabulary_sequences_and_matrices_match(tfk, settings):
    text = _their_text(tfk)
    for seed in range(3):
        train, test = _corpus(seed), _corpus(seed + 100, count=6, unknown=True) + [""]
        ours, theirs = our_text.Tokenizer(**settings), text.Tokenizer(**settings)
        ours.fit_on_texts(train)
        theirs.fit_on_texts(train)
        assert _state(ours) == _state(theirs)
        assert ours.texts_to_sequences(test) == theirs.texts_to_sequences(test)
        assert list(ours.texts_to_sequences_generator(test)) == list(theirs.texts_to_sequences_generator(test))
        sequences = theirs.texts_to_sequences(train + test) + [[0, 1, 2, 3, 40, 7, 7]]
        assert ours.sequences_to_texts(sequences) == theirs.sequences_to_texts(sequences)
        for mode in ("binary", "count", "tfidf", "freq"):
            ours_matrix = ours.texts_to_matrix(test, mode=mode)
            assert ours_matrix.dtype == np.float64
            assert_close(ours_matrix, theirs.texts_to_matrix(test, mode=mode), rtol=1e-12, atol=1e-12)
            assert_close(ours.sequences_to_matrix(sequences, mode=mode),
                         theirs.sequences_to_matrix(sequences, mode=mode), rtol=1e-12, atol=1e-12)


def test_tokenizer_on_token_lists_analyzer_and_fit_on_sequences_match(tfk):
    text = _their_text(tfk)
    lists = [["Alpha", "beta", "beta"], ["GAMMA", "alpha"], []]
    for settings in ({}, {"lower": False}, {"analyzer": lambda s: s.split("-")}):
        ours, theirs = our_text.Tokenizer(**settings), text.Tokenizer(**settings)
        for tokenizer in (ours, theirs):
            tokenizer.fit_on_texts(lists + ["x-y-x", "Alpha beta"] if "analyzer" in settings else lists)
        assert _state(ours) == _state(theirs)
        assert ours.texts_to_sequences(lists) == theirs.texts_to_sequences(lists)
    sequences = [[1, 2, 2, 5], [3], [], [1, 1, 9]]
    ours, theirs = our_text.Tokenizer(num_words=8), text.Tokenizer(num_words=8)
    ours.fit_on_sequences(sequences)
    theirs.fit_on_sequences(sequences)
    assert (dict(ours.index_docs), ours.document_count) == (dict(theirs.index_docs), theirs.document_count)
    for mode in ("binary", "count", "tfidf", "freq"):
        assert_close(ours.sequences_to_matrix(sequences, mode), theirs.sequences_to_matrix(sequences, mode),
                     rtol=1e-12, atol=1e-12)


def test_tokenizer_json_loads_both_ways(tfk):
    text = _their_text(tfk)
    train, test = _corpus(7), _corpus(8, count=5, unknown=True)
    for settings in ({}, {"num_words": 6, "oov_token": "<OOV>"}, {"char_level": True}):
        ours, theirs = our_text.Tokenizer(**settings), text.Tokenizer(**settings)
        ours.fit_on_texts(train)
        theirs.fit_on_texts(train)
        assert ours.get_config() == theirs.get_config()
        assert ours.to_json() == theirs.to_json()
        assert ours.to_json(indent=2, sort_keys=True) == theirs.to_json(indent=2, sort_keys=True)
        from_theirs = our_text.tokenizer_from_json(theirs.to_json())
        from_ours = text.tokenizer_from_json(ours.to_json())
        assert _state(from_theirs) == _state(from_ours)
        assert from_theirs.to_json() == from_ours.to_json()
        assert from_theirs.texts_to_sequences(test) == theirs.texts_to_sequences(test)
        for mode in ("binary", "tfidf"):
            assert_close(from_theirs.texts_to_matrix(test, mode), from_ours.texts_to_matrix(test, mode),
                         rtol=1e-12, atol=1e-12)


def test_tokenizer_errors_match(tfk):
    text = _their_text(tfk)
    for factory in (our_text.Tokenizer, text.Tokenizer):
        with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
            factory(foo=1)
        with pytest.raises(ValueError, match="Specify a dimension"):
            factory().sequences_to_matrix([[1]])
        with pytest.raises(ValueError, match="tfidf mode"):
            factory(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
        fitted = factory()
        fitted.fit_on_texts(["a b"])
        with pytest.raises(ValueError, match="Unknown vectorization mode"):
            fitted.texts_to_matrix(["a"], mode="onehot")
    with pytest.warns(UserWarning, match="renamed `num_words`"):
        assert our_text.Tokenizer(nb_words=4).num_words == 4


def test_word_sequence_one_hot_and_hashing_trick_match(tfk):
    text = _their_text(tfk)
    for sample in _corpus(3) + ["Hello, World! tab\tand\nnew line", "  multiple   spaces  "]:
        for kwargs in ({}, {"lower": False}, {"filters": ",", "split": ","}, {"split": "o"}):
            assert our_text.text_to_word_sequence(sample, **kwargs) == text.text_to_word_sequence(sample, **kwargs)
        for n in (2, 7, 1000):
            assert our_text.one_hot(sample, n) == text.one_hot(sample, n)
            assert our_text.hashing_trick(sample, n) == text.hashing_trick(sample, n)
            assert our_text.hashing_trick(sample, n, "md5") == text.hashing_trick(sample, n, "md5")
            assert (our_text.hashing_trick(sample, n, len, analyzer=list)
                    == text.hashing_trick(sample, n, len, analyzer=list))


def test_skipgrams_and_sampling_table_match(tfk):
    from tf_keras.preprocessing import sequence as their_sequence
    for size, factor in ((1, 1e-5), (10, 1e-5), (500, 1e-3)):
        assert_close(our_sequence.make_sampling_table(size, factor),
                     their_sequence.make_sampling_table(size, factor), rtol=1e-15, atol=0)
    rng = np.random.RandomState(0)
    words = rng.randint(0, 12, size=30).tolist()
    table = their_sequence.make_sampling_table(12, 0.05)
    for kwargs in ({}, {"window_size": 2, "negative_samples": 0.5}, {"categorical": True, "shuffle": False},
                   {"sampling_table": table, "seed": 3}, {"negative_samples": 0.0, "seed": 11}):
        results = []
        for module in (our_sequence, their_sequence):
            random.seed(1234)
            results.append(module.skipgrams(words, 12, **kwargs))
        assert results[0] == results[1]
    assert our_sequence.skipgrams([], 5) == ([], [])


def test_text_module_is_exported():
    assert keras.preprocessing.text.Tokenizer is our_text.Tokenizer
    assert keras.preprocessing.sequence.skipgrams is our_sequence.skipgrams


# ---- Discretization ---------------------------------------------------------------------------------------------
INPUTS = [np.array([[0.1, 0.5, 1.0, np.nan, -np.inf, np.inf, 0.0999999, -3.0]], np.float32),
          np.array([[0.1, 0.5, 1.0, np.nan, 1.0000001, 0.4999999]], np.float64),
          np.array([[0, 1, 2, -5], [7, 0, 0, 1]], np.int64), np.array([3, 0, 1], np.int32)]


@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_given_boundaries_matches(tf, tfk, output_mode):
    for boundaries in ([0.1, 0.5, 1.0], [], [0.0, 0.0, 2.0], np.array([-1.0, 0.3])):
        for x in INPUTS:
            if output_mode == "one_hot" and x.ndim == 2 and x.shape[-1] != 1:
                x = x.reshape(-1)
            ours = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
            theirs = tfk.layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
            expected = theirs(x)
            got = ours(x)
            assert str(got.dtype).replace("torch.", "") == expected.dtype.name
            assert_close(got, expected, rtol=0, atol=0)


def test_discretization_dtypes_shapes_and_configs_match(tf, tfk):
    cases = [{"bin_boundaries": [0.0, 1.0, 2.0]}, {"num_bins": 3}, {"num_bins": 4, "epsilon": 0.1},
             {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}, {"bin_boundaries": [0.0], "dtype": "int32"},
             {"bin_boundaries": [0.0], "output_mode": "int", "dtype": "float32"},
             {"bin_boundaries": [0.0], "output_mode": "one_hot", "dtype": "float64"}, {"bins": 3}, {"bins": [1.0]}]
    x = np.array([[0.5], [2.0]])
    for kwargs in cases:
        ours, theirs = keras.layers.Discretization(**kwargs), tfk.layers.Discretization(**kwargs)
        ours_config, their_config = ours.get_config(), theirs.get_config()
        ours_config.pop("name"), their_config.pop("name")
        their_config["bin_boundaries"] = (None if their_config["bin_boundaries"] is None
                                          else list(their_config["bin_boundaries"]))
        assert ours_config == their_config
        assert str(ours(x).dtype).replace("torch.", "") == theirs(x).dtype.name
        restored = keras.layers.Discretization.from_config(ours.get_config())
        assert restored.get_config() == ours.get_config()
    for mode, shape in (("int", (3,)), ("count", (3,)), ("multi_hot", (4,)), ("one_hot", (1,)), ("one_hot", ())):
        ours = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
        theirs = tfk.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
        data = np.ones((2,) + shape, np.float32)
        eager = theirs(data).shape
        assert tuple(ours(data).shape) == tuple(eager)
        assert tuple(ours(keras.Input(shape)).shape) == (None,) + tuple(eager[1:])


@pytest.mark.parametrize("size", [1, 2, 5, 31, 33, 100, 257, 1000, 3001])
def test_discretization_adapt_matches(tfk, size):
    rng = np.random.RandomState(size)
    data = rng.standard_normal(size).astype(np.float32) * 3
    for kwargs, adapt_kwargs in (({"num_bins": 4}, {}), ({"num_bins": 3, "epsilon": 0.1}, {}),
                                 ({"num_bins": 7, "epsilon": 0.05}, {"batch_size": 10}),
                                 ({"num_bins": 2}, {"batch_size": 1000})):
        ours, theirs = keras.layers.Discretization(**kwargs), tfk.layers.Discretization(**kwargs)
        ours.adapt(data, **adapt_kwargs)
        theirs.adapt(data, **adapt_kwargs)
        assert ours.bin_boundaries == list(theirs.bin_boundaries)
        assert_close(ours(data), theirs(data), rtol=0, atol=0)


def test_discretization_adapt_on_2d_integer_and_repeated_data_matches(tfk):
    rng = np.random.RandomState(1)
    for data in (np.arange(100).reshape(50, 2), rng.randint(0, 4, size=(80, 3)),
                 np.repeat(np.float32([1.5, -2.0, 0.25]), 40)):
        ours, theirs = keras.layers.Discretization(num_bins=5), tfk.layers.Discretization(num_bins=5)
        ours.adapt(data)
        theirs.adapt(data)
        assert ours.bin_boundaries == list(theirs.bin_boundaries)
        again = np.flip(data).copy()
        ours.adapt(again)
        theirs.adapt(again)
        assert ours.bin_boundaries == list(theirs.bin_boundaries)


def test_discretization_errors_match(tfk):
    for kwargs, message in (({"output_mode": "foo"}, "output_mode"), ({"num_bins": -1}, "num_bins"),
                            ({"num_bins": 2, "bin_boundaries": [1.0]}, "Both `num_bins` and `bin_boundaries`"),
                            ({"sparse": True}, "`sparse` may only be true")):
        for factory in (keras.layers.Discretization, tfk.layers.Discretization):
            with pytest.raises(ValueError, match=message):
                factory(**kwargs)
    for factory in (keras.layers.Discretization, tfk.layers.Discretization):
        with pytest.raises(ValueError, match="Cannot adapt a Discretization layer"):
            factory(bin_boundaries=[1.0]).adapt(np.arange(4.0))
        with pytest.raises(Exception, match="Expected sorted boundaries"):
            factory(bin_boundaries=[1.0, 0.0])(np.array([0.5]))


def test_tokenizer_json_string_from_tf_loads_exactly(tfk):
    text = _their_text(tfk)
    theirs = text.Tokenizer(num_words=4, oov_token="?")
    theirs.fit_on_texts(["b a b", "c b a d"])
    loaded = our_text.tokenizer_from_json(theirs.to_json())
    assert json.loads(loaded.to_json()) == json.loads(theirs.to_json())
    assert loaded.texts_to_sequences(["a e d b"]) == theirs.texts_to_sequences(["a e d b"])
