"""tf.keras.layers.experimental.preprocessing: the TF 2.3-2.5 home of the preprocessing layers."""
from torchkeras_api.layers.preprocessing.base import PreprocessingLayer
from torchkeras_api.layers.preprocessing.categorical import CategoryEncoding, IntegerLookup, StringLookup
from torchkeras_api.layers.preprocessing.discretization import Discretization
from torchkeras_api.layers.preprocessing.hashing import Hashing
from torchkeras_api.layers.preprocessing.hashed_crossing import HashedCrossing
from torchkeras_api.layers.preprocessing.image import (CenterCrop, RandomContrast, RandomCrop, RandomFlip, RandomHeight,
                                                       RandomRotation, RandomTranslation, RandomWidth, RandomZoom,
                                                       Rescaling, Resizing)
from torchkeras_api.layers.preprocessing.normalization import Normalization
from torchkeras_api.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup",
           "Normalization", "PreprocessingLayer",
           "RandomContrast", "RandomCrop", "RandomFlip", "RandomHeight", "RandomRotation", "RandomTranslation",
           "RandomWidth", "RandomZoom", "Rescaling", "Resizing", "StringLookup", "TextVectorization"]
