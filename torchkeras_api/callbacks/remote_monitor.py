"""tf.keras.callbacks.RemoteMonitor."""
import json
import logging
from typing import Any, Dict, Optional

import numpy as np

from torchkeras_api.callbacks.callback import Callback, Logs

_logger = logging.getLogger(__name__)


class RemoteMonitor(Callback):
    """POSTs each epoch's logs as JSON to `root + path` (needs the `requests` package).

    The JSON goes in the form field `field`, or as the request body when `send_as_json`.
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/", field: str = "data",
                 headers: Optional[Dict[str, str]] = None, send_as_json: bool = False) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        try:
            import requests
        except ImportError as error:
            raise ImportError("RemoteMonitor requires the `requests` library.") from error
        send: Dict[str, Any] = {"epoch": epoch}
        for name, value in (logs or {}).items():
            send[name] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        url = self.root + self.path
        try:
            if self.send_as_json:
                requests.post(url, json=send, headers=self.headers)
            else:
                requests.post(url, {self.field: json.dumps(send)}, headers=self.headers)
        except requests.exceptions.RequestException:
            _logger.warning("Warning: could not reach RemoteMonitor root server at %s", self.root)
