"""From the seed notes on keras.models: Sequential, a subclassed Model holding Sequentials (build + summary),
a Model with its own `call`, compile/fit/evaluate/predict and the model's layers and weights.

Unchanged TensorFlow code: run it with `python -m torchkeras_api run examples/tf_scripts/subclassed_cnn.py`.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tensorflow.keras.losses import CategoricalCrossentropy
from tensorflow.keras.models import Model, Sequential
from tensorflow.keras.optimizers import SGD

X = tf.random.normal(shape=(4, 10))
model = Sequential()
model.add(Dense(units=10, activation="sigmoid"))
model.add(Dense(units=20, activation="sigmoid"))
Y = model(X)
assert Y.shape == (4, 20)
w, b = model.layers[0].get_weights()
assert w.shape == (10, 10) and b.shape == (10,)


class TestModel(Model):
    def __init__(self):
        super(TestModel, self).__init__()
        self.dense1 = Dense(units=10, activation="sigmoid")
        self.dense2 = Dense(units=20, activation="sigmoid")

    def call(self, x):
        x = self.dense1(x)
        x = self.dense2(x)
        return x


assert TestModel()(X).shape == (4, 20)


class CNN_Model(Model):
    def __init__(self):
        super(CNN_Model, self).__init__()
        self.fe = Sequential()
        self.fe.add(Conv2D(filters=8, kernel_size=5, padding="same", activation="relu"))
        self.fe.add(MaxPooling2D(pool_size=2, strides=2))
        self.fe.add(Conv2D(filters=16, kernel_size=5, padding="same", activation="relu"))
        self.fe.add(MaxPooling2D(pool_size=2, strides=2))
        self.classifier = Sequential()
        self.classifier.add(Flatten())
        self.classifier.add(Dense(units=32, activation="relu"))
        self.classifier.add(Dense(units=10, activation="softmax"))

    def call(self, x):
        x = self.fe(x)
        x = self.classifier(x)
        return x


model = CNN_Model()
model.build(input_shape=(None, 28, 28, 1))
model.summary()
for w in model.trainable_weights:
    assert isinstance(w, tf.Variable)

rng = np.random.default_rng(1)
train_image = rng.random((64, 28, 28, 1)).astype("float32")
train_label = tf.keras.utils.to_categorical(rng.integers(0, 10, 64), 10)
model.compile(loss=CategoricalCrossentropy(), optimizer=SGD(learning_rate=0.05), metrics=["accuracy"])
loss_accs = model.fit(train_image, train_label, epochs=2, batch_size=16, verbose=0,
                      validation_data=(train_image[:16], train_label[:16]))
print(loss_accs.history["loss"], loss_accs.history["accuracy"])
assert set(loss_accs.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
pred_proba = model.predict(train_image[:3], verbose=0)
assert pred_proba.shape == (3, 10)
np.testing.assert_allclose(pred_proba.sum(axis=1), 1.0, rtol=1e-5)
print(np.argmax(pred_proba[0]), model.evaluate(train_image, train_label, batch_size=32, verbose=0))
print("subclassed_cnn: ok")
