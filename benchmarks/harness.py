"""What the benchmark scripts share: one thread count for every framework in the process."""
import torch


def use_threads(threads: int) -> None:
    """Runs torch, and TensorFlow when it is installed, on `threads` threads."""
    torch.set_num_threads(threads)
    try:
        import tensorflow as tf
    except ImportError:
        return
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
