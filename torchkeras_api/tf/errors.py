"""tf.errors: TF's exception classes. Torch's own errors pass as they are.

`InvalidArgumentError` is the one tf.data raises (a ValueError, not an `OpError` subclass).
"""
from typing import Any

from torchkeras_api.data.errors import InvalidArgumentError  # noqa: F401 - tf.errors.InvalidArgumentError
from torchkeras_api.tf._support import module_getattr


class OpError(Exception):
    """The base of TF's runtime errors."""

    def __init__(self, node_def: Any = None, op: Any = None, message: str = "", *args: Any, **kwargs: Any):
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message


def _error(name: str, doc: str, bases: tuple = (OpError,)) -> type:
    return type(name, bases, {"__doc__": doc, "__module__": __name__})


CancelledError = _error("CancelledError", "An operation was cancelled.")
UnknownError = _error("UnknownError", "An unknown error.")
DeadlineExceededError = _error("DeadlineExceededError", "A deadline expired.")
NotFoundError = _error("NotFoundError", "A file or entity was not found.")
AlreadyExistsError = _error("AlreadyExistsError", "An entity already exists.")
PermissionDeniedError = _error("PermissionDeniedError", "Permission denied.")
UnauthenticatedError = _error("UnauthenticatedError", "No valid credentials.")
ResourceExhaustedError = _error("ResourceExhaustedError", "A resource (e.g. memory) ran out.")
FailedPreconditionError = _error("FailedPreconditionError", "The system is not in a state for the operation.")
AbortedError = _error("AbortedError", "An operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", "An operation went past the valid range (e.g. end of a dataset).")
UnimplementedError = _error("UnimplementedError", "An operation is not implemented.")
InternalError = _error("InternalError", "An internal invariant was broken.")
UnavailableError = _error("UnavailableError", "The runtime is unavailable.")
DataLossError = _error("DataLossError", "Unrecoverable data loss or corruption.")

__getattr__ = module_getattr("tensorflow.errors")
