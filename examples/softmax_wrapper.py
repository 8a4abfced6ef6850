"""Seed 002: the functional API with Flatten, and a Model subclass wrapping a functional model (Softmax)."""
import numpy as np

from torchkeras_api.layers import Dense, Flatten, Input
from torchkeras_api.models import Model

INPUT_SIZE_W, INPUT_SIZE_H = 8, 6

input_tensor = Input(shape=(INPUT_SIZE_W, INPUT_SIZE_H))  # create instance

x = Flatten()(input_tensor)
x = Dense(units=10, activation='sigmoid')(x)
output = Dense(units=20, activation='sigmoid')(x)

model = Model(inputs=input_tensor, outputs=output)
assert model.output_shape == (None, 20)
print("functional model with Flatten:", model.output_shape)


class Softmax(Model):
    def __init__(self, cell_size, num_classes):
        super(Softmax, self).__init__()
        input_tensor = Input(shape=(cell_size, cell_size, num_classes))
        pred_P = Flatten()(input_tensor)
        output = Dense(cell_size * cell_size * num_classes, activation='softmax')(pred_P)

        model = Model(inputs=input_tensor, outputs=output)
        self.model = model
        # print model structure
        self.model.summary()

    def call(self, pred_P):
        return self.model(pred_P)


cell_size, num_classes = 3, 2
softmax = Softmax(cell_size, num_classes)
pred_P = np.random.normal(size=(5, cell_size, cell_size, num_classes)).astype("float32")
probs = softmax(pred_P)
print("Softmax output shape:", tuple(probs.shape))
assert tuple(probs.shape) == (5, cell_size * cell_size * num_classes)
assert abs(sum(float(p) for p in probs[0]) - 1.0) < 1e-5
assert len(softmax.trainable_weights) == 2
print("Softmax wrapper: OK")
