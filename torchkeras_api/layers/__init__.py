"""tf.keras.layers."""
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_layer import Input, InputLayer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers.core import Dense
from torchkeras_api.layers.core import ActivityRegularization, Activation, Dropout, Identity, Lambda, Masking
from torchkeras_api.layers.embedding import Embedding
from torchkeras_api.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from torchkeras_api.layers.serialization import deserialize, serialize
from torchkeras_api.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                           average, concatenate, dot, maximum, minimum, multiply, subtract)
from torchkeras_api.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                                                 Conv3DTranspose, Convolution1D, Convolution1DTranspose, Convolution2D,
                                                 Convolution2DTranspose, Convolution3D, Convolution3DTranspose,
                                                 DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
                                                 SeparableConvolution1D, SeparableConvolution2D)
from torchkeras_api.layers.conv_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from torchkeras_api.layers.recurrent import (GRU, LSTM, RNN, AbstractRNNCell, GRUCell, LSTMCell, SimpleRNN,
                                             SimpleRNNCell, StackedRNNCells)
from torchkeras_api.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                           AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                                           GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                           GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                           GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
                                           MaxPooling1D, MaxPooling2D, MaxPooling3D)
from torchkeras_api.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                                 UnitNormalization)
from torchkeras_api.layers.einsum_dense import EinsumDense
from torchkeras_api.layers.locally_connected import LocallyConnected1D, LocallyConnected2D
from torchkeras_api.layers.attention import AdditiveAttention, Attention
from torchkeras_api.layers.multi_head_attention import MultiHeadAttention
from torchkeras_api.layers.wrappers import Bidirectional, TimeDistributed, Wrapper
from torchkeras_api.layers.spectral_normalization import SpectralNormalization
from torchkeras_api.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D,
                                             UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from torchkeras_api.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from torchkeras_api.layers.regularization import (AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                                                  SpatialDropout2D, SpatialDropout3D)
from torchkeras_api.layers.torch_module import TorchModuleWrapper
from torchkeras_api.layers.preprocessing.categorical import CategoryEncoding, IntegerLookup, StringLookup
from torchkeras_api.layers.preprocessing.discretization import Discretization
from torchkeras_api.layers.preprocessing.hashing import Hashing
from torchkeras_api.layers.preprocessing.hashed_crossing import HashedCrossing
from torchkeras_api.layers.preprocessing.text_vectorization import TextVectorization
from torchkeras_api.layers.preprocessing.image import (CenterCrop, RandomBrightness, RandomContrast, RandomCrop,
                                                       RandomFlip, RandomHeight, RandomRotation, RandomTranslation,
                                                       RandomWidth, RandomZoom, Rescaling, Resizing)
from torchkeras_api.layers.preprocessing.normalization import Normalization
from torchkeras_api.layers import experimental
