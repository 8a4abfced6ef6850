"""tf.keras.preprocessing.image: converting between numpy arrays and Pillow images, single-image augmentations and
`ImageDataGenerator` with its batch iterators."""
from typing import Any, Sequence

import numpy as np
import torch

from torchkeras_api.layers.preprocessing import image_transform
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
           "random_zoom", "save_img", "smart_resize"]


def smart_resize(x: Any, size: Sequence[int], interpolation: str = "bilinear") -> Any:
    """An (H, W, C) image or (N, H, W, C) batch cropped centrally to the aspect ratio of `size` (height, width),
    then resized to `size`; float32, numpy for numpy input, else a tensor."""
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    images = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if images.ndim not in (3, 4):
        raise ValueError(f"Expected an image array with shape `(height, width, channels)`, or `(batch_size, height, "
                         f"width, channels)`, but got input with incorrect rank, of shape {tuple(images.shape)}.")
    image_transform.check_choice("smart_resize", "interpolation", interpolation,
                                 image_transform.RESIZE_INTERPOLATIONS)
    batch = images if images.ndim == 4 else images.unsqueeze(0)
    out = image_transform.smart_resize(batch.to(torch.float32), (int(size[0]), int(size[1])), interpolation)
    out = out if images.ndim == 4 else out.squeeze(0)
    return out if isinstance(x, torch.Tensor) else out.numpy()
