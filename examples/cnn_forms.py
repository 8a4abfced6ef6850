"""Seed 002: one CNN written three ways - Sequential, subclassed, and the hybrid of a subclassed Model
holding two Sequential blocks - each trained with compile/fit on generated 28x28 images."""
import numpy as np

from torchkeras_api.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from torchkeras_api.models import Model, Sequential
from torchkeras_api.utils import set_random_seed


def images(n, seed):
    """Class k = a bright square in the k-th cell of a 2x2 grid, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0.0, 0.3, (n, 28, 28, 1)).astype("float32")
    for i, k in enumerate(y):
        r, c = divmod(int(k), 2)
        x[i, 4 + 14 * r:10 + 14 * r, 4 + 14 * c:10 + 14 * c, 0] += 2.0
    return x, y


def sequential_cnn():
    model = Sequential()
    model.add(Conv2D(filters=8, kernel_size=5, padding='same', activation='relu', input_shape=(28, 28, 1)))
    model.add(MaxPooling2D(pool_size=2, strides=2))
    model.add(Conv2D(filters=32, kernel_size=5, padding='same', activation='relu'))
    model.add(MaxPooling2D(pool_size=2, strides=2))
    model.add(Flatten())
    model.add(Dense(units=64, activation='relu'))
    model.add(Dense(units=4, activation='softmax'))
    return model


class SubclassedCNN(Model):
    def __init__(self):
        super(SubclassedCNN, self).__init__()
        self.conv1 = Conv2D(filters=8, kernel_size=5, padding='same', activation='relu')
        self.pool1 = MaxPooling2D(pool_size=2, strides=2)
        self.conv2 = Conv2D(filters=32, kernel_size=5, padding='same', activation='relu')
        self.pool2 = MaxPooling2D(pool_size=2, strides=2)
        self.flatten = Flatten()
        self.dense = Dense(units=64, activation='relu')
        self.out = Dense(units=4, activation='softmax')

    def call(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        return self.out(self.dense(self.flatten(x)))


class CNN_Model(Model):
    """The seed's hybrid: a feature-extractor Sequential and a classifier Sequential."""

    def __init__(self):
        super(CNN_Model, self).__init__()
        self.fe = Sequential()
        self.fe.add(Conv2D(filters=8, kernel_size=5, padding='same', activation='relu'))
        self.fe.add(MaxPooling2D(pool_size=2, strides=2))
        self.fe.add(Conv2D(filters=32, kernel_size=5, padding='same', activation='relu'))
        self.fe.add(MaxPooling2D(pool_size=2, strides=2))
        self.classifier = Sequential()
        self.classifier.add(Flatten())
        self.classifier.add(Dense(units=64, activation='relu'))
        self.classifier.add(Dense(units=4, activation='softmax'))

    def call(self, x):
        return self.classifier(self.fe(x))


def functional_cnn():
    inputs = Input(shape=(28, 28, 1))
    x = MaxPooling2D(2)(Conv2D(8, 5, padding='same', activation='relu')(inputs))
    x = MaxPooling2D(2)(Conv2D(32, 5, padding='same', activation='relu')(x))
    outputs = Dense(4, activation='softmax')(Dense(64, activation='relu')(Flatten()(x)))
    return Model(inputs=inputs, outputs=outputs)


x_train, y_train = images(512, seed=0)
x_test, y_test = images(128, seed=1)
for name, make in [("sequential", sequential_cnn), ("subclassed", SubclassedCNN), ("hybrid", CNN_Model),
                   ("functional", functional_cnn)]:
    set_random_seed(0)
    model = make()
    model.build(input_shape=(None, 28, 28, 1))
    assert model.count_params() == 8 * (25 + 1) + 32 * (8 * 25 + 1) + 64 * (7 * 7 * 32 + 1) + 4 * (64 + 1)
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x_train, y_train, batch_size=32, epochs=3, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name:10s} loss {history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.3f}, "
          f"test accuracy {accuracy:.3f}")
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert accuracy > 0.9, accuracy
model = CNN_Model()
model.build(input_shape=(None, 28, 28, 1))
model.summary()
print("CNN in four forms: OK")
