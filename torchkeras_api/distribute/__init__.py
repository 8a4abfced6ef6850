"""tf.distribute: strategies for data-parallel Keras training on torch."""
import types

from torchkeras_api.distribute.scope import get_strategy, has_strategy, in_cross_replica_context
from torchkeras_api.distribute.strategies import (CommunicationOptions, InputContext, MirroredStrategy,
                                                  MultiWorkerMirroredStrategy, OneDeviceStrategy, ReduceOp,
                                                  Strategy, StrategyExtended)

experimental = types.SimpleNamespace(MultiWorkerMirroredStrategy=MultiWorkerMirroredStrategy,
                                     CommunicationOptions=CommunicationOptions)

__all__ = ["get_strategy", "has_strategy", "in_cross_replica_context", "Strategy", "StrategyExtended",
           "MirroredStrategy", "MultiWorkerMirroredStrategy", "OneDeviceStrategy", "ReduceOp", "InputContext",
           "CommunicationOptions", "experimental"]
