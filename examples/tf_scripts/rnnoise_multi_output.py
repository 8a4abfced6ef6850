"""From the seed notes on model creation (rnnoise): a two-output functional model with GRUs, a custom loss
and custom metrics written with the Keras backend, trained on generated data, saved and loaded as HDF5.

Unchanged TensorFlow code: run it with `python -m torchkeras_api run examples/tf_scripts/rnnoise_multi_output.py`.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import backend as K
from tensorflow.keras import layers as KL
from tensorflow.keras.layers import GRU, Dense, Input, concatenate
from tensorflow.keras.models import Model


def my_crossentropy(y_true, y_pred):
    return K.mean(2 * K.abs(y_true - 0.5) * K.binary_crossentropy(y_true, y_pred), axis=-1)


def get_metrics():
    def accuracy(y_true, y_pred):
        return K.cast(K.equal(K.round(y_true), K.round(y_pred)), K.floatx())

    def precision(y_true, y_pred):
        tp = K.sum(K.round(y_pred) * y_true)
        fp = K.sum(K.round(y_pred) * (1 - y_true))
        return tp / (tp + fp + K.epsilon())

    return [accuracy, precision]


x = tf.constant([[1, 2], [3, 4]])
y = tf.constant([[5, -1], [7, 3]])
assert KL.add([x, y]).numpy().tolist() == [[6, 1], [10, 7]]
assert KL.Add()([x, y]).numpy().tolist() == [[6, 1], [10, 7]]

model_input = Input(shape=(None, 42), name="model_input")
h = Dense(24, activation="tanh")(model_input)
vad_gru = GRU(24, return_sequences=True)(h)
vad_out = Dense(1, activation="sigmoid", name="vad_out")(vad_gru)
denoise_input = concatenate([h, vad_gru, model_input])
denoise_gru = GRU(32, return_sequences=True)(denoise_input)
denoise_output = Dense(22, activation="sigmoid", name="denoise_output")(denoise_gru)
model = Model(inputs=model_input, outputs=[vad_out, denoise_output])
model.compile(loss=[my_crossentropy, "mse"], metrics=get_metrics(), optimizer="adam", loss_weights=[10, 0.5])

rng = np.random.default_rng(0)
features = rng.normal(size=(32, 8, 42)).astype("float32")
vad = (rng.random((32, 8, 1)) > 0.5).astype("float32")
gains = rng.random((32, 8, 22)).astype("float32")
history = model.fit(features, [vad, gains], batch_size=8, epochs=2, verbose=0)
assert len(history.history["loss"]) == 2
assert history.history["loss"][1] < history.history["loss"][0], history.history["loss"]

path = os.path.join(tempfile.mkdtemp(), "rnnoise.h5")
tf.keras.models.save_model(model, path, overwrite=True, include_optimizer=True)
restored = tf.keras.models.load_model(path, custom_objects={"my_crossentropy": my_crossentropy}, compile=False)
np.testing.assert_allclose(restored.predict(features, verbose=0)[1], model.predict(features, verbose=0)[1],
                           rtol=1e-5, atol=1e-6)
print("rnnoise_multi_output: ok")
