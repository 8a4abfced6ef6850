"""Seed 000: the rnnoise model - one sequence input, two GRU branches and two outputs that share
layers, joined with `concatenate` - trained with per-output losses and loss weights.

The seed's snippet feeds `GRU(24)` (last step only) into a concatenation with full sequences, which
no Keras accepts; rnnoise itself uses `return_sequences=True`, as here."""
import numpy as np

from torchkeras_api.layers import GRU, Dense, Input, concatenate
from torchkeras_api.models import Model
from torchkeras_api.utils import set_random_seed

set_random_seed(0)
model_input = Input(shape=(None, 42), name='model_input')
x = Dense(24, activation='tanh')(model_input)
vad_gru = GRU(24, return_sequences=True)(x)
vad_out = Dense(1, activation='sigmoid', name='vad_out')(vad_gru)
denoise_input = concatenate([x, vad_gru, model_input])
denoise_gru = GRU(96, return_sequences=True)(denoise_input)
denoise_output = Dense(22, activation='sigmoid', name='denoise_output')(denoise_gru)
model = Model(inputs=model_input, outputs=[vad_out, denoise_output])

assert tuple(denoise_input.shape) == (None, None, 24 + 24 + 42)
assert model.output_names == ['vad_out', 'denoise_output']
model.summary()

# Frames with energy in the first features are "voice"; the gains to predict follow the features.
rng = np.random.default_rng(0)
features = rng.normal(size=(256, 20, 42)).astype("float32")
voice = (features[..., :4].mean(axis=-1, keepdims=True) > 0).astype("float32")
gains = 1 / (1 + np.exp(-features[..., :22]))
model.compile(optimizer='adam', loss={'vad_out': 'binary_crossentropy', 'denoise_output': 'mse'},
              loss_weights={'vad_out': 0.5, 'denoise_output': 10.0}, metrics={'vad_out': 'accuracy'})
history = model.fit(features, {'vad_out': voice, 'denoise_output': gains}, batch_size=32, epochs=12, verbose=0)
print({key: [round(v, 4) for v in values[::7]] for key, values in history.history.items()})
assert history.history['loss'][-1] < 0.7 * history.history['loss'][0]
assert history.history['vad_out_accuracy'][-1] > 0.8

vad, denoise = model.predict(features[:16], verbose=0)
print("vad:", vad.shape, "denoise:", denoise.shape)
assert vad.shape == (16, 20, 1) and denoise.shape == (16, 20, 22)
print("multi-output GRU model: OK")
