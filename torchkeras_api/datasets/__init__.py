"""tf.keras.datasets: small standard datasets, downloaded once into `~/.keras/datasets`."""
from torchkeras_api.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = ["boston_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"]
