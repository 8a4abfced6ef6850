"""`Model.summary()` against the real tf.keras: the same models must print the same text, line by line."""
import numpy as np
import pytest

import torchkeras_api as keras


def _lines(model, **options):
    lines = []
    model.summary(print_fn=lines.append, **options)
    return lines


def _has(*names):
    return all(hasattr(keras.layers, name) for name in names)


# ---- models, each built by the same code in both libraries (`k` is tf_keras or torchkeras_api) -------------
def seq_input_shape(k):
    L = k.layers
    return k.Sequential([L.Dense(30, activation="relu", input_shape=(10,)), L.Dense(2)])


def seq_add_build(k):
    model = k.Sequential(name="built_later")
    model.add(k.layers.Dense(8))
    model.add(k.layers.Dense(4, use_bias=False))
    model.build((None, 16))
    return model


def seq_input_tensor(k):
    return k.Sequential([k.Input((5,)), k.layers.Dense(3), k.layers.Dense(1)])


def seq_deferred_called(k):
    model = k.Sequential([k.layers.Dense(3), k.layers.Dense(2)])
    model(np.zeros((2, 4), "float32"))
    return model


def seq_non_trainable(k):
    L = k.layers
    model = k.Sequential([L.Dense(30, input_shape=(10,)), L.Dense(2, trainable=False),
                          L.Dense(1000), L.Dense(300)])
    model.layers[0].trainable = False
    return model


def seq_frozen_model(k):
    model = k.Sequential([k.layers.Dense(3, input_shape=(2,)), k.layers.Dense(3)])
    model.trainable = False
    return model


def functional_chain(k):
    a = k.Input((3,))
    x = k.layers.Dense(4)(a)
    return k.Model(a, k.layers.Dense(5, name="head")(x))


def functional_intermediate_output(k):
    a = k.Input((3,))
    h = k.layers.Dense(4)(a)
    return k.Model(a, [h, k.layers.Dense(5)(h)])


def functional_branches(k):
    L = k.layers
    a, b = k.Input((3,)), k.Input((3,), name="bb")
    x, y = L.Dense(4)(a), L.Dense(4)(b)
    z = x + y
    w = z * 2
    return k.Model([a, b], [w, w[:, 0], -w - y, 1.5 / (w + 1)])


def functional_shared(k):
    L = k.layers
    a, b = k.Input((3,), name="left"), k.Input((3,), name="right")
    shared = L.Dense(4, activation="tanh", name="shared")
    x = shared(a) + shared(b)
    d = L.Dense(4, name="twice")
    return k.Model([a, b], d(d(x)), name="siamese")


def functional_long_names(k):
    L = k.layers
    a = k.Input((3, 4), name="a_rather_long_input_name_that_wraps")
    x = L.Dense(7, name="a_dense_layer_with_a_very_long_name_indeed")(a)
    y = L.Dense(7, name="another_dense_layer_with_a_long_name")(a)
    return k.Model(a, [x * y, x + y + x], name="long_names")


def functional_unused_input(k):
    a, b = k.Input((3,)), k.Input((2, 3))
    return k.Model([a, b], k.layers.Dense(3)(a))


def functional_non_trainable(k):
    L = k.layers
    a = k.Input((10,))
    x = L.Dense(30, trainable=False)(a)
    y = L.Dense(30)(a)
    return k.Model(a, L.Dense(1)(x + y))


def _subclass(k):
    L = k.layers

    class Net(k.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = L.Dense(3, activation="relu")
            self.out = L.Dense(2)
            self.unused = L.Dense(5)

        def call(self, x):
            return self.out(self.hidden(x))

    return Net()


def subclassed_built(k):
    model = _subclass(k)
    model.build((None, 4))
    return model


def subclassed_called(k):
    model = _subclass(k)
    model(np.zeros((2, 4), "float32"))
    return model


def subclassed_with_functional(k):
    i = k.Input((3,))
    inner = k.Model(i, k.layers.Dense(3)(i), name="inner")

    class Wrapper(k.Model):
        def __init__(self):
            super().__init__()
            self.inner = inner
            self.head = k.layers.Dense(2, trainable=False)

        def call(self, x):
            return self.head(self.inner(x))

    model = Wrapper()
    model(np.zeros((2, 3), "float32"))
    return model


def nested_seq_in_functional(k):
    L = k.layers
    inner = k.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(5, trainable=False)], name="inner")
    a, b = k.Input((3,)), k.Input((3,))
    out = inner(a) + inner(b) + L.Dense(5)(a)
    return k.Model([a, b], out, name="outer")


def nested_last(k):
    L = k.layers
    inner = k.Sequential([L.Dense(4), L.Dense(5)], name="inner")
    a, b = k.Input((3,)), k.Input((3,))
    return k.Model([a, b], inner(a + b))


def nested_seq_in_seq(k):
    L = k.layers
    inner = k.Sequential([L.Dense(4), L.Dense(5)], name="inner")
    return k.Sequential([k.Input((3,)), inner, L.Dense(2)])


def nested_deep(k):
    L = k.layers
    i1 = k.Input((3,))
    f1 = k.Model(i1, L.Dense(3)(i1), name="f1")
    i2 = k.Input((3,))
    f2 = k.Model(i2, L.Dense(2)(f1(i2)) * 3, name="f2")
    i3 = k.Input((3,))
    return k.Model(i3, f2(i3) + 1, name="f3")


def nested_deep_last(k):
    L = k.layers
    i1 = k.Input((3,))
    g1 = k.Model(i1, L.Dense(3)(i1), name="g1")
    i2 = k.Input((3,))
    g2 = k.Model(i2, g1(i2), name="g2")
    i3, i4 = k.Input((3,)), k.Input((3,))
    return k.Model([i3, i4], g2(i3) - g2(i4), name="g3")


def empty_subclassed(k):
    class Doubler(k.Model):
        def call(self, x):
            return x * 2

    model = Doubler()
    model.build((None, 3))
    return model


def subclassed_own_weights(k):
    class Scaled(k.Model):
        def __init__(self):
            super().__init__()
            self.scale = self.add_weight(name="scale", shape=(4,), trainable=False)
            self.body = k.Sequential([k.layers.Dense(4)], name="body")
            self.spare = k.layers.Dense(4, trainable=False)

        def call(self, x):
            return self.body(x) * self.scale

    model = Scaled()
    model(np.zeros((2, 4), "float32"))
    return model


def layer_reused_on_shapes(k):
    a, b = k.Input((3,)), k.Input((2, 3))
    shared = k.layers.Dense(3, name="dd")
    return k.Model([a, b], [shared(a), shared(b)])


def dtypes_and_sizes(k):
    L = k.layers
    a = k.Input((1000,))
    x = L.Dense(1000, dtype="float64")(a)
    y = L.Dense(300, dtype="float16", trainable=False)(a)
    return k.Model(a, [x, y, L.Dense(1)(y)])


def frozen_nested(k):
    L = k.layers
    inner = k.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(5)], name="inner")
    inner.trainable = False
    a = k.Input((3,))
    return k.Model(a, L.Dense(2)(inner(a)) + inner(a)[:, :2])


def functional_input_as_output(k):
    a = k.Input((3,))
    return k.Model(a, [a, k.layers.Dense(2)(a)])


def _blocks_net(k):
    L = k.layers

    class Blocks(k.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [L.Dense(3), L.Dense(4)]
            self.head = L.Dense(2)

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    return Blocks()


def subclassed_layer_list(k):
    model = _blocks_net(k)
    model(np.zeros((2, 3), "float32"))
    return model


def subclassed_in_functional(k):
    a = k.Input((3,))
    return k.Model(a, k.layers.Dense(1)(_blocks_net(k)(a)))


def subclassed_with_sequential(k):
    L = k.layers

    class Wrapper(k.Model):
        def __init__(self):
            super().__init__()
            self.stack = k.Sequential([L.Dense(3), L.Dense(4)])
            self.head = L.Dense(2)

        def call(self, x):
            return self.head(self.stack(x))

    model = Wrapper()
    model.build((None, 5))
    return model


def nested_two_outputs(k):
    L = k.layers
    i = k.Input((3,))
    inner = k.Model(i, [L.Dense(4)(i), L.Dense(5)(i)], name="two")
    a = k.Input((3,))
    x, y = inner(a)
    return k.Model(a, L.Concatenate()([x, y, x]))


def lambda_two_outputs(k):
    L = k.layers
    a = k.Input((3,))
    x, y = L.Lambda(lambda t: [t, t * 2])(a)
    return k.Model(a, L.Add()([x, y]))


def merge_layers(k):
    L = k.layers
    a, b = k.Input((4, 3), name="a"), k.Input((4, 3), name="b")
    x = L.Concatenate(name="concat")([a, b])
    x = L.Flatten()(L.Dropout(0.5)(x))
    y = L.Add()([L.Flatten()(a), L.Flatten()(b)])
    return k.Model([a, b], L.Concatenate()([x, y, L.Dense(2)(y)]))


def embedding_stack(k):
    L = k.layers
    return k.Sequential([L.Embedding(100, 8, input_length=5), L.Reshape((40,)), L.Dropout(0.1),
                         L.Dense(4, activation="softmax")])


BUILDERS = [seq_input_shape, seq_add_build, seq_input_tensor, seq_deferred_called, seq_non_trainable,
            seq_frozen_model, functional_chain, functional_intermediate_output, functional_branches,
            functional_shared, functional_long_names, functional_unused_input, functional_non_trainable,
            subclassed_built, subclassed_called, subclassed_with_functional, nested_seq_in_functional, nested_last,
            nested_seq_in_seq, nested_deep, nested_deep_last, empty_subclassed, subclassed_own_weights,
            layer_reused_on_shapes, dtypes_and_sizes, frozen_nested, functional_input_as_output,
            subclassed_layer_list, subclassed_in_functional, subclassed_with_sequential]
NEEDS = {nested_two_outputs: ("Concatenate",), lambda_two_outputs: ("Lambda", "Add"),
         merge_layers: ("Concatenate", "Flatten", "Dropout", "Add"),
         embedding_stack: ("Embedding", "Reshape", "Dropout")}
OPTIONS = [{}, {"show_trainable": True}, {"expand_nested": True},
           {"expand_nested": True, "show_trainable": True}, {"line_length": 60}]


_MODELS = {}


def _model(k, build):
    """The model `build` makes in `k`, built once in a fresh session (so with default names) and reused."""
    key = (k.__name__, build.__name__)
    if key not in _MODELS:
        k.backend.clear_session()
        _MODELS[key] = build(k)
    return _MODELS[key]


def _compare(tfk, build, **options):
    theirs = _lines(_model(tfk, build), **options)
    ours = _lines(_model(keras, build), **options)
    assert ours == theirs, "\n".join(["ours:"] + ours + ["theirs:"] + theirs)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("build", BUILDERS + list(NEEDS), ids=lambda b: b.__name__)
def test_summary_matches(tfk, build, options):
    if not _has(*NEEDS.get(build, ())):
        pytest.skip(f"layers {NEEDS[build]} not available yet")
    _compare(tfk, build, **options)


@pytest.mark.parametrize("layer_range", [["dense", "dense"], ["tf.__operators__.add", "dense_1"],
                                         ("dense_1", "input"), ["bb", "bb"], ["inp.*", "tf.math.*"]])
def test_layer_range_matches(tfk, layer_range):
    _compare(tfk, functional_branches, layer_range=layer_range)


@pytest.mark.parametrize("layer_range", [["dense", "dense_1"], ["dense_2", "dense"]])
def test_layer_range_subclassed_matches(tfk, layer_range):
    _compare(tfk, subclassed_built, layer_range=layer_range)


def test_layer_range_nested_matches(tfk):
    _compare(tfk, nested_seq_in_functional, layer_range=["inner", "inner"], expand_nested=True)


@pytest.mark.parametrize("positions", [[0.5, 0.7, 1.0], [10, 30, 50], [0.2, 0.3, 0.4]])
def test_sequential_positions_match(tfk, positions):
    _compare(tfk, seq_non_trainable, positions=positions, line_length=50)


@pytest.mark.parametrize("positions", [[0.2, 0.4, 0.5, 1.0], [20, 40, 55, 95]])
def test_functional_positions_match(tfk, positions):
    _compare(tfk, functional_long_names, positions=positions, show_trainable=True)


@pytest.mark.parametrize("layer_range", [["nothing", "dense"], ["dense"], "ab", ["hidden", "nope"]])
def test_bad_layer_range_raises_like_tf_keras(tfk, layer_range):
    with pytest.raises(ValueError) as theirs:
        _lines(_model(tfk, functional_branches), layer_range=layer_range)
    with pytest.raises(ValueError) as ours:
        _lines(_model(keras, functional_branches), layer_range=layer_range)
    assert str(ours.value) == str(theirs.value)


def _unbuilt_sequential(k):
    return k.Sequential([k.layers.Dense(3)])


@pytest.mark.parametrize("build", [_unbuilt_sequential, _subclass], ids=lambda b: b.__name__)
def test_unbuilt_model_raises_like_tf_keras(tfk, build):
    with pytest.raises(ValueError) as theirs:
        build(tfk).summary()
    with pytest.raises(ValueError) as ours:
        build(keras).summary()
    assert str(ours.value) == str(theirs.value)


def test_default_print_matches(tfk, capsys):
    _model(tfk, seq_input_shape).summary()
    theirs = capsys.readouterr().out
    _model(keras, seq_input_shape).summary()
    assert capsys.readouterr().out == theirs
