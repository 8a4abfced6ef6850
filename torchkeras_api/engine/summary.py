"""`Model.summary()`: tf.keras's text table of a model's layers, output shapes, parameters and connections."""
import re
from typing import Any, Callable, List, Optional, Sequence, Tuple

# A cell is broken after the first of these that fits on its line (ends of tuples, lists, quoted names).
_BREAK_AFTER = ("),", "},", "],", "',")
_SIZE_UNITS = ("Byte", "KB", "MB", "GB", "TB", "PB")
_TRAINABLE_WIDTH = 11


def print_summary(model: Any, line_length: Optional[int] = None, positions: Optional[Sequence[float]] = None,
                  print_fn: Optional[Callable[[str], Any]] = None, expand_nested: bool = False,
                  show_trainable: bool = False, layer_range: Optional[Sequence[str]] = None) -> None:
    """Prints the summary table of `model`, one `print_fn` call per line, exactly as tf.keras does."""
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.7, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    else:
        positions = list(positions)
    if show_trainable:
        line_length += _TRAINABLE_WIDTH
        positions.append(line_length)
        header.append("Trainable")
    layers = model.layers
    if layer_range is not None:
        start, end = layer_index_bounds(layers, layer_range)
        layers = layers[start:end]
    relevant_nodes = None if sequential_like else model._network_nodes

    def fields(layer: Any) -> List[Any]:
        row = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), _param_count(layer)]
        if relevant_nodes is not None:
            row.append(_connections(layer, relevant_nodes))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        return row

    def emit_layer(layer: Any, level: int, last_nested: bool) -> None:
        for line in format_row(fields(layer), positions, level):
            print_fn(line)
        children = getattr(layer, "layers", None) if expand_nested else None
        if children:
            print_fn(_rule("¯", line_length, level + 1))
            for i, child in enumerate(children):
                emit_layer(child, level + 1, i == len(children) - 1)
            print_fn(_rule("¯", line_length, level))
        elif not last_nested:
            print_fn(_rule(" ", line_length, level))

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    for line in format_row(header, positions):
        print_fn(line)
    print_fn("=" * line_length)
    for layer in layers:
        emit_layer(layer, 0, False)
    print_fn("=" * line_length)
    trainable = _count_and_size(model.trainable_weights)
    non_trainable = _count_and_size(model.non_trainable_weights)
    total = (trainable[0] + non_trainable[0], trainable[1] + non_trainable[1])
    for label, (count, size) in (("Total", total), ("Trainable", trainable), ("Non-trainable", non_trainable)):
        print_fn(f"{label} params: {count} ({readable_size(size)})")
    print_fn("_" * line_length)


def format_row(fields: Sequence[Any], positions: Sequence[int], level: int = 0) -> List[str]:
    """Lines of one table row: each cell wrapped within its column, framed by `level` pipes when nested."""
    cells = [str(f) for f in fields]
    last = len(positions) - 1
    lines = []
    while any(cells):
        line = ""
        for col, text in enumerate(cells):
            gap = 0 if col == last else 2
            width = positions[col] - (positions[col - 1] if col else 0) - gap - (0 if col == last else 1)
            if col == 0:
                width -= level
                line += "|" * level + " "
            chunk = text[:max(width, 1)]
            breaks = [chunk.find(mark) + len(mark) for mark in _BREAK_AFTER if mark in chunk]
            if breaks:
                chunk = chunk[:min(breaks)]
            cells[col] = text[len(chunk):]
            line += chunk + " " * gap
            end = positions[col] - level if col == last else positions[col]
            line += " " * (end - len(line))
        lines.append(line + "|" * level)
    return lines


def layer_index_bounds(layers: Sequence[Any], layer_range: Sequence[str]) -> Tuple[int, int]:
    """[start, end) from the first layer matching `layer_range[0]` to the last matching `layer_range[1]`.

    Names match as regexes from their start; when every start match comes after every end match,
    the range runs from the first end match to the last start match.
    """
    if len(layer_range) != 2:
        raise ValueError("layer_range must be a list or tuple of length 2. Received: "
                         f"layer_range = {layer_range} of length {len(layer_range)}")
    names = [layer.name for layer in layers]
    starts = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    ends = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not starts or not ends:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
    if starts[0] > ends[-1]:
        starts, ends = ends, starts
    return starts[0], ends[-1] + 1


def readable_size(num_bytes: float) -> str:
    """'92.00 Byte', '1.29 KB', '3.82 MB', ... (powers of 1024)."""
    for unit in _SIZE_UNITS[:-1]:
        if num_bytes < 1024:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} {_SIZE_UNITS[-1]}"


def _is_sequential_like(model: Any) -> bool:
    """Whether the model prints as a plain stack (no 'Connected to' column): a chain of single-input nodes."""
    from torchkeras_api.engine.sequential import Sequential
    if isinstance(model, Sequential) or not getattr(model, "_is_graph_network", False):
        return True
    nodes = model._network_nodes
    if any(len(node.keras_inputs) > 1 for node in nodes):
        return False
    with_children = {id(parent) for node in nodes for parent in node.parent_nodes}
    if sum(id(node) not in with_children for node in nodes) > 1:
        return False
    return all(sum(node in nodes for node in layer._inbound_nodes) <= 1 for layer in model.layers)


def _output_shape(layer: Any) -> Any:
    try:
        return layer.output_shape
    except AttributeError:
        return "multiple"


def _param_count(layer: Any) -> Any:
    if not layer.built and not getattr(layer, "_is_graph_network", False):
        return "0 (unused)"
    return layer.count_params()


def _connections(layer: Any, relevant_nodes: Any) -> List[str]:
    return [f"{inbound.name}[{node_index}][{tensor_index}]"
            for node in layer._inbound_nodes if node in relevant_nodes
            for inbound, node_index, tensor_index, _ in node.iterate_inbound()]


def _rule(char: str, line_length: int, level: int) -> str:
    return "|" * level + char * (line_length - 2 * level) + "|" * level


def _count_and_size(weights: Sequence[Any]) -> Tuple[int, int]:
    """(number of scalars, bytes) of distinct weights."""
    unique = {id(w): w for w in weights}.values()
    return sum(w.numel() for w in unique), sum(w.numel() * w.element_size() for w in unique)
