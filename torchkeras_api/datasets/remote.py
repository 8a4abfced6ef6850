"""Where each dataset file is published, its expected hash, and fetching it into the Keras cache.

`SOURCES` maps a file name to the URL and hash that tf.keras uses for it; tests point entries at local files."""
import os
from typing import Dict, NamedTuple, Optional

from torchkeras_api.utils.data_utils import get_file

TF_KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_HOME = "https://www.cs.toronto.edu/~kriz/"


class Source(NamedTuple):
    origin: str
    file_hash: Optional[str]


SOURCES: Dict[str, Source] = {
    "mnist.npz": Source(TF_KERAS_DATASETS + "mnist.npz",
                        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "train-labels-idx1-ubyte.gz": Source(TF_KERAS_DATASETS + "train-labels-idx1-ubyte.gz", None),
    "train-images-idx3-ubyte.gz": Source(TF_KERAS_DATASETS + "train-images-idx3-ubyte.gz", None),
    "t10k-labels-idx1-ubyte.gz": Source(TF_KERAS_DATASETS + "t10k-labels-idx1-ubyte.gz", None),
    "t10k-images-idx3-ubyte.gz": Source(TF_KERAS_DATASETS + "t10k-images-idx3-ubyte.gz", None),
    "cifar-10-python.tar.gz": Source(CIFAR_HOME + "cifar-10-python.tar.gz",
                                     "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    "cifar-100-python.tar.gz": Source(CIFAR_HOME + "cifar-100-python.tar.gz",
                                      "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
    "imdb.npz": Source(TF_KERAS_DATASETS + "imdb.npz",
                       "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": Source(TF_KERAS_DATASETS + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),
    "reuters.npz": Source(TF_KERAS_DATASETS + "reuters.npz",
                          "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "reuters_word_index.json": Source(TF_KERAS_DATASETS + "reuters_word_index.json",
                                      "4d44cc38712099c9e383dc6e5f11a921"),
    "boston_housing.npz": Source(TF_KERAS_DATASETS + "boston_housing.npz",
                                 "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
}


def fetch(source: str, fname: str, cache_dir: Optional[str] = None, cache_subdir: str = "datasets",
          untar: bool = False) -> str:
    """The local path of the published file `source`, cached as `fname` (downloaded on first use)."""
    if cache_dir:
        cache_dir = os.path.expanduser(cache_dir)
        os.makedirs(cache_dir, exist_ok=True)
    origin, file_hash = SOURCES[source]
    return get_file(fname, origin=origin, file_hash=file_hash, cache_dir=cache_dir, cache_subdir=cache_subdir,
                    untar=untar)
