"""A custom training loop as TF 2 guides write it: tf.data batches, a `tf.function` train step with
tf.GradientTape, optimizer.apply_gradients on model.trainable_variables, and Keras metrics.

Unchanged TensorFlow code: run it with `python -m torchkeras_api run examples/tf_scripts/custom_training_loop.py`.
"""
import sys

import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 8)).astype("float32")
labels = (x[:, :4].sum(axis=1) > x[:, 4:].sum(axis=1)).astype("int32")
dataset = tf.data.Dataset.from_tensor_slices((x, labels)).shuffle(256, seed=0).batch(32)

model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu", input_shape=(8,)),
                             tf.keras.layers.Dense(2)])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
train_loss = tf.keras.metrics.Mean(name="train_loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")


@tf.function
def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        logits = model(inputs, training=True)
        loss = loss_fn(targets, logits)
    gradients = tape.gradient(loss, model.trainable_variables)
    gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    train_loss(loss)
    train_accuracy(targets, logits)
    return loss


losses = []
for epoch in range(epochs):
    train_loss.reset_states()
    train_accuracy.reset_states()
    for inputs, targets in dataset:
        train_step(inputs, targets)
    losses.append(float(train_loss.result()))
    print(f"epoch {epoch + 1}: loss {train_loss.result().numpy():.4f} "
          f"accuracy {train_accuracy.result().numpy():.3f}")

assert losses[-1] < losses[0], losses
logits = model(tf.constant(x))
predicted = tf.argmax(logits, axis=1, output_type=tf.int32)
accuracy = tf.reduce_mean(tf.cast(tf.equal(predicted, labels), tf.float32)).numpy()
assert accuracy > 0.8, accuracy
print("custom_training_loop: ok")
