"""Seed 000: merging tensors with layers.add / layers.Add (and concatenate) on small constant arrays."""
import numpy as np

from torchkeras_api import layers as K
from torchkeras_api.models import Model

x = np.array([[1, 2], [3, 4]])
y = np.array([[5, -1], [7, 3]])
# Add layer or add function
s1 = K.add([x, y])
s2 = K.Add()([x, y])
print("add:", s1.numpy().tolist())
expected = [[6, 1], [10, 7]]
assert s1.numpy().tolist() == expected
assert s2.numpy().tolist() == expected

# the same layers inside a functional model
a = K.Input(shape=(2,))
b = K.Input(shape=(2,))
summed = K.add([a, b])
joined = K.concatenate([a, b, summed])
assert tuple(summed.shape) == (None, 2)
assert tuple(joined.shape) == (None, 6)
model = Model(inputs=[a, b], outputs=[summed, joined])
out_sum, out_cat = model([x.astype("float32"), y.astype("float32")])
print("concatenate:", out_cat.numpy().tolist())
assert out_sum.numpy().tolist() == expected
assert out_cat.numpy().tolist() == [[1, 2, 5, -1, 6, 1], [3, 4, 7, 3, 10, 7]]
print("merge layers: OK")
