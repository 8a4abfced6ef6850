"""Seed 003: layer names, layers as variables, weight names, and how layer calls are wired
(`_inbound_nodes`, `_outbound_nodes`, `_keras_history`)."""
import torchkeras_api as keras

inputs = keras.Input(shape=(8,), name="input_image")
x = keras.layers.Dense(16, activation="relu", name="conv_like")(inputs)
x = keras.layers.Dense(16, activation="relu", name="features")(x)
outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
base_model = keras.Model(inputs=inputs, outputs=outputs)

# the names of all layers
names = [x.name for x in base_model.layers]
print(names)
assert names == ["input_image", "conv_like", "features", "head"]

# turn the model's layers into Python variables named after them
model = base_model
for x in model.layers:
    globals()[x.name] = model.get_layer(x.name)
assert features is model.layers[2]  # noqa: F821 - defined through globals()
assert head.units == 3  # noqa: F821

# print every weight's name (the way to find duplicate names before an .h5 export)
for i, w in enumerate(model.weights):
    print("model_debug:", i, w.name)
weight_names = [w.name for w in model.weights]
assert weight_names == ["conv_like/kernel:0", "conv_like/bias:0", "features/kernel:0", "features/bias:0",
                        "head/kernel:0", "head/bias:0"]
assert len(set(weight_names)) == len(weight_names)

# Each call of a layer on new inputs adds a node to layer._inbound_nodes;
# each use of a layer's output by another layer adds that node to layer._outbound_nodes.
dense = model.get_layer("features")
assert len(dense._inbound_nodes) == 1
assert len(dense._outbound_nodes) == 1                        # used by "head"
assert model.get_layer("head")._inbound_nodes[0] is dense._outbound_nodes[0]
assert len(model.get_layer("head")._outbound_nodes) == 0

# Keras tensors carry _keras_history = (layer, node_index, tensor_index)
layer, node_index, tensor_index = outputs._keras_history
print("outputs._keras_history:", layer.name, node_index, tensor_index)
assert layer is head and node_index == 0 and tensor_index == 0  # noqa: F821
assert inputs._keras_history.layer.__class__.__name__ == "InputLayer"

# calling the same layer again (shared weights) adds a second inbound node
other = keras.Input(shape=(16,), name="other_features")
again = head(other)  # noqa: F821
assert len(head._inbound_nodes) == 2  # noqa: F821
assert again._keras_history.node_index == 1
print("layer names and graph: OK")
