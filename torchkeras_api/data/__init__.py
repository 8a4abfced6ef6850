"""`tf.data` on torch: `Dataset` pipelines of torch tensors that `fit`/`evaluate`/`predict` accept."""
from torchkeras_api.data import experimental
from torchkeras_api.data.cardinality import INFINITE as INFINITE_CARDINALITY
from torchkeras_api.data.cardinality import UNKNOWN as UNKNOWN_CARDINALITY
from torchkeras_api.data.dataset import Dataset
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.iterator import Iterator, NumpyIterator
from torchkeras_api.data.options import Options
from torchkeras_api.data.spec import DatasetSpec, TensorSpec
from torchkeras_api.data.transforms import AUTOTUNE

__all__ = ["AUTOTUNE", "Dataset", "DatasetSpec", "INFINITE_CARDINALITY", "InvalidArgumentError", "Iterator",
           "NumpyIterator", "Options", "TensorSpec", "UNKNOWN_CARDINALITY", "experimental"]
