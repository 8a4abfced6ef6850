"""tf.keras (Keras 2) on PyTorch: `import torchkeras_api as keras`."""
from torchkeras_api import activations, backend, constraints, initializers, layers, models, regularizers, utils
from torchkeras_api.engine.input_layer import Input
from torchkeras_api.engine.sequential import Sequential
from torchkeras_api.engine.training import Model

__version__ = "0.1.0"
from torchkeras_api import losses  # noqa: E402,F401
from torchkeras_api import callbacks  # noqa: E402,F401
from torchkeras_api import optimizers  # noqa: E402,F401
from torchkeras_api import metrics  # noqa: E402,F401
from torchkeras_api import data  # noqa: E402,F401
from torchkeras_api import experimental  # noqa: E402,F401
from torchkeras_api import datasets  # noqa: E402,F401
from torchkeras_api import preprocessing  # noqa: E402,F401
from torchkeras_api import config  # noqa: E402,F401
from torchkeras_api import distribute  # noqa: E402,F401
from torchkeras_api import mixed_precision  # noqa: E402,F401
from torchkeras_api.importer import install, uninstall  # noqa: E402,F401
