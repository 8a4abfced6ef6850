"""Categorical and text preprocessing layers against tf.keras: hashes, vocabularies, outputs and configs."""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close
from torchkeras_api.layers.preprocessing.hashing import fingerprint64, siphash24

_WORDS = ["the", "The", "cat", "cat,", "sat", "on", "mat!", "dog's", "Hé", "wörld", "ÄBC", "naïve", "x-y", "a.b",
          "«quote»", "¿qué?", "z", "1.5", "emoji🙂", "tab\there", "nb\xa0sp", "q", "Q", "m"]


def _corpus(seed: int, rows: int = 40, width: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([" ".join(rng.choice(_WORDS, size=rng.integers(0, width))) for _ in range(rows)])


def _random_bytes(seed: int) -> list:
    rng = np.random.default_rng(seed)
    lengths = list(range(0, 140)) + list(rng.integers(140, 400, size=20))
    return [bytes(rng.integers(0, 256, size=n, dtype=np.uint8)) for n in lengths]


def _config(layer) -> dict:
    config = dict(layer.get_config())
    config.pop("name")
    return {k: (list(v) if isinstance(v, (list, tuple)) and not isinstance(v, str) else v) for k, v in config.items()}


def _adapt_theirs(layer, data, **kwargs) -> None:
    """tf.keras's adapt, run eagerly (tracing its tf.function costs more than these small data sets)."""
    layer.compile(run_eagerly=True)
    layer.adapt(data, **kwargs)


def _theirs_vocab(layer) -> list:
    return [t.decode() if isinstance(t, bytes) else (t.item() if hasattr(t, "item") else t)
            for t in layer.get_vocabulary()]


# ---- hash functions ---------------------------------------------------------------------------------------------
def test_fingerprint64_matches_to_hash_bucket_fast(tf):
    data = _random_bytes(0)
    modulus = 2 ** 63 - 25
    theirs = tf.strings.to_hash_bucket_fast(data, modulus).numpy()
    ours = (fingerprint64(data) % np.uint64(modulus)).astype(np.int64)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("key", [[0, 0], [7, 7], [2 ** 40 + 3, 12345], [-5, 2 ** 62 + 1]])
def test_siphash_matches_to_hash_bucket_strong(tf, key):
    data = _random_bytes(1)
    modulus = 2 ** 63 - 25
    theirs = tf.strings.to_hash_bucket_strong(data, modulus, key=key).numpy()
    ours = (siphash24(data, key) % np.uint64(modulus)).astype(np.int64)
    np.testing.assert_array_equal(ours, theirs)


# ---- Hashing ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(num_bins=13), dict(num_bins=13, salt=99), dict(num_bins=8, salt=[1, 2]),
                                    dict(num_bins=6, mask_value="cat"), dict(num_bins=5, output_mode="multi_hot"),
                                    dict(num_bins=5, output_mode="count")])
def test_hashing_strings(tfk, kwargs):
    x = np.array(_WORDS * 2).reshape(-1, 4)
    theirs, ours = tfk.layers.Hashing(**kwargs), keras.layers.Hashing(**kwargs)
    assert_close(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)


@pytest.mark.parametrize("kwargs", [dict(num_bins=31), dict(num_bins=31, mask_value=0), dict(num_bins=10, salt=3),
                                    dict(num_bins=4, output_mode="one_hot")])
def test_hashing_integers(tfk, kwargs):
    rng = np.random.default_rng(2)
    x = rng.integers(-10 ** 12, 10 ** 12, size=(20, 1))
    x[::3] = 0
    theirs, ours = tfk.layers.Hashing(**kwargs), keras.layers.Hashing(**kwargs)
    assert_close(ours(x), theirs(x))


# ---- CategoryEncoding -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["multi_hot", "count", "one_hot"])
def test_category_encoding(tfk, mode):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(5, 1 if mode == "one_hot" else 4))
    theirs, ours = tfk.layers.CategoryEncoding(6, output_mode=mode), keras.layers.CategoryEncoding(6, output_mode=mode)
    assert_close(ours(x), theirs(x))
    assert_close(ours(x[:, 0]), theirs(x[:, 0]))
    assert _config(ours) == _config(theirs)
    assert tuple(ours(keras.Input(shape=x.shape[1:], dtype="int64")).shape) == \
        tuple(theirs(tfk.Input(shape=x.shape[1:], dtype="int64")).shape)


def test_category_encoding_count_weights(tfk):
    x = np.array([[0, 1, 1, 5], [2, 2, 2, 0]])
    weights = np.array([[0.5, 1.0, 2.0, 0.25], [1.0, 1.0, 3.0, 0.5]], dtype="float32")
    theirs = tfk.layers.CategoryEncoding(6, output_mode="count")(x, count_weights=weights)
    assert_close(keras.layers.CategoryEncoding(6, output_mode="count")(x, count_weights=weights), theirs)


# ---- StringLookup / IntegerLookup -------------------------------------------------------------------------------
_STRING_CASES = [dict(), dict(max_tokens=6), dict(num_oov_indices=3), dict(mask_token="", num_oov_indices=2),
                 dict(output_mode="multi_hot"), dict(output_mode="count", max_tokens=8, pad_to_max_tokens=True),
                 dict(output_mode="tf_idf"), dict(output_mode="one_hot", num_oov_indices=2)]


@pytest.mark.parametrize("kwargs", _STRING_CASES)
def test_string_lookup_adapt_and_call(tfk, kwargs):
    rng = np.random.default_rng(4)
    words = np.array(_WORDS + [""])
    weights = np.linspace(1, 3, len(words)) / np.linspace(1, 3, len(words)).sum()
    # tf.keras's tf_idf adapt fails on dense rows with repeated tokens, so rows hold distinct tokens.
    data = np.stack([rng.choice(words, size=5, replace=False, p=weights) for _ in range(30)])
    theirs, ours = tfk.layers.StringLookup(**kwargs), keras.layers.StringLookup(**kwargs)
    _adapt_theirs(theirs, data, batch_size=7)
    ours.adapt(data, batch_size=7)
    assert ours.get_vocabulary() == _theirs_vocab(theirs)
    x = rng.choice(np.append(words, ["unseen", "other"]), size=(6, 1 if kwargs.get("output_mode") == "one_hot" else 4))
    assert_close(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)


def test_string_lookup_invert_and_given_vocabulary(tfk):
    vocab = ["earth", "wind", "and", "fire"]
    kwargs = dict(vocabulary=vocab, mask_token="[MASK]", num_oov_indices=2)
    forward_theirs, forward_ours = tfk.layers.StringLookup(**kwargs), keras.layers.StringLookup(**kwargs)
    x = np.array([["earth", "[MASK]", "fire", "water"]])
    assert_close(forward_ours(x), forward_theirs(x))
    ids = np.array([[0, 1, 2, 3, 6, 7]])
    theirs = tfk.layers.StringLookup(invert=True, **kwargs)(ids).numpy().astype(str).tolist()
    assert keras.layers.StringLookup(invert=True, **kwargs)(ids).tolist() == theirs
    assert _config(forward_ours) == _config(forward_theirs)


def test_string_lookup_tf_idf_with_given_weights(tfk):
    kwargs = dict(vocabulary=["a", "b", "c"], idf_weights=[0.5, 1.5, 2.0], output_mode="tf_idf")
    x = np.array([["a", "b", "b", "z"], ["c", "c", "z", "z"]])
    assert_close(keras.layers.StringLookup(**kwargs)(x), tfk.layers.StringLookup(**kwargs)(x))


_INTEGER_CASES = [dict(), dict(num_oov_indices=4), dict(mask_token=0), dict(max_tokens=5, oov_token=-7),
                  dict(output_mode="count"), dict(output_mode="tf_idf", mask_token=0)]


@pytest.mark.parametrize("kwargs", _INTEGER_CASES)
def test_integer_lookup_adapt_and_call(tfk, kwargs):
    rng = np.random.default_rng(5)
    data = np.stack([rng.choice(24, size=3, replace=False, p=np.linspace(1, 4, 24) / np.linspace(1, 4, 24).sum())
                     for _ in range(40)])
    theirs, ours = tfk.layers.IntegerLookup(**kwargs), keras.layers.IntegerLookup(**kwargs)
    _adapt_theirs(theirs, data)
    ours.adapt(data)
    assert ours.get_vocabulary() == _theirs_vocab(theirs)
    x = rng.integers(-30, 30, size=(5, 3))
    assert_close(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)


def test_integer_lookup_invert(tfk):
    kwargs = dict(vocabulary=[12, 1138, 42], mask_token=0, invert=True)
    ids = np.array([[0, 1, 2, 3, 4, 9]])
    assert_close(keras.layers.IntegerLookup(**kwargs)(ids), tfk.layers.IntegerLookup(**kwargs)(ids))


# ---- TextVectorization ------------------------------------------------------------------------------------------
_TEXT_CASES = [dict(), dict(max_tokens=12, output_sequence_length=6), dict(standardize="lower", ngrams=2),
               dict(standardize="strip_punctuation", max_tokens=20, ngrams=(1, 3)), dict(standardize=None),
               dict(split="character", output_sequence_length=12), dict(output_mode="multi_hot"),
               dict(output_mode="count", max_tokens=15, pad_to_max_tokens=True), dict(output_mode="tf_idf", ngrams=2)]


@pytest.mark.parametrize("kwargs", _TEXT_CASES)
def test_text_vectorization_adapt_and_call(tfk, kwargs):
    corpus = _corpus(6)
    theirs, ours = tfk.layers.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    _adapt_theirs(theirs, corpus, batch_size=9)
    ours.adapt(corpus, batch_size=9)
    assert ours.get_vocabulary() == _theirs_vocab(theirs)
    x = _corpus(7, rows=6, width=12)[:, None]
    assert_close(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)
    assert tuple(ours(keras.Input(shape=(1,), dtype="string")).shape) == \
        tuple(theirs(tfk.Input(shape=(1,), dtype="string")).shape)


def test_text_vectorization_given_vocabulary_and_set_vocabulary(tfk):
    kwargs = dict(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=5)
    theirs, ours = tfk.layers.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    x = np.array(["Earth, wind & FIRE!", "and and and water earth wind fire"])
    assert_close(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)
    for layer in (theirs, ours):
        layer.set_vocabulary(["", "[UNK]", "water", "fire"])
    assert ours.get_vocabulary() == _theirs_vocab(theirs)
    assert_close(ours(x), theirs(x))


def test_text_model_predictions_match(tfk):
    corpus = _corpus(8, rows=24)
    labels = (np.char.count(corpus.astype(str), "cat") > 0).astype("float32")

    def build(lib):
        vectorize = lib.layers.TextVectorization(max_tokens=25, output_sequence_length=7)
        if lib is tfk:
            _adapt_theirs(vectorize, corpus)
        else:
            vectorize.adapt(corpus)
        inputs = lib.Input(shape=(1,), dtype="string")
        x = lib.layers.Embedding(25, 4, mask_zero=True)(vectorize(inputs))
        x = lib.layers.GlobalAveragePooling1D()(x)
        return lib.Model(inputs, lib.layers.Dense(1, activation="sigmoid")(x))

    theirs, ours = build(tfk), build(keras)
    for name in ("embedding", "dense"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    x = corpus[:, None]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs(x).numpy(), rtol=1e-5, atol=1e-6)
    ours.compile(optimizer="sgd", loss="binary_crossentropy")
    theirs.compile(optimizer="sgd", loss="binary_crossentropy", run_eagerly=True)
    ours_loss = ours.fit(x, labels, batch_size=8, epochs=2, verbose=0).history["loss"]
    theirs_loss = theirs.fit(x, labels, batch_size=8, epochs=2, verbose=0).history["loss"]
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-4)
