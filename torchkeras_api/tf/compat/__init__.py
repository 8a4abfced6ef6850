"""tf.compat: `v1` (TF1 leftovers: ConfigProto, Session, logging, ...), `v2` (the facade itself), string helpers."""
import sys
from typing import Any, Union

from torchkeras_api.tf._support import module_getattr
from torchkeras_api.tf.compat import v1  # noqa: F401 - tf.compat.v1


def as_bytes(bytes_or_text: Union[bytes, str], encoding: str = "utf-8") -> bytes:
    """The value as bytes (str is encoded)."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text: Union[bytes, str], encoding: str = "utf-8") -> str:
    """The value as str (bytes are decoded)."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value: Any, encoding: str = "utf-8") -> str:
    """bytes decoded, anything else through str()."""
    return as_text(value, encoding) if isinstance(value, bytes) else str(value)


def _v2(name: str) -> Any:
    if name == "v2":
        return sys.modules["torchkeras_api.tf"]
    raise AttributeError(name)


__getattr__ = module_getattr("tensorflow.compat", fallback=_v2)
