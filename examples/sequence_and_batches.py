"""Seed 004: a `keras.utils.Sequence` fed to `fit` with `workers`, `steps_per_epoch` and
`initial_epoch`; `SparseCategoricalAccuracy`; `keras.utils.to_categorical`; and a hand-written
loop of `train_on_batch` / `test_on_batch` / `predict_on_batch` after freezing a layer and
compiling again (seed 003: change `trainable`, then compile before training again).

The tf.keras script, with `tensorflow.keras` swapped for `torchkeras_api`.
"""
import math

import numpy as np

import torchkeras_api as keras

# Token sequences of length 10; the class is the token group (1-6, 7-12 or 13-18) seen most often.
rng = np.random.RandomState(0)


def make_data(n):
    tokens = rng.randint(1, 19, size=(n, 10))
    counts = np.stack([((tokens - 1) // 6 == group).sum(axis=1) for group in range(3)], axis=1)
    return tokens.astype('int64'), np.argmax(counts + 0.1 * rng.rand(n, 3), axis=1)


x_train, y_train = make_data(2048)
x_val, y_val = make_data(512)


class TokenBatches(keras.utils.Sequence):
    """Batches of (tokens, labels), reshuffled at the end of every epoch."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        batch = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        return self.x[batch], self.y[batch]

    def on_epoch_end(self):
        rng.shuffle(self.order)


keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.layers.Embedding(input_dim=19, output_dim=8, input_length=10),
    keras.layers.Flatten(),
    keras.layers.Dense(32, activation='relu'),
    keras.layers.Dense(3, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
              metrics=[keras.metrics.SparseCategoricalAccuracy()])

train_batches = TokenBatches(x_train, y_train, batch_size=64)
print("batches per epoch:", len(train_batches))
history = model.fit(train_batches, epochs=4, steps_per_epoch=24,       # 24 of the 32 batches
                    validation_data=(x_val, y_val), verbose=2,
                    workers=2, use_multiprocessing=False, max_queue_size=8)
assert history.params['steps'] == 24
assert history.epoch == [0, 1, 2, 3]
# go on from where it stopped: epochs 5 to 8
history = model.fit(train_batches, initial_epoch=4, epochs=8, validation_data=(x_val, y_val), verbose=2)
assert history.epoch == [4, 5, 6, 7]
assert sorted(history.history) == ['loss', 'sparse_categorical_accuracy', 'val_loss',
                                   'val_sparse_categorical_accuracy']
assert history.history['val_sparse_categorical_accuracy'][-1] > 0.85, history.history

# to_categorical: integer labels -> one-hot rows
int_labels = [1, 0, 2]
cat = keras.utils.to_categorical(int_labels, num_classes=3)
print("to_categorical([1, 0, 2]):", cat.tolist())
assert cat.dtype == np.float32
np.testing.assert_array_equal(cat, [[0., 1., 0.], [1., 0., 0.], [0., 0., 1.]])

# Freeze the embedding, compile again (needed after changing `trainable`), and go on batch by
# batch with one-hot labels and categorical cross-entropy.
embedding = model.layers[0]
embedding.trainable = False
frozen = embedding.get_weights()[0]
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0005), loss='categorical_crossentropy',
              metrics=['accuracy'])
assert len(model.trainable_weights) == 4               # the two Dense kernels and biases

y_val_oh = keras.utils.to_categorical(y_val, num_classes=3)
val_loss_before, val_acc_before = model.test_on_batch(x_val, y_val_oh)
for epoch in range(2):
    for i in range(len(train_batches)):
        x_batch, y_batch = train_batches[i]
        loss, accuracy = model.train_on_batch(x_batch, keras.utils.to_categorical(y_batch, num_classes=3))
    train_batches.on_epoch_end()
    print(f"train_on_batch epoch {epoch + 1}: last batch loss {loss:.4f}, accuracy {accuracy:.4f}")
val_loss, val_acc = model.test_on_batch(x_val, y_val_oh)
print(f"test_on_batch: loss {val_loss_before:.4f} -> {val_loss:.4f}, accuracy {val_acc_before:.4f} -> {val_acc:.4f}")
assert val_loss < val_loss_before
np.testing.assert_array_equal(embedding.get_weights()[0], frozen)   # the frozen layer did not move
assert model.metrics_names == ['loss', 'accuracy']
assert model.test_on_batch(x_val, y_val_oh, return_dict=True).keys() == {'loss', 'accuracy'}

probs = model.predict_on_batch(x_val[:5])
print("predict_on_batch:", np.argmax(probs, axis=1).tolist(), "labels:", y_val[:5].tolist())
assert probs.shape == (5, 3)
np.testing.assert_allclose(probs, model.predict(x_val[:5], verbose=0), rtol=1e-5, atol=1e-6)
print("Sequence and *_on_batch: OK")
