"""Seed 004: the `compile` and `fit` arguments of its tables, on binary classifiers.

1. Imbalanced classes: `class_weight`, `validation_split`, `shuffle`, `validation_freq`,
   `validation_batch_size`, `BinaryAccuracy` and `Recall` metrics, an `EarlyStopping` callback.
2. Noisy labels: `sample_weight` with `weighted_metrics`, `run_eagerly=True`,
   `steps_per_execution`.

The tf.keras script, with `tensorflow.keras` swapped for `torchkeras_api`. (`shuffle='batch'` is in
`differences_from_tf_keras.py`: tf-keras 2.21 separates inputs from their targets there.)
"""
import numpy as np

import torchkeras_api as keras

rng = np.random.RandomState(0)


def make_model():
    keras.backend.clear_session()                # fresh layer and metric names
    keras.utils.set_random_seed(1)               # the same initial weights for every model
    return keras.Sequential([
        keras.layers.Dense(16, activation='relu', input_shape=(2,)),
        keras.layers.Dense(1, activation='sigmoid'),
    ])


# ---- 1. imbalanced classes -------------------------------------------------------------------
# About 10% positives: points beyond a line; the classes overlap near it.
x = rng.normal(size=(2000, 2)).astype('float32')
y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.normal(size=2000) > 1.5).astype('float32')
print(f"positives: {y.mean():.1%}")

recalls = {}
for class_weight in (None, {0: 1.0, 1: 9.0}):
    model = make_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss='binary_crossentropy',
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.5), keras.metrics.Recall()])
    history = model.fit(x, y, batch_size=32, epochs=6, verbose=0,
                        validation_split=0.2,             # the last 20% of x and y, not shuffled
                        shuffle=True,
                        class_weight=class_weight,
                        validation_freq=2,                # validate after epochs 2, 4 and 6
                        validation_batch_size=100,
                        callbacks=[keras.callbacks.EarlyStopping(monitor='loss', patience=2)])
    assert len(history.history['loss']) == 6 and len(history.history['val_loss']) == 3
    assert sorted(history.history) == ['binary_accuracy', 'loss', 'recall',
                                       'val_binary_accuracy', 'val_loss', 'val_recall']
    # the validation data is the last 20%: evaluating on it gives the last validation results
    val_loss, val_accuracy, val_recall = model.evaluate(x[1600:], y[1600:], batch_size=100, verbose=0)
    assert abs(val_loss - history.history['val_loss'][-1]) < 1e-5
    assert abs(val_recall - history.history['val_recall'][-1]) < 1e-6
    recalls[str(class_weight)] = val_recall
    print(f"class_weight={class_weight}: val_binary_accuracy {val_accuracy:.3f}, val_recall {val_recall:.3f}")

# weighting the rare class 9x finds more of its members
assert recalls['{0: 1.0, 1: 9.0}'] > recalls['None'] + 0.05, recalls

# ---- 2. noisy labels: sample weights -------------------------------------------------------
x = rng.normal(size=(1200, 2)).astype('float32')
clean = (x[:, 0] * x[:, 1] > 0).astype('float32')          # XOR-like quadrants
noisy = rng.rand(1200) < 0.3                                 # 30% of the labels are flipped...
y = np.where(noisy, 1.0 - clean, clean).astype('float32')
sample_weight = np.where(noisy, 0.0, 1.0).astype('float32')  # ...and weighted 0 once spotted

model = make_model()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02),
              loss='binary_crossentropy',
              metrics=[keras.metrics.BinaryAccuracy()],      # counts every sample
              weighted_metrics=['accuracy'],                 # counts each sample by its weight
              run_eagerly=True,
              steps_per_execution=4)
assert model.run_eagerly
history = model.fit(x, y, sample_weight=sample_weight, batch_size=64, epochs=8, verbose=0)
assert sorted(history.history) == ['accuracy', 'binary_accuracy', 'loss']

binary_accuracy, weighted_accuracy = history.history['binary_accuracy'][-1], history.history['accuracy'][-1]
print(f"noisy labels: binary_accuracy {binary_accuracy:.3f} (all samples), "
      f"accuracy {weighted_accuracy:.3f} (weighted: clean samples only)")
assert weighted_accuracy > 0.9
assert binary_accuracy < weighted_accuracy - 0.15
predicted = (model.predict(x, verbose=0)[:, 0] > 0.5).astype('float32')
assert np.mean(predicted == clean) > 0.9        # it learned the clean rule, not the flipped labels
print("fit arguments: OK")
