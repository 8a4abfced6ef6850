"""Seed 002: `compile` with loss, optimizer and metric objects, `fit` with validation data, the
History it returns, `predict` + `np.argmax`, and `evaluate`.

The tf.keras script, with `tensorflow.keras` swapped for `torchkeras_api`.
- `SGD(lr = 0.01)` is the TF 2.0-2.4 spelling: it sets the rate (with a DeprecationWarning).
  tf-keras 2.21 ignores `lr=` and keeps its default rate, which for SGD is also 0.01.
- The seed compiles with `metrics = Mean()`. A `Mean` metric averages the values given to
  `update_state(values)`; compile would call it with `(y_true, y_pred)`, which fails in tf.keras
  as well. The compiled metric is therefore a `CategoricalAccuracy` named 'accuracy', the key the
  seed reads from the History, and `Mean()` averages the prediction confidence at the end.
"""
import numpy as np

from torchkeras_api.layers import Dense, Flatten, Input
from torchkeras_api.losses import CategoricalCrossentropy
from torchkeras_api.metrics import CategoricalAccuracy, Mean
from torchkeras_api.models import Model
from torchkeras_api.optimizers import SGD
from torchkeras_api.utils import set_random_seed, to_categorical

INPUT_SIZE_W, INPUT_SIZE_H = 8, 8
NUM_CLASSES = 4


def make_images(n, seed):
    """8x8 noisy images; class c lights up quadrant c."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, NUM_CLASSES, size=n)
    images = rng.normal(0.0, 1.0, size=(n, INPUT_SIZE_W, INPUT_SIZE_H)).astype("float32")
    for c in range(NUM_CLASSES):
        row, col = divmod(c, 2)
        images[labels == c, row * 4:row * 4 + 4, col * 4:col * 4 + 4] += 1.0
    return images, labels


train_images, train_labels = make_images(800, seed=0)
val_images, val_labels = make_images(200, seed=1)
train_oh_labels = to_categorical(train_labels, NUM_CLASSES)
val_oh_labels = to_categorical(val_labels, NUM_CLASSES)

set_random_seed(0)
input_tensor = Input(shape = (INPUT_SIZE_W, INPUT_SIZE_H))
x = Flatten()(input_tensor)
x = Dense(units = 32, activation = 'relu')(x)
output = Dense(units = NUM_CLASSES, activation = 'softmax')(x)
model = Model(inputs = input_tensor, outputs = output)

loss_object = CategoricalCrossentropy()
optimizer_object = SGD(lr = 0.01)
accuracy_object = CategoricalAccuracy(name = 'accuracy')
assert abs(float(optimizer_object.learning_rate) - 0.01) < 1e-7

model.compile(loss = loss_object,
              optimizer = optimizer_object,
              metrics = accuracy_object)

loss_accs = model.fit(x = train_images, y = train_oh_labels, batch_size = 16, epochs = 8, verbose = 2,
                      validation_data = (val_images, val_oh_labels), shuffle = True)

print("loss:    ", np.round(loss_accs.history['loss'], 4).tolist())
print("accuracy:", np.round(loss_accs.history['accuracy'], 4).tolist())
assert sorted(loss_accs.history) == ['accuracy', 'loss', 'val_accuracy', 'val_loss']
assert loss_accs.epoch == list(range(8))
assert loss_accs.history['loss'][-1] < 0.5 * loss_accs.history['loss'][0]
assert loss_accs.history['val_accuracy'][-1] > 0.9

# predict: one row of class probabilities per image
pred_proba = model.predict(val_images)
print("pred_proba[0]:", np.round(pred_proba[0], 3), "-> class", np.argmax(pred_proba[0]),
      "(label", val_labels[0], ")")
assert pred_proba.shape == (200, NUM_CLASSES)
np.testing.assert_allclose(pred_proba.sum(axis=1), 1.0, rtol=1e-5)
one = model.predict(np.expand_dims(val_images[0], axis = 0), verbose = 0)
assert one.shape == (1, NUM_CLASSES) and np.argmax(one[0]) == np.argmax(pred_proba[0])
predicted_accuracy = float(np.mean(np.argmax(pred_proba, axis = 1) == val_labels))

confidence = Mean()
confidence.update_state(np.max(pred_proba, axis = 1))
print(f"mean confidence: {float(confidence.result()):.3f}")
assert abs(float(confidence.result()) - float(np.max(pred_proba, axis=1).mean())) < 1e-5

# evaluate: [loss, accuracy] on the validation data, the same values fit reported last
result = model.evaluate(val_images, val_oh_labels, batch_size = 32)
print("evaluate:", np.round(result, 4).tolist())
assert abs(result[0] - loss_accs.history['val_loss'][-1]) < 1e-4
assert abs(result[1] - loss_accs.history['val_accuracy'][-1]) < 1e-6
assert abs(result[1] - predicted_accuracy) < 1e-6
print("compile / fit / predict / evaluate: OK")
