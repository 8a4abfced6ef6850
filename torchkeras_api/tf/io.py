"""tf.io: whole-file reads and writes as `bytes` (the facade's scalar string, as tf.data gives strings), the
image codecs and `gfile`."""
import os
from typing import Any, Optional

from torchkeras_api.tf import gfile
from torchkeras_api.tf._support import module_getattr
from torchkeras_api.tf.errors import NotFoundError
from torchkeras_api.tf.image_codecs import (decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
                                            encode_jpeg, encode_png, is_jpeg, scalar_bytes)

__all__ = ["decode_bmp", "decode_gif", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png",
           "gfile", "is_jpeg", "read_file", "write_file"]


def read_file(filename: Any, name: Optional[str] = None) -> bytes:
    """The file's contents as bytes (NotFoundError when it does not exist)."""
    path = gfile.path_string(filename)
    if not os.path.isfile(path):
        raise NotFoundError(None, None, f"{path}; No such file or directory")
    with open(path, "rb") as handle:
        return handle.read()


def write_file(filename: Any, contents: Any, name: Optional[str] = None) -> None:
    """Writes `contents` (bytes or str) to the file, creating missing parent directories."""
    path = gfile.path_string(filename)
    data = scalar_bytes(contents, "contents")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


__getattr__ = module_getattr("tensorflow.io")
