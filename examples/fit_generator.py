"""Seeds 002 and 003: training from Python generators.

Part 1 (seed 002): `fit_generator` with `steps_per_epoch`, a validation generator with
`validation_steps`, `initial_epoch` (to go on from an earlier run) and a list of callbacks, then
`evaluate_generator` and `predict_generator`. The seed's callbacks are TensorBoard and
ModelCheckpoint; here they are CSVLogger, LearningRateScheduler and TerminateOnNaN.

Part 2 (seed 003): a `batch_generator` that yields `(X_batch, {'output1': y1, 'output2': y2})`
for a model with two named outputs compiled with a loss dict. Dense layers stand in for the
seed's Convolution2D, and `kernel_regularizer=` is the Keras 2 name of its `W_regularizer=`.

The tf.keras script, with `tensorflow.keras` swapped for `torchkeras_api`. `fit_generator` & co
are deprecated (they warn) and do what `fit`/`evaluate`/`predict` do with a generator.
"""
import csv
import os
import tempfile

import numpy as np

import torchkeras_api.callbacks as KC
from torchkeras_api.layers import Activation, Dense, Input
from torchkeras_api.models import Model, Sequential
from torchkeras_api.regularizers import l2
from torchkeras_api.utils import set_random_seed

set_random_seed(0)
rng = np.random.RandomState(0)

# ---- Part 1: fit_generator -----------------------------------------------------------------
# Two Gaussian blobs per class, 3 classes, 10 features.
centers = rng.normal(0.0, 0.8, size=(3, 10))
train_labels = rng.randint(0, 3, size=960)
train_x = (centers[train_labels] + rng.normal(size=(960, 10))).astype("float32")
val_labels = rng.randint(0, 3, size=256)
val_x = (centers[val_labels] + rng.normal(size=(256, 10))).astype("float32")


def train_generator(x, y, batch_size):
    """Loops forever, as Keras generators do: `steps_per_epoch` marks the end of an epoch."""
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            batch = order[start:start + batch_size]
            yield x[batch], y[batch]


model = Sequential([Dense(32, activation='relu', input_shape=(10,)),
                    Dense(3, activation='softmax')])
model.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy', metrics=['accuracy'])


def schedule(epoch, lr):
    return 0.01 if epoch < 4 else 0.005


log_dir = tempfile.mkdtemp()
log_path = os.path.join(log_dir, 'training.csv')
callbacks = [KC.CSVLogger(log_path),
             KC.LearningRateScheduler(schedule),
             KC.TerminateOnNaN()]

batch_size = 32
history = model.fit_generator(
    train_generator(train_x, train_labels, batch_size),
    validation_data = train_generator(val_x, val_labels, batch_size),
    validation_steps = len(val_x) // batch_size,
    epochs = 6,
    steps_per_epoch = len(train_x) // batch_size,
    initial_epoch = 2,
    callbacks = callbacks,
    max_queue_size = 10,
    workers = 1,
    use_multiprocessing = False,
    verbose = 2)

print("epochs run:", history.epoch)
assert history.epoch == [2, 3, 4, 5]            # from initial_epoch up to epochs - 1
assert sorted(history.history) == ['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']
assert np.allclose(history.history['lr'], [0.01, 0.01, 0.005, 0.005])
assert history.history['val_accuracy'][-1] > 0.85, history.history
assert history.params['steps'] == len(train_x) // batch_size

with open(log_path) as f:
    rows = list(csv.DictReader(f))
print("CSVLogger columns:", list(rows[0]))
assert [int(row['epoch']) for row in rows] == [2, 3, 4, 5]
assert abs(float(rows[-1]['val_loss']) - history.history['val_loss'][-1]) < 1e-5

loss, accuracy = model.evaluate_generator(train_generator(val_x, val_labels, batch_size),
                                          steps = len(val_x) // batch_size)
print(f"evaluate_generator: loss {loss:.4f}, accuracy {accuracy:.4f}")
assert accuracy > 0.85


def images_only(x, batch_size):
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size]


probs = model.predict_generator(images_only(val_x, 100), steps = 3)   # batches of 100, 100 and 56
print("predict_generator:", probs.shape)
assert probs.shape == (256, 3)
assert np.mean(np.argmax(probs, axis=1) == val_labels) > 0.85

# ---- Part 2: a generator of (inputs, {output name: targets}) for a two-output model ---------
true_w = rng.normal(size=(16, 2)).astype("float32")
X_train = rng.normal(size=(640, 16)).astype("float32")
y_train = np.tanh(X_train @ true_w)               # column 0 -> output1, column 1 -> output2

image_input = Input(shape=(16,))
x = Dense(50, kernel_regularizer=l2(0.0001))(image_input)
x = Activation('relu')(x)

output1 = Dense(1, activation='linear', name='output1')(x)
output2 = Dense(1, activation='linear', name='output2')(x)

model = Model(inputs=image_input, outputs=[output1, output2])
model.compile(optimizer='adam', loss={'output1': 'mean_squared_error', 'output2': 'mean_squared_error'})


def batch_generator(x, y, batch_size):
    """One pass over the data."""
    for start in range(0, len(x), batch_size):
        X_batch = x[start:start + batch_size]
        y1 = y[start:start + batch_size, 0:1]
        y2 = y[start:start + batch_size, 1:2]
        yield (X_batch, {'output1': y1, 'output2': y2})


first = model.evaluate_generator(batch_generator(X_train, y_train, 64), steps=10)
model.fit_generator(batch_generator(X_train, y_train, 64))   # a finite generator: one epoch
history = model.fit(batch_generator(X_train, y_train, 64), epochs=1, verbose=0)   # fit takes generators too
for _ in range(8):
    history = model.fit(batch_generator(X_train, y_train, 64), verbose=0)
last = model.evaluate_generator(batch_generator(X_train, y_train, 64), steps=10)
print("two outputs, [loss, output1_loss, output2_loss]: before", np.round(first, 4).tolist(),
      "after", np.round(last, 4).tolist())
assert sorted(history.history) == ['loss', 'output1_loss', 'output2_loss']
assert model.metrics_names == ['loss', 'output1_loss', 'output2_loss']
assert last[1] < 0.5 * first[1] and last[2] < 0.5 * first[2]
print("generators: OK")
