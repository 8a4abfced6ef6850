"""tf.keras.preprocessing: the legacy data utilities (`sequence`, `image`, `text`) and the dataset constructors."""
from torchkeras_api.preprocessing import image, sequence, text
from torchkeras_api.utils.dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,
                                                timeseries_dataset_from_array)

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "text", "timeseries_dataset_from_array"]
