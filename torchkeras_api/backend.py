"""tf.keras.backend (K) on torch tensors."""
from torchkeras_api.backend_config import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format
from torchkeras_api.engine import naming


def clear_session() -> None:
    """Resets the default layer names (`dense`, `dense_1`, ...) and other global state."""
    naming.reset_uids()
