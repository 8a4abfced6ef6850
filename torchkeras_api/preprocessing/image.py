"""tf.keras.preprocessing.image: converting between numpy arrays and Pillow images, and resizing."""
from torchkeras_api.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
