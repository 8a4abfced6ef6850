"""The errors tf.data raises while building or iterating a dataset."""


class InvalidArgumentError(ValueError):
    """An argument or element a dataset op cannot work with (`tf.errors.InvalidArgumentError`)."""
