"""Preprocessing layers that run inside models (tf.keras.layers.* preprocessing)."""
