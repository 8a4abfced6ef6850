"""Seed 000: a model with one input and two outputs that share layers, joined with `concatenate`
(the rnnoise layout; Dense layers stand in for the GRU layers, which come later)."""
import numpy as np

from torchkeras_api.layers import Dense, Input, concatenate
from torchkeras_api.models import Model

model_input = Input(shape=(42,), name='model_input')
x = Dense(24, activation='tanh')(model_input)
vad_hidden = Dense(24, activation='relu')(x)          # GRU(24)(x) in the original
vad_out = Dense(1, activation='sigmoid', name='vad_out')(vad_hidden)
denoise_input = concatenate([x, vad_hidden, model_input])
denoise_hidden = Dense(96, activation='relu')(denoise_input)  # GRU(96)(denoise_input) in the original
denoise_output = Dense(22, activation='sigmoid', name='denoise_output')(denoise_hidden)
model = Model(inputs=model_input, outputs=[vad_out, denoise_output])

assert tuple(denoise_input.shape) == (None, 24 + 24 + 42)
assert model.output_names == ['vad_out', 'denoise_output']
model.summary()

vad, denoise = model(np.random.normal(size=(16, 42)).astype("float32"))
print("vad:", tuple(vad.shape), "denoise:", tuple(denoise.shape))
assert tuple(vad.shape) == (16, 1) and tuple(denoise.shape) == (16, 22)
print("multi-output model: OK")
