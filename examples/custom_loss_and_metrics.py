"""Seed 000: a custom loss and custom metrics written with the backend `K`, compiled on a
two-output model with one loss per output and `loss_weights`; a `LambdaCallback` whose hooks
take positional arguments.

The tf.keras script, with `tensorflow.keras` swapped for `torchkeras_api`. The seed's typos are
fixed (`y_tue` -> `y_true`, `metric=` -> `metrics=`, and one optimizer instead of a list of them).
`my_crossentropy` keeps the rnnoise argument order `K.binary_crossentropy(y_pred, y_true)`.
The model has the rnnoise layout, with Dense layers in place of its GRU layers.
"""
import numpy as np

from torchkeras_api import backend as K
from torchkeras_api import backend as KB
from torchkeras_api.callbacks import LambdaCallback
from torchkeras_api.layers import Dense, Input, concatenate
from torchkeras_api.models import Model
from torchkeras_api.utils import set_random_seed, to_categorical


# the arguments y_true and y_pred are tensors, should always be used as positional parameters.
def my_crossentropy(y_true, y_pred):
    return K.mean(2*K.abs(y_true-0.5) * K.binary_crossentropy(y_pred, y_true), axis=-1)


# no need to pass arguments to function getMetrics.
def getMetrics():
    def accuracy(y_true, y_pred):
        return KB.cast(KB.equal(KB.argmax(y_true, axis=-1),
                                KB.argmax(y_pred, axis=-1)),
                       KB.floatx())
    def false_positive(y_true, y_pred):
        return y_pred[:, 1]*y_true[:, 0]
    def false_negative(y_true, y_pred):
        return y_pred[:, 0]*y_true[:, 1]
    def true_positive(y_true, y_pred):
        return y_pred[:,1]*y_true[:,1]
    def precision(y_true, y_pred):
        tp = KB.sum(true_positive(y_true, y_pred))
        fp = KB.sum(false_positive(y_true, y_pred))
        return tp/(tp+fp)
    def recall(y_true, y_pred):
        tp = KB.sum(true_positive(y_true, y_pred))
        fn = KB.sum(false_negative(y_true, y_pred))
        return tp/(tp+fn)
    return [accuracy, precision, recall]


# Learnable data: 42 features per frame; "speech" is a 2-class label, "gains" 4 binary targets.
set_random_seed(0)
rng = np.random.RandomState(0)
features = rng.normal(size=(512, 42)).astype("float32")
speech = to_categorical((features[:, :6].sum(axis=1) > 0).astype("int64"), num_classes=2)
gains = (features[:, 6:10] > 0).astype("float32")

model_input = Input(shape=(42,), name='model_input')
x = Dense(24, activation='tanh')(model_input)
vad_hidden = Dense(24, activation='relu')(x)                            # GRU(24)(x) in rnnoise
speech_out = Dense(2, activation='softmax', name='speech')(vad_hidden)
denoise_input = concatenate([x, vad_hidden, model_input])
denoise_hidden = Dense(48, activation='relu')(denoise_input)            # GRU(96)(...) in rnnoise
gains_out = Dense(4, activation='sigmoid', name='gains')(denoise_hidden)
model = Model(inputs=model_input, outputs=[speech_out, gains_out])

model.compile(loss = ['categorical_crossentropy', my_crossentropy],
              metrics = getMetrics(),
              optimizer = 'Adam',
              loss_weights = [10, 0.5])

# LambdaCallback: every hook takes positional arguments.
calls = {'train_begin': 0, 'epoch_begin': 0, 'batch_begin': 0, 'batch_end': 0, 'train_end': 0}
batch_losses = []
def count(name):
    calls[name] += 1
callback = LambdaCallback(
    on_train_begin=lambda logs: count('train_begin'),
    on_epoch_begin=lambda epoch, logs: count('epoch_begin'),
    on_batch_begin=lambda batch, logs: count('batch_begin'),
    on_batch_end=lambda batch, logs: (count('batch_end'), batch_losses.append(logs['loss'])),
    on_epoch_end=lambda epoch, logs: print(
        f"epoch {epoch + 1}: loss {logs['loss']:.4f} = 10 * {logs['speech_loss']:.4f} + 0.5 * "
        f"{logs['gains_loss']:.4f}; speech accuracy {logs['speech_accuracy']:.3f}, "
        f"precision {logs['speech_precision']:.3f}, recall {logs['speech_recall']:.3f}"),
    on_train_end=lambda logs: count('train_end'))

epochs, batch_size = 15, 32
history = model.fit(features, [speech, gains], batch_size=batch_size, epochs=epochs, verbose=0,
                    callbacks=[callback])

expected_keys = ['loss', 'speech_loss', 'gains_loss']
expected_keys += [f'{output}_{metric}' for output in ('speech', 'gains')
                  for metric in ('accuracy', 'precision', 'recall')]
print("history keys:", sorted(history.history))
assert sorted(history.history) == sorted(expected_keys), sorted(history.history)

steps = len(features) // batch_size
assert calls == {'train_begin': 1, 'epoch_begin': epochs, 'batch_begin': epochs * steps,
                 'batch_end': epochs * steps, 'train_end': 1}, calls
assert len(batch_losses) == epochs * steps

losses = history.history['loss']
assert losses[-1] < 0.6 * losses[0], losses

# loss_weights: the total loss is 10 * (speech loss) + 0.5 * (gains loss).
results = model.evaluate(features, [speech, gains], batch_size=batch_size, verbose=0, return_dict=True)
print("evaluate:", {name: round(value, 4) for name, value in results.items()})
weighted = 10 * results['speech_loss'] + 0.5 * results['gains_loss']
assert abs(results['loss'] - weighted) < 1e-3 * max(1.0, weighted), (results['loss'], weighted)
assert results['speech_accuracy'] > 0.85, results
print("custom loss and metrics: OK")
