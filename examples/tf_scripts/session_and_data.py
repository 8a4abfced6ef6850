"""From the seed notes on sessions, tf.data and tf.function: a TF1-style ConfigProto/Session handed to Keras,
a tf.data pipeline, `tf.function` tracing, Input names and layer lookup by name.

Unchanged TensorFlow code: run it with `python -m torchkeras_api run examples/tf_scripts/session_and_data.py`.
"""
import numpy as np
import tensorflow as tf
import tensorflow.keras.backend as K

config = tf.compat.v1.ConfigProto()
config.gpu_options.allow_growth = True
config.log_device_placement = True
sess = tf.compat.v1.Session(config=config)
tf.compat.v1.keras.backend.set_session(sess)

x_train = np.arange(20, dtype="float32").reshape(10, 2)
y_train = np.arange(10, dtype="int64")
train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
iterator = iter(train_dataset)
x, y = next(iterator)
assert x.numpy().tolist() == [0.0, 1.0] and int(y) == 0
batches = [b for b, _ in train_dataset.shuffle(10, seed=1).batch(4)]
assert [int(b.shape[0]) for b in batches] == [4, 4, 2]

traced = []


def f(a, b):
    traced.append("test trace")
    return a + b


assert int(tf.function(f)(1, 2)) == 3 and traced == ["test trace"]

inputs = tf.keras.Input(shape=(None, None, 3), name="input_image")
features = tf.keras.layers.Conv2D(4, 3, name="conv")(inputs)
pooled = tf.keras.layers.GlobalAveragePooling2D(name="pool")(features)
outputs = tf.keras.layers.Dense(2, name="head")(pooled)
model = tf.keras.Model(inputs, outputs)
assert [layer.name for layer in model.layers] == ["input_image", "conv", "pool", "head"]
assert model.get_layer("conv").output.shape[-1] == 4
prediction = model.predict({"input_image": np.zeros((1, 8, 8, 3), "float32")}, verbose=0)
assert prediction.shape == (1, 2)
assert K.floatx() == "float32" and K.image_data_format() == "channels_last"
print("session_and_data: ok", tf.__version__, tf.executing_eagerly())
