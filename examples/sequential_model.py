"""Seed 002: a Sequential model grown with add(), built with build(), shown with summary(), called as Y = model(X)."""
import numpy as np

from torchkeras_api.layers import Dense
from torchkeras_api.models import Sequential

X = np.random.normal(size=(4, 10)).astype("float32")

model = Sequential()
model.add(Dense(units=10, activation='sigmoid'))
model.add(Dense(units=20, activation='sigmoid'))

Y = model(X)
print("Y shape:", tuple(Y.shape))
assert tuple(Y.shape) == (4, 20)
# sigmoid outputs lie in (0, 1)
assert all(0.0 < float(v) < 1.0 for row in Y for v in row)
assert len(model.layers) == 2
model.summary()

# add() then build(input_shape=...) before any data is seen
model = Sequential()
model.add(Dense(units=10, activation='sigmoid'))
model.add(Dense(units=20, activation='sigmoid'))
assert not model.built
model.build(input_shape=(None, 10))
assert model.built
model.summary()
assert model.count_params() == (10 * 10 + 10) + (10 * 20 + 20)
assert model.output_shape == (None, 20)
print("Sequential: OK")
