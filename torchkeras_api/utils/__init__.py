"""tf.keras.utils."""
from torchkeras_api.saving.object_registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                                   get_registered_name, get_registered_object,
                                                   register_keras_serializable)
from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object
from torchkeras_api.utils.np_utils import normalize, set_random_seed, to_categorical
from torchkeras_api.utils.progbar import Progbar
from torchkeras_api.utils.data_utils import Sequence, get_file
from torchkeras_api.utils.sequence_utils import pad_sequences
from torchkeras_api.utils.dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,
                                                timeseries_dataset_from_array)
from torchkeras_api.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from torchkeras_api.utils.vis_utils import model_to_dot, plot_model
from torchkeras_api.engine.data_adapter import pack_x_y_sample_weight, unpack_x_y_sample_weight
from torchkeras_api.utils.multi_gpu_utils import multi_gpu_model
