"""Image preprocessing and augmentation layers on channels-last images (batch, height, width, channels) or
single images (height, width, channels), as tf.keras.layers.Rescaling, Resizing, RandomFlip, ... .

The Random* layers are active when called with `training=True`, in `fit`, and (as in tf.keras) when
called directly without a `training` argument; `predict`/`evaluate` and `training=False` leave images
unchanged. A `seed` gives the layer its own generator, so its draws are reproducible."""
import math
import numbers
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import TensorShape
from torchkeras_api.layers.preprocessing import image_transform as ops
from torchkeras_api.layers.seed_generator import SeedGenerator

_NUMBER = (numbers.Real,)


def _batched(layer: Layer, inputs: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """fn applied to `inputs` in the compute dtype as a 4-D batch (a single 3-D image gets a batch axis for
    the call)."""
    if inputs.ndim not in (3, 4):
        raise ValueError(f"Layer {layer.name} ({type(layer).__name__}) expects images of rank 4 (batch, height, "
                         f"width, channels) or rank 3 (height, width, channels). Received: inputs.shape="
                         f"{tuple(inputs.shape)}")
    if inputs.dtype != layer._compute_dtype:
        inputs = inputs.to(layer._compute_dtype)
    if inputs.ndim == 3:
        return fn(inputs.unsqueeze(0)).squeeze(0)
    return fn(inputs)


def _size(value: Any, name: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` of layer {layer} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _bounds(factor: Any, name: str) -> Tuple[float, float]:
    """(lower, upper) of a factor given as a number f (meaning (-f, f)) or a pair."""
    if isinstance(factor, (list, tuple)):
        if len(factor) < 2:
            raise ValueError(f"`{name}` must be a number or a tuple of two numbers. Received: {name}={factor}")
        return float(factor[0]), float(factor[1])
    if not isinstance(factor, _NUMBER):
        raise ValueError(f"`{name}` must be a number or a tuple of two numbers. Received: {name}={factor!r}")
    return -float(factor), float(factor)


class Rescaling(Layer):
    """`inputs * scale + offset`, in the compute dtype (scale and offset may be per-channel lists)."""

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self._constants: Dict[Tuple[str, torch.device, torch.dtype], torch.Tensor] = {}

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype != self._compute_dtype:
            inputs = inputs.to(self._compute_dtype)
        return inputs * self._constant("scale", inputs) + self._constant("offset", inputs)

    def _constant(self, name: str, like: torch.Tensor) -> Any:
        """`scale` or `offset` as a number, or as a tensor on the inputs' device (made once per device)."""
        value = getattr(self, name)
        if isinstance(value, _NUMBER):
            return float(value)
        key = (name, like.device, like.dtype)
        if key not in self._constants:
            self._constants[key] = torch.as_tensor(value, dtype=like.dtype, device=like.device)
        return self._constants[key]

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config


class CenterCrop(Layer):
    """Crops the central height x width window; smaller images are first resized as `smart_resize` does."""

    def __init__(self, height: int, width: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.height = _size(height, "height", type(self).__name__)
        self.width = _size(width, "width", type(self).__name__)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return _batched(self, inputs, self._crop)

    def _crop(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[1], images.shape[2]
        if height < self.height or width < self.width:
            return ops.smart_resize(images, (self.height, self.width))
        top, left = ops.center_crop_offsets(height, width, (self.height, self.width))
        return images[:, top:top + self.height, left:left + self.width]

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class Resizing(Layer):
    """Resizes images to height x width as `tf.image.resize` does; `crop_to_aspect_ratio=True` first crops
    the largest centered window with the target aspect ratio."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.height = _size(height, "height", type(self).__name__)
        self.width = _size(width, "width", type(self).__name__)
        self.interpolation = ops.check_choice(type(self).__name__, "interpolation", interpolation,
                                              ops.RESIZE_INTERPOLATIONS)
        self.crop_to_aspect_ratio = crop_to_aspect_ratio

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        resize = ops.smart_resize if self.crop_to_aspect_ratio else ops.resize
        return _batched(self, inputs, lambda images: resize(images, (self.height, self.width), self.interpolation))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio})
        return config


class _RandomLayer(Layer):
    """Random augmentation: per-layer seeded generators, the `training` switch and the shared config."""

    def __init__(self, seed: Optional[int] = None, rng_type: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = SeedGenerator(seed)

    def _uniform(self, shape: Tuple[int, ...], low: float, high: float, device: torch.device) -> torch.Tensor:
        """Uniform draws in [low, high) on `device`, without a host sync."""
        draws = torch.rand(shape, generator=self._generator(device), device=device)
        return draws * (high - low) + low

    def _host_uniform(self, low: float, high: float) -> float:
        """One uniform draw on the host, for sizes and offsets that shapes depend on."""
        if call_context.state.inferring:
            return (low + high) / 2
        draw = torch.rand((), generator=self._generator(torch.device("cpu")), dtype=torch.float32)
        return float(draw) * (high - low) + low

    def call(self, inputs: torch.Tensor, training: bool = True) -> torch.Tensor:
        if not training:
            return _batched(self, inputs, lambda images: images)
        return _batched(self, inputs, self._augment)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _random_config(self, **entries: Any) -> Dict[str, Any]:
        config = super().get_config()
        config["rng_type"] = "stateful"
        config.update(entries)
        config["seed"] = self.seed
        return config


class RandomFlip(_RandomLayer):
    """Flips each image left-right and/or up-down with probability 1/2 (`mode`: 'horizontal', 'vertical' or
    'horizontal_and_vertical')."""

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        if self.mode != "vertical":
            images = self._flip_some(images, dim=2)
        if self.mode != "horizontal":
            images = self._flip_some(images, dim=1)
        return images

    def _flip_some(self, images: torch.Tensor, dim: int) -> torch.Tensor:
        flip = self._uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images.device) < 0.5
        return torch.where(flip, images.flip(dim), images)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(mode=self.mode)


class _RandomTransform(_RandomLayer):
    """Random affine warps sampled with `interpolation` and `fill_mode` as TensorFlow does."""

    def __init__(self, fill_mode: str, interpolation: str, fill_value: float, seed: Optional[int], **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = ops.check_choice(type(self).__name__, "fill_mode", fill_mode, ops.FILL_MODES)
        self.interpolation = ops.check_choice(type(self).__name__, "interpolation", interpolation,
                                              ops.TRANSFORM_INTERPOLATIONS)
        self.fill_value = fill_value

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        transforms = self._transforms(images.shape[0], images.shape[1], images.shape[2], images.device)
        return ops.projective_transform(images, transforms, self.interpolation, self.fill_mode, self.fill_value)

    def _transforms(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def _fill_config(self) -> Dict[str, Any]:
        return {"fill_mode": self.fill_mode, "fill_value": self.fill_value, "interpolation": self.interpolation}


def _affine_rows(*entries: Any) -> torch.Tensor:
    """(batch, 8) transforms from per-image tensors and numbers."""
    batch = next(e for e in entries if isinstance(e, torch.Tensor))
    return torch.stack([e if isinstance(e, torch.Tensor) else torch.full_like(batch, float(e)) for e in entries],
                       dim=1)


class RandomRotation(_RandomTransform):
    """Rotates each image about its center by a random angle of `factor` turns (a number f meaning
    (-f, f), or a (lower, upper) pair)."""

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: Optional[int] = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.factor = factor
        if isinstance(factor, _NUMBER) and factor < 0:
            raise ValueError(f"`factor` argument cannot have a negative value. Received: factor={factor}")
        self._lower, self._upper = _bounds(factor, "factor")
        if self._upper < self._lower:
            raise ValueError(f"`factor` argument cannot have a negative value. Received: factor={factor}")

    def _transforms(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        angles = self._uniform((batch,), self._lower * 2 * math.pi, self._upper * 2 * math.pi, device)
        cos, sin = torch.cos(angles), torch.sin(angles)
        x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2
        y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2
        return _affine_rows(cos, -sin, x_offset, sin, cos, y_offset, 0, 0)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(factor=self.factor, **self._fill_config())


class RandomZoom(_RandomTransform):
    """Zooms each image by random factors: 1 + a draw from `height_factor` (positive zooms out) vertically,
    and from `width_factor` horizontally (the vertical factor when None)."""

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 **kwargs: Any):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = _bounds(height_factor, "height_factor")
        if max(abs(b) for b in self._height) > 1:
            raise ValueError("`height_factor` argument must have values between [-1, 1]. "
                             f"Received: height_factor={height_factor}")
        self._width = None if width_factor is None else _bounds(width_factor, "width_factor")
        if self._width is not None and min(self._width) < -1:
            raise ValueError("`width_factor` argument must have values larger than -1. "
                             f"Received: width_factor={width_factor}")

    def _transforms(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        zoom_y = 1 + self._uniform((batch,), *self._height, device)
        zoom_x = zoom_y if self._width is None else 1 + self._uniform((batch,), *self._width, device)
        return _affine_rows(zoom_x, 0, (width - 1) / 2 * (1 - zoom_x), 0, zoom_y, (height - 1) / 2 * (1 - zoom_y),
                            0, 0)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(height_factor=self.height_factor, width_factor=self.width_factor,
                                   **self._fill_config())


class RandomTranslation(_RandomTransform):
    """Shifts each image by random fractions of its height (`height_factor`) and width (`width_factor`);
    each factor is a number f meaning (-f, f) or a (lower, upper) pair, positive moving down / right."""

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 **kwargs: Any):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = self._checked(height_factor, "height_factor")
        self._width = self._checked(width_factor, "width_factor")

    @staticmethod
    def _checked(factor: Any, name: str) -> Tuple[float, float]:
        lower, upper = _bounds(factor, name)
        if upper < lower:
            raise ValueError(f"`{name}` cannot have upper bound less than lower bound, got {factor}")
        if abs(lower) > 1 or abs(upper) > 1:
            raise ValueError(f"`{name}` must have values between [-1, 1], got {factor}")
        return lower, upper

    def _transforms(self, batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        shift_y = self._uniform((batch,), *self._height, device) * height
        shift_x = self._uniform((batch,), *self._width, device) * width
        return _affine_rows(1, 0, -shift_x, 0, 1, -shift_y, 0, 0)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(height_factor=self.height_factor, width_factor=self.width_factor,
                                   **self._fill_config())


class RandomContrast(_RandomLayer):
    """Scales each channel's deviation from its per-image mean by one random factor per call, drawn from
    [1 - lower, 1 + upper] (`factor` f meaning (f, f)), then clips to [0, 255]."""

    def __init__(self, factor: Any, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        lower, upper = (factor, factor) if isinstance(factor, _NUMBER) else _bounds(factor, "factor")
        if not (0 <= lower <= 1 and 0 <= upper <= 1):
            raise ValueError("`factor` argument cannot have negative values or values greater than 1."
                             f"Received: factor={factor}")
        self._range = (1 - float(lower), 1 + float(upper))

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        contrast = self._uniform((), *self._range, images.device).to(images.dtype)
        mean = images.mean(dim=(1, 2), keepdim=True)
        return ((images - mean) * contrast + mean).clamp(0, 255)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(factor=self.factor)


class RandomBrightness(_RandomLayer):
    """Adds to each image a random fraction, drawn from `factor`, of the width of `value_range`, then clips
    to `value_range`."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        if isinstance(factor, (list, tuple)) and len(factor) == 2:
            bounds = sorted(factor)
        elif isinstance(factor, _NUMBER):
            bounds = sorted([-abs(factor), abs(factor)])
        else:
            bounds = None
        if bounds is None or any(abs(b) > 1 for b in bounds):
            raise ValueError("The `factor` argument should be a number (or a list of two numbers) in the range "
                             f"[-1.0, 1.0]. Got {factor}")
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. Got {value_range}")
        self.factor = list(bounds)
        self.value_range = sorted(value_range)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        low, high = self.value_range
        delta = self._uniform((images.shape[0], 1, 1, 1), *self.factor, images.device) * (high - low)
        return (images + delta.to(images.dtype)).clamp(low, high)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(factor=self.factor, value_range=self.value_range)


class RandomCrop(_RandomLayer):
    """Crops a random height x width window (one position per batch) when training; otherwise, and for
    images smaller than the window, resizes as `smart_resize` does."""

    def __init__(self, height: int, width: int, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.height = _size(height, "height", type(self).__name__)
        self.width = _size(width, "width", type(self).__name__)

    def call(self, inputs: torch.Tensor, training: bool = True) -> torch.Tensor:
        return _batched(self, inputs, self._augment if training else self._resize)

    def _resize(self, images: torch.Tensor) -> torch.Tensor:
        return ops.smart_resize(images, (self.height, self.width))

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[1], images.shape[2]
        if height < self.height or width < self.width:
            return self._resize(images)
        top = int(self._host_uniform(0, height - self.height + 1))
        left = int(self._host_uniform(0, width - self.width + 1))
        top, left = min(top, height - self.height), min(left, width - self.width)
        return images[:, top:top + self.height, left:left + self.width]

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(height=self.height, width=self.width)


class _RandomResize(_RandomLayer):
    """Resizes one image axis by a random factor 1 + a draw from `factor`, the same for the whole batch."""

    _AXIS = 1

    def __init__(self, factor: Any, interpolation: str = "bilinear", seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._lower, self._upper = _bounds(factor, "factor")
        if self._upper < self._lower:
            raise ValueError("`factor` argument cannot have an upper bound lesser than the lower bound. "
                             f"Received: factor={factor}")
        if self._lower < -1:
            raise ValueError(f"`factor` argument must have values larger than -1. Received: factor={factor}")
        self.interpolation = ops.check_choice(type(self).__name__, "interpolation", interpolation,
                                              ops.RESIZE_INTERPOLATIONS)

    def call(self, inputs: torch.Tensor, training: bool = True) -> torch.Tensor:
        if call_context.state.inferring:
            raise _UnknownSize()
        if not training:
            return inputs
        return _batched(self, inputs, self._augment)

    def _augment(self, images: torch.Tensor) -> torch.Tensor:
        size = list(images.shape[1:3])
        scale = self._host_uniform(1 + self._lower, 1 + self._upper)
        size[self._AXIS - 1] = max(1, int(size[self._AXIS - 1] * scale))
        return ops.resize(images, (size[0], size[1]), self.interpolation)

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        shape: List[Optional[int]] = list(TensorShape(input_shape))
        shape[self._AXIS - 4] = None
        return TensorShape(shape)

    def get_config(self) -> Dict[str, Any]:
        return self._random_config(factor=self.factor, interpolation=self.interpolation)


class _UnknownSize(Exception):
    """Raised during shape inference: the random size is unknown until the layer runs."""


class RandomHeight(_RandomResize):
    """Resizes the height of a batch of images by a random factor 1 + a draw from `factor`."""

    _AXIS = 1


class RandomWidth(_RandomResize):
    """Resizes the width of a batch of images by a random factor 1 + a draw from `factor`."""

    _AXIS = 2
