"""tf.keras.preprocessing.image: converting between numpy arrays and Pillow images, single-image augmentations and
`ImageDataGenerator` with its batch iterators."""
from torchkeras_api.preprocessing.affine_transforms import (apply_affine_transform, apply_brightness_shift,
                                                            apply_channel_shift, random_brightness,
                                                            random_channel_shift, random_rotation, random_shear,
                                                            random_shift, random_zoom)
from torchkeras_api.preprocessing.image_data_generator import ImageDataGenerator
from torchkeras_api.preprocessing.image_iterators import DirectoryIterator, Iterator, NumpyArrayIterator
from torchkeras_api.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "apply_affine_transform",
           "apply_brightness_shift", "apply_channel_shift", "array_to_img", "img_to_array", "load_img",
           "random_brightness", "random_channel_shift", "random_rotation", "random_shear", "random_shift",
           "random_zoom", "save_img"]
