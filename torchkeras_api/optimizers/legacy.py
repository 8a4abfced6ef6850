"""tf.keras.optimizers.legacy: the same optimizer classes (they accept the legacy `lr` and `decay`)."""
from torchkeras_api.optimizers.adadelta import Adadelta
from torchkeras_api.optimizers.adagrad import Adagrad
from torchkeras_api.optimizers.adam import Adam
from torchkeras_api.optimizers.adamax import Adamax
from torchkeras_api.optimizers.base import Optimizer
from torchkeras_api.optimizers.ftrl import Ftrl
from torchkeras_api.optimizers.nadam import Nadam
from torchkeras_api.optimizers.rmsprop import RMSprop
from torchkeras_api.optimizers.sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer", "RMSprop", "SGD"]
