"""tf.keras.utils."""
from torchkeras_api.saving.object_registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                                   get_registered_name, get_registered_object,
                                                   register_keras_serializable)
from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object
from torchkeras_api.utils.np_utils import set_random_seed, to_categorical
from torchkeras_api.utils.progbar import Progbar
from torchkeras_api.utils.data_utils import Sequence
from torchkeras_api.engine.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight
