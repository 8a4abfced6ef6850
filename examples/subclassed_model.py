"""Seed 002: a subclassed Model whose call() wires its Dense layers; Y = model(X) runs call()."""
import numpy as np

from torchkeras_api.layers import Dense
from torchkeras_api.models import Model

X = np.random.normal(size=(4, 10)).astype("float32")


class TestModel(Model):
    def __init__(self):
        super(TestModel, self).__init__()

        self.dense1 = Dense(units=10, activation='sigmoid')
        self.dense2 = Dense(units=20, activation='sigmoid')

    def call(self, x):
        x = self.dense1(x)
        x = self.dense2(x)
        return x


model = TestModel()      # a model holding two Dense layers
Y = model(X)             # calls call()
print("Y shape:", tuple(Y.shape))
assert tuple(Y.shape) == (4, 20)
assert [layer.name for layer in model.layers] == [model.dense1.name, model.dense2.name]
assert len(model.trainable_variables) == 4
# weights created during the first call are named under the model: test_model/dense/kernel:0, ...
print([w.name for w in model.weights])
assert all(w.name.startswith(model.name + "/") for w in model.weights)
model.summary()

# build(input_shape=...) then summary(), without calling the model on data first
model = TestModel()
model.build(input_shape=(None, 10))
model.summary()
assert model.count_params() == (10 * 10 + 10) + (10 * 20 + 20)
print("subclassed Model: OK")
