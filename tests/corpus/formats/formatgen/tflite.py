"""TensorFlow Lite models: FlatBuffers built with python3-flatbuffers' Builder, table by table, with the field slots
of TensorFlow Lite's schema.fbs (schema version 3, file identifier "TFL3" at offset 4). TensorFlow itself is not in
Debian, so the tables the converter writes are built here: Model, OperatorCode, SubGraph, Tensor (with an empty
QuantizationParameters), Operator with its builtin options, Buffer (buffer 0 empty, constant data aligned to 16),
Metadata "min_runtime_version" and a SignatureDef "serving_default"."""

import struct

import flatbuffers
from flatbuffers import table as fb_table

from .common import record, write_bytes

# schema.fbs enums and union indexes
FLOAT32 = 0
ADD, FULLY_CONNECTED = 0, 9
FULLY_CONNECTED_OPTIONS, ADD_OPTIONS = 8, 11  # 1-based positions in `union BuiltinOptions`

# field slots (the n-th field of a table; a union takes two: its _type, then its value)
MODEL = dict(version=0, operator_codes=1, subgraphs=2, description=3, buffers=4, metadata_buffer=5, metadata=6,
             signature_defs=7)
OPERATOR_CODE = dict(deprecated_builtin_code=0, custom_code=1, version=2, builtin_code=3)
SUBGRAPH = dict(tensors=0, inputs=1, outputs=2, operators=3, name=4)
TENSOR = dict(shape=0, type=1, buffer=2, name=3, quantization=4, is_variable=5)
OPERATOR = dict(opcode_index=0, inputs=1, outputs=2, builtin_options_type=3, builtin_options=4)
BUFFER = dict(data=0)
METADATA = dict(name=0, buffer=1)
TENSOR_MAP = dict(name=0, tensor_index=1)
SIGNATURE_DEF = dict(inputs=0, outputs=1, signature_key=2, subgraph_index=4)  # slot 3: deprecated_tag


def _int_vector(b, values):
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependInt32(v)
    return b.EndVector()


def _offset_vector(b, offsets):
    b.StartVector(4, len(offsets), 4)
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _table(b, fields, values):
    """values: [(field, kind, value)] with kind 'u32', 'i32', 'i8', 'u8', 'off'."""
    b.StartObject(max(fields.values()) + 1)
    prepend = {"u32": b.PrependUint32Slot, "i32": b.PrependInt32Slot, "i8": b.PrependInt8Slot,
               "u8": b.PrependUint8Slot, "off": b.PrependUOffsetTRelativeSlot}
    for field, kind, value in values:
        if kind == "off":
            prepend[kind](fields[field], value, 0)
        else:
            b.PrependSlot({"u32": flatbuffers.number_types.Uint32Flags, "i32": flatbuffers.number_types.Int32Flags,
                           "i8": flatbuffers.number_types.Int8Flags,
                           "u8": flatbuffers.number_types.Uint8Flags}[kind], fields[field], value, None)
    return b.EndObject()


def _buffer(b, data):
    if not data:
        return _table(b, BUFFER, [])
    b.StartVector(1, len(data), 16)  # schema: data:[ubyte] (force_align: 16)
    for byte in reversed(data):
        b.PrependUint8(byte)
    return _table(b, BUFFER, [("data", "off", b.EndVector())])


def _floats(values):
    return struct.pack("<%df" % len(values), *values)


def build_model(op, tensors, op_inputs, op_outputs, graph_inputs, graph_outputs, buffers, options_type):
    """tensors: [(name, shape, buffer index)]; buffers: [bytes] (index 0 must be empty)."""
    b = flatbuffers.Builder(1024)
    runtime = b"1.5.0".ljust(16, b"\0")
    all_buffers = list(buffers) + [runtime]
    buffer_offsets = [_buffer(b, data) for data in all_buffers]

    tensor_offsets = []
    for name, shape, buffer_index in tensors:
        name_off = b.CreateString(name)
        shape_off = _int_vector(b, shape)
        quant = _table(b, dict(min=0), [])  # the converter writes an empty QuantizationParameters for float tensors
        tensor_offsets.append(_table(b, TENSOR, [("shape", "off", shape_off), ("type", "i8", FLOAT32),
                                                 ("buffer", "u32", buffer_index), ("name", "off", name_off),
                                                 ("quantization", "off", quant)]))
    options = _table(b, dict(fused_activation_function=0), [])  # NONE, the default
    operator = _table(b, OPERATOR, [("opcode_index", "u32", 0), ("inputs", "off", _int_vector(b, op_inputs)),
                                    ("outputs", "off", _int_vector(b, op_outputs)),
                                    ("builtin_options_type", "u8", options_type),
                                    ("builtin_options", "off", options)])
    subgraph = _table(b, SUBGRAPH, [("tensors", "off", _offset_vector(b, tensor_offsets)),
                                    ("inputs", "off", _int_vector(b, graph_inputs)),
                                    ("outputs", "off", _int_vector(b, graph_outputs)),
                                    ("operators", "off", _offset_vector(b, [operator])),
                                    ("name", "off", b.CreateString("main"))])
    opcode = _table(b, OPERATOR_CODE, [("deprecated_builtin_code", "i8", op), ("version", "i32", 1),
                                       ("builtin_code", "i32", op)])
    metadata = _table(b, METADATA, [("name", "off", b.CreateString("min_runtime_version")),
                                    ("buffer", "u32", len(all_buffers) - 1)])

    def tensor_map(name, index):
        return _table(b, TENSOR_MAP, [("name", "off", b.CreateString(name)), ("tensor_index", "u32", index)])

    signature = _table(b, SIGNATURE_DEF, [
        ("inputs", "off", _offset_vector(b, [tensor_map("x", graph_inputs[0])])),
        ("outputs", "off", _offset_vector(b, [tensor_map("output_0", graph_outputs[0])])),
        ("signature_key", "off", b.CreateString("serving_default")), ("subgraph_index", "u32", 0)])
    model = _table(b, MODEL, [("version", "u32", 3), ("operator_codes", "off", _offset_vector(b, [opcode])),
                              ("subgraphs", "off", _offset_vector(b, [subgraph])),
                              ("description", "off", b.CreateString("MLIR Converted.")),
                              ("buffers", "off", _offset_vector(b, buffer_offsets)),
                              ("metadata", "off", _offset_vector(b, [metadata])),
                              ("signature_defs", "off", _offset_vector(b, [signature]))])
    b.Finish(model, file_identifier=b"TFL3")
    data = bytes(b.Output())
    _check(data, len(all_buffers))
    return data


def _check(data, buffer_count):
    """Reads the root table back with flatbuffers' own Table accessor: identifier, version, vector lengths."""
    assert data[4:8] == b"TFL3"
    root = fb_table.Table(data, flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0))

    def vector_len(field):
        o = root.Offset(4 + 2 * MODEL[field])
        return root.VectorLen(o) if o else 0

    version = root.Get(flatbuffers.number_types.Uint32Flags, root.Pos + root.Offset(4 + 2 * MODEL["version"]))
    assert version == 3 and vector_len("subgraphs") == 1 and vector_len("buffers") == buffer_count


def gen_tflite():
    w = [0.1 * (i - 6) for i in range(12)]  # (3, 4) weights of a Dense(3) layer, row-major (out, in)
    bias = [0.5, -0.25, 0.0]
    dense = build_model(
        FULLY_CONNECTED,
        [("serving_default_x:0", [1, 4], 1), ("sequential/dense/MatMul", [3, 4], 2),
         ("sequential/dense/BiasAdd/ReadVariableOp", [3], 3), ("StatefulPartitionedCall:0", [1, 3], 4)],
        [0, 1, 2], [3], [0], [3], [b"", b"", _floats(w), _floats(bias), b""], FULLY_CONNECTED_OPTIONS)
    write_bytes("tflite_fully_connected.tflite", dense)
    record("tflite_fully_connected.tflite", "generator",
           "TensorFlow Lite FlatBuffer (schema v3, identifier TFL3): one subgraph with a FULLY_CONNECTED op "
           "(input [1,4], float32 weights [3,4] and bias [3] in buffers, output [1,3]), min_runtime_version metadata "
           "and a serving_default SignatureDef")
    add = build_model(
        ADD, [("serving_default_x:0", [1, 4], 1), ("add/y", [4], 2), ("StatefulPartitionedCall:0", [1, 4], 3)],
        [0, 1], [2], [0], [2], [b"", b"", _floats([1.0, 2.0, 3.0, 4.0]), b""], ADD_OPTIONS)
    write_bytes("tflite_add.tflite", add)
    record("tflite_add.tflite", "generator",
           "TensorFlow Lite FlatBuffer: one ADD op of the input and a float32 constant [4]")
