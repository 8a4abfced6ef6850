"""Unit tests of `Model.summary()` / engine.summary: table layout, wrapping, options and errors."""
import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api import layers as L
from torchkeras_api.engine.summary import format_row, layer_index_bounds, print_summary, readable_size


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _lines(model, **options):
    lines = []
    model.summary(print_fn=lines.append, **options)
    return lines


def _sequential():
    return keras.Sequential([L.Dense(3, input_shape=(4,)), L.Dense(2)])


def _branching():
    a, b = keras.Input((3,)), keras.Input((3,), name="bb")
    x = L.Dense(4)(a) + L.Dense(4)(b)
    return keras.Model([a, b], x)


SEQUENTIAL_TEXT = [
    'Model: "sequential"',
    "_" * 65,
    " Layer (type)                Output Shape              Param #   ",
    "=" * 65,
    " dense (Dense)               (None, 3)                 15        ",
    " " * 65,
    " dense_1 (Dense)             (None, 2)                 8         ",
    " " * 65,
    "=" * 65,
    "Total params: 23 (92.00 Byte)",
    "Trainable params: 23 (92.00 Byte)",
    "Non-trainable params: 0 (0.00 Byte)",
    "_" * 65,
]


def test_sequential_table():
    assert _lines(_sequential()) == SEQUENTIAL_TEXT


def test_print_fn_is_called_once_per_line():
    calls = []
    _sequential().summary(print_fn=lambda *args, **kwargs: calls.append((args, kwargs)))
    assert calls == [((line,), {}) for line in SEQUENTIAL_TEXT]


def test_default_prints_to_stdout(capsys):
    _sequential().summary()
    assert capsys.readouterr().out == "\n".join(SEQUENTIAL_TEXT) + "\n"


def test_print_summary_function_matches_method():
    model = _sequential()
    lines = []
    print_summary(model, print_fn=lines.append)
    assert lines == _lines(model)


def test_functional_table_has_connections_and_wraps_cells():
    lines = _lines(_branching())
    assert lines[2] == " Layer (type)                Output Shape                 Param #   Connected to" + " " * 18
    assert " tf.__operators__.add (TFOp  (None, 4)                    0         ['dense[0][0]',               " in lines
    assert " Lambda)                                                             'dense_1[0][0]']             " in lines
    assert all(len(line) == 98 for line in lines[1:9])


def test_linear_functional_prints_like_sequential():
    a = keras.Input((3,))
    lines = _lines(keras.Model(a, L.Dense(2)(L.Dense(4)(a))))
    assert len(lines[1]) == 65 and "Connected to" not in lines[2]
    assert lines[4].startswith(" input_1 (InputLayer)        [(None, 3)] ")


def test_line_length_and_positions_are_respected():
    lines = _lines(_sequential(), line_length=80)
    assert {len(line) for line in lines[1:9]} == {80}
    lines = _lines(_sequential(), positions=[10, 30, 50])
    assert lines[2:4] == [" Layer (  Output Shape        Param #             ",
                          " type)                                            "]
    assert lines[1] == "_" * 65
    lines = _lines(_sequential(), line_length=100, positions=[0.4, 0.7, 1.0])
    assert lines[2].index("Output Shape") == 40 and lines[2].index("Param #") == 70


def test_show_trainable_adds_a_column():
    model = _sequential()
    model.layers[1].trainable = False
    lines = _lines(model, show_trainable=True)
    assert len(lines[1]) == 76 and lines[2].endswith("Param #   Trainable  ")
    assert lines[4].endswith(" 15        Y          ") and lines[6].endswith(" 8         N          ")
    assert lines[-3:-1] == ["Trainable params: 15 (60.00 Byte)", "Non-trainable params: 8 (32.00 Byte)"]


def test_subclassed_model_shows_multiple_and_unused():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(3)
            self.unused = L.Dense(5)

        def call(self, x):
            return self.hidden(x)

    model = Net()
    model(np.zeros((2, 4), "float32"))
    lines = _lines(model)
    assert lines[4] == " dense (Dense)               multiple                  15        "
    assert lines[6] == " dense_1 (Dense)             multiple                  0 (unused)"


def test_expand_nested_draws_boxes():
    inner = keras.Sequential([L.Dense(4), L.Dense(5)], name="inner")
    model = keras.Sequential([keras.Input((3,)), inner, L.Dense(2)])
    assert _lines(model)[4:8] == [" inner (Sequential)          (None, 5)                 41        ", " " * 65,
                                  " dense_2 (Dense)             (None, 2)                 12        ", " " * 65]
    assert _lines(model, expand_nested=True)[4:11] == [
        " inner (Sequential)          (None, 5)                 41        ",
        "|" + "¯" * 63 + "|",
        "| dense (Dense)              (None, 4)                 16       |",
        "|" + " " * 63 + "|",
        "| dense_1 (Dense)            (None, 5)                 25       |",
        "¯" * 65,
        " dense_2 (Dense)             (None, 2)                 12        ",
    ]


def test_layer_range():
    rows = [line.split()[0] for line in _lines(_branching(), layer_range=["dense", "tf"])[4:-5] if line.strip()]
    assert rows == ["dense", "dense_1", "tf.__operators__.add", "Lambda)"]
    layers = [L.Dense(1, name=n) for n in ("a1", "b1", "b2", "c1")]
    assert layer_index_bounds(layers, ["b", "b"]) == (1, 3)
    assert layer_index_bounds(layers, ["c1", "a1"]) == (0, 4)


@pytest.mark.parametrize("layer_range, message", [
    (["missing", "dense"], "Passed layer_names do not match the layer names in the model. Received: "
                           "['missing', 'dense']"),
    (["dense"], "layer_range must be a list or tuple of length 2. Received: layer_range = ['dense'] of length 1"),
])
def test_bad_layer_range_raises(layer_range, message):
    with pytest.raises(ValueError) as error:
        _lines(_branching(), layer_range=layer_range)
    assert str(error.value) == message


def test_unbuilt_model_raises():
    with pytest.raises(ValueError, match=r"This model has not yet been built. Build the model first by calling "
                                         r"`build\(\)` or by calling the model on a batch of data."):
        keras.Sequential([L.Dense(3)]).summary()


def test_format_row_breaks_after_list_items_and_frames_nested_rows():
    assert format_row(["name", "[(None, 3), (None, 4)]"], [10, 30]) == [" name     [(None, 3),         ",
                                                                         "           (None, 4)]         "]
    assert format_row(["abcdefghij", "x"], [8, 12], level=2) == ["|| abc  x ||", "|| def    ||",
                                                                 "|| ghi    ||", "|| j      ||"]


@pytest.mark.parametrize("size, text", [(0, "0.00 Byte"), (92, "92.00 Byte"), (1020, "1020.00 Byte"),
                                        (1024, "1.00 KB"), (1320, "1.29 KB"), (4004000, "3.82 MB"),
                                        (1200120000, "1.12 GB"), (2 ** 60, "1024.00 PB")])
def test_readable_size(size, text):
    assert readable_size(size) == text
