"""Core ML: a .mlmodel (protobuf Model: specificationVersion, description with inputs/outputs/metadata, and a
glmRegressor) and a .mlpackage folder (Manifest.json, Data/com.apple.CoreML/model.mlmodel holding an ML program whose
weight is a BlobFileValue into weights/weight.bin, a MIL blob-storage file). coremltools is not in Debian: the
messages are declared here with protobuf's descriptor API, field numbers and types as in Core ML's Model.proto,
FeatureTypes.proto, GLMRegressor.proto and MIL.proto (only the fields used), and encoded by python3-protobuf."""

import json
import struct
import uuid

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from .common import record, support, write_bytes, write_text

F = descriptor_pb2.FieldDescriptorProto
OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED


def _message(file, name, fields, oneofs=(), nested=()):
    m = file.message_type.add(name=name) if not isinstance(file, descriptor_pb2.DescriptorProto) \
        else file.nested_type.add(name=name)
    for oneof in oneofs:
        m.oneof_decl.add(name=oneof)
    for number, field_name, ftype, label, type_name, oneof in fields:
        f = m.field.add(name=field_name, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof
    for n in nested:
        n(m)
    return m


def _map_entry(name, value_type, value_type_name=None):
    def add(parent):
        entry = parent.nested_type.add(name=name)
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=OPT)
        v = entry.field.add(name="value", number=2, type=value_type, label=OPT)
        if value_type_name:
            v.type_name = value_type_name
    return add


def _classes():
    fd = descriptor_pb2.FileDescriptorProto(name="mlbuildguard_coreml_subset.proto", package="CoreML.Specification",
                                            syntax="proto3")
    S = ".CoreML.Specification."
    M = S + "MILSpec."
    msg, T = _message, F
    arr = fd.enum_type.add(name="ArrayDataType")
    for n, v in (("INVALID_ARRAY_DATA_TYPE", 0), ("FLOAT32", 65568), ("DOUBLE", 65600), ("INT32", 131104)):
        arr.value.add(name=n, number=v)
    mil = fd.enum_type.add(name="MILDataType")  # MILSpec.DataType
    for n, v in (("UNUSED_TYPE", 0), ("FLOAT32", 11)):
        mil.value.add(name=n, number=v)
    msg(fd, "DoubleFeatureType", [])
    msg(fd, "ArrayFeatureType", [(1, "shape", T.TYPE_INT64, REP, None, None),
                                 (2, "dataType", T.TYPE_ENUM, OPT, S + "ArrayDataType", None)])
    msg(fd, "FeatureType", [(2, "doubleType", T.TYPE_MESSAGE, OPT, S + "DoubleFeatureType", 0),
                            (5, "multiArrayType", T.TYPE_MESSAGE, OPT, S + "ArrayFeatureType", 0),
                            (1000, "isOptional", T.TYPE_BOOL, OPT, None, None)], oneofs=["Type"])
    msg(fd, "FeatureDescription", [(1, "name", T.TYPE_STRING, OPT, None, None),
                                   (2, "shortDescription", T.TYPE_STRING, OPT, None, None),
                                   (3, "type", T.TYPE_MESSAGE, OPT, S + "FeatureType", None)])
    msg(fd, "Metadata", [(1, "shortDescription", T.TYPE_STRING, OPT, None, None),
                         (2, "versionString", T.TYPE_STRING, OPT, None, None),
                         (3, "author", T.TYPE_STRING, OPT, None, None), (4, "license", T.TYPE_STRING, OPT, None, None),
                         (100, "userDefined", T.TYPE_MESSAGE, REP, S + "Metadata.UserDefinedEntry", None)],
        nested=[_map_entry("UserDefinedEntry", T.TYPE_STRING)])
    msg(fd, "ModelDescription", [(1, "input", T.TYPE_MESSAGE, REP, S + "FeatureDescription", None),
                                 (10, "output", T.TYPE_MESSAGE, REP, S + "FeatureDescription", None),
                                 (11, "predictedFeatureName", T.TYPE_STRING, OPT, None, None),
                                 (100, "metadata", T.TYPE_MESSAGE, OPT, S + "Metadata", None)])
    msg(fd, "DoubleArray", [(1, "value", T.TYPE_DOUBLE, REP, None, None)])  # GLMRegressor.DoubleArray
    msg(fd, "GLMRegressor", [(1, "weights", T.TYPE_MESSAGE, REP, S + "DoubleArray", None),
                             (2, "offset", T.TYPE_DOUBLE, REP, None, None),
                             (3, "postEvaluationTransform", T.TYPE_INT32, OPT, None, None)])
    # MILSpec (package CoreML.Specification.MILSpec in MIL.proto; declared as nested names here, same wire format)
    milfd = descriptor_pb2.FileDescriptorProto(name="mlbuildguard_mil_subset.proto",
                                               package="CoreML.Specification.MILSpec", syntax="proto3",
                                               dependency=[fd.name])
    msg(milfd, "ConstantDimension", [(1, "size", T.TYPE_UINT64, OPT, None, None)])
    msg(milfd, "Dimension", [(1, "constant", T.TYPE_MESSAGE, OPT, M + "ConstantDimension", 0)], oneofs=["dimension"])
    msg(milfd, "TensorType", [(1, "dataType", T.TYPE_ENUM, OPT, S + "MILDataType", None),
                              (2, "rank", T.TYPE_INT64, OPT, None, None),
                              (3, "dimensions", T.TYPE_MESSAGE, REP, M + "Dimension", None)])
    msg(milfd, "ValueType", [(1, "tensorType", T.TYPE_MESSAGE, OPT, M + "TensorType", 0)], oneofs=["type"])
    msg(milfd, "RepeatedFloats", [(1, "values", T.TYPE_FLOAT, REP, None, None)])
    msg(milfd, "RepeatedStrings", [(1, "values", T.TYPE_STRING, REP, None, None)])
    msg(milfd, "TensorValue", [(1, "floats", T.TYPE_MESSAGE, OPT, M + "RepeatedFloats", 0),
                               (4, "strings", T.TYPE_MESSAGE, OPT, M + "RepeatedStrings", 0)], oneofs=["value"])
    msg(milfd, "ImmediateValue", [(1, "tensor", T.TYPE_MESSAGE, OPT, M + "TensorValue", 0)], oneofs=["value"])
    msg(milfd, "BlobFileValue", [(1, "fileName", T.TYPE_STRING, OPT, None, None),
                                 (2, "offset", T.TYPE_UINT64, OPT, None, None)])
    msg(milfd, "Value", [(1, "docString", T.TYPE_STRING, OPT, None, None),
                         (2, "type", T.TYPE_MESSAGE, OPT, M + "ValueType", None),
                         (3, "immediateValue", T.TYPE_MESSAGE, OPT, M + "ImmediateValue", 0),
                         (5, "blobFileValue", T.TYPE_MESSAGE, OPT, M + "BlobFileValue", 0)], oneofs=["value"])
    msg(milfd, "NamedValueType", [(1, "name", T.TYPE_STRING, OPT, None, None),
                                  (2, "type", T.TYPE_MESSAGE, OPT, M + "ValueType", None)])
    msg(milfd, "Binding", [(1, "name", T.TYPE_STRING, OPT, None, 0), (2, "value", T.TYPE_MESSAGE, OPT, M + "Value", 0)],
        oneofs=["binding"])  # Argument.Binding
    msg(milfd, "Argument", [(1, "arguments", T.TYPE_MESSAGE, REP, M + "Binding", None)])
    msg(milfd, "Operation", [(1, "type", T.TYPE_STRING, OPT, None, None),
                             (2, "inputs", T.TYPE_MESSAGE, REP, M + "Operation.InputsEntry", None),
                             (3, "outputs", T.TYPE_MESSAGE, REP, M + "NamedValueType", None),
                             (5, "attributes", T.TYPE_MESSAGE, REP, M + "Operation.AttributesEntry", None)],
        nested=[_map_entry("InputsEntry", T.TYPE_MESSAGE, M + "Argument"),
                _map_entry("AttributesEntry", T.TYPE_MESSAGE, M + "Value")])
    msg(milfd, "Block", [(2, "outputs", T.TYPE_STRING, REP, None, None),
                         (3, "operations", T.TYPE_MESSAGE, REP, M + "Operation", None)])
    msg(milfd, "Function", [(1, "inputs", T.TYPE_MESSAGE, REP, M + "NamedValueType", None),
                            (2, "opset", T.TYPE_STRING, OPT, None, None),
                            (3, "block_specializations", T.TYPE_MESSAGE, REP, M + "Function.BlockSpecializationsEntry",
                             None)],
        nested=[_map_entry("BlockSpecializationsEntry", T.TYPE_MESSAGE, M + "Block")])
    msg(milfd, "Program", [(1, "version", T.TYPE_INT64, OPT, None, None),
                           (2, "functions", T.TYPE_MESSAGE, REP, M + "Program.FunctionsEntry", None)],
        nested=[_map_entry("FunctionsEntry", T.TYPE_MESSAGE, M + "Function")])
    msg(fd, "Model", [])  # declared after MIL below
    model = fd.message_type[-1]
    for number, name, ftype, label, type_name, oneof in [
            (1, "specificationVersion", T.TYPE_INT32, OPT, None, None),
            (2, "description", T.TYPE_MESSAGE, OPT, S + "ModelDescription", None),
            (10, "isUpdatable", T.TYPE_BOOL, OPT, None, None),
            (300, "glmRegressor", T.TYPE_MESSAGE, OPT, S + "GLMRegressor", 0),
            (502, "mlProgram", T.TYPE_MESSAGE, OPT, M + "Program", 0)]:
        f = model.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof
    model.oneof_decl.add(name="Type")
    fd.dependency.append(milfd.name)
    # The two files refer to each other (Model -> Program, MIL -> MILDataType): move the MIL enum into the MIL file.
    milfd.dependency.remove(fd.name)
    milfd.enum_type.add().CopyFrom(fd.enum_type[1])
    del fd.enum_type[1]
    for m in milfd.message_type:
        for f in m.field:
            if f.type_name == S + "MILDataType":
                f.type_name = M + "MILDataType"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(milfd)
    pool.Add(fd)
    get = message_factory.MessageFactory(pool).GetPrototype
    return {name: get(pool.FindMessageTypeByName(name)) for name in
            ["CoreML.Specification." + n for n in ("Model", "FeatureType")] +
            ["CoreML.Specification.MILSpec." + n for n in ("Value", "NamedValueType", "ValueType")]}


def _glm_model(cls):
    m = cls["CoreML.Specification.Model"]()
    m.specificationVersion = 1
    for name in ("x1", "x2", "x3"):
        f = m.description.input.add(name=name, shortDescription="feature %s" % name)
        f.type.doubleType.SetInParent()
    out = m.description.output.add(name="y", shortDescription="prediction")
    out.type.doubleType.SetInParent()
    m.description.predictedFeatureName = "y"
    meta = m.description.metadata
    meta.shortDescription, meta.author, meta.license, meta.versionString = \
        "Linear regression (MlBuildGuard test corpus)", "MlBuildGuard", "MIT", "1.0"
    meta.userDefined["com.github.apple.coremltools.source"] = "scikit-learn"
    m.glmRegressor.weights.add().value.extend([0.5, -1.25, 2.0])
    m.glmRegressor.offset.append(0.1)
    return m


def _tensor_type(vt, shape):
    vt.tensorType.dataType = 11  # FLOAT32
    vt.tensorType.rank = len(shape)
    for d in shape:
        vt.tensorType.dimensions.add().constant.size = d


def _ml_program(cls, weight_offset):
    m = cls["CoreML.Specification.Model"]()
    m.specificationVersion = 6  # ML programs need Core ML 5 (iOS 15) or later
    for desc, name, shape in ((m.description.input, "x", [1, 4]), (m.description.output, "y", [1, 3])):
        f = desc.add(name=name)
        f.type.multiArrayType.shape.extend(shape)
        f.type.multiArrayType.dataType = 65568  # FLOAT32
    m.description.metadata.shortDescription = "Linear layer as an ML program (MlBuildGuard test corpus)"
    program = m.mlProgram
    program.version = 1
    function = program.functions["main"]
    function.opset = "CoreML5"
    x = function.inputs.add(name="x")
    _tensor_type(x.type, [1, 4])
    block = function.block_specializations["CoreML5"]

    def const(name, shape, fill):
        op = block.operations.add(type="const")
        out = op.outputs.add(name=name)
        _tensor_type(out.type, shape)
        op.attributes["name"].immediateValue.tensor.strings.values.append(name)
        val = op.attributes["val"]
        _tensor_type(val.type, shape)
        fill(val)

    def blob(v):
        v.blobFileValue.fileName = "@model_path/weights/weight.bin"
        v.blobFileValue.offset = weight_offset

    const("linear_weight", [3, 4], blob)
    const("linear_bias", [3], lambda v: v.immediateValue.tensor.floats.values.extend([0.5, -0.25, 0.0]))
    linear = block.operations.add(type="linear")
    for arg, source in (("x", "x"), ("weight", "linear_weight"), ("bias", "linear_bias")):
        linear.inputs[arg].arguments.add(name=source)
    _tensor_type(linear.outputs.add(name="y").type, [1, 3])
    block.outputs.append("y")
    return m


def _blob_storage(floats):
    """MIL blob storage v2: a 64-byte storage_header (count, version=2), then per blob a 64-byte blob_metadata
    (sentinel 0xDEADBEEF, mil_dtype Float32=2, sizeInBytes, offset of the data) and the data, each 64-byte aligned.
    Returns (bytes, offset of the first blob_metadata, which the program's BlobFileValue names)."""
    data = struct.pack("<%df" % len(floats), *floats)
    header = struct.pack("<II7Q", 1, 2, *([0] * 7))
    metadata = struct.pack("<IIQQ5Q", 0xDEADBEEF, 2, len(data), 128, *([0] * 5))
    return header + metadata + data, 64


def gen_coreml():
    cls = _classes()
    glm = _glm_model(cls)
    raw = glm.SerializeToString(deterministic=True)
    assert cls["CoreML.Specification.Model"].FromString(raw) == glm
    write_bytes("coreml_glm_regressor.mlmodel", raw)
    record("coreml_glm_regressor.mlmodel", "generator",
           "Core ML .mlmodel (protobuf Model, specificationVersion 1): 3 double inputs, 1 double output, metadata "
           "with userDefined, glmRegressor with weights and offset")

    weights, offset = _blob_storage([0.1 * (i - 6) for i in range(12)])
    program = _ml_program(cls, offset).SerializeToString(deterministic=True)
    package = "coreml_linear.mlpackage/"
    write_bytes(package + "Data/com.apple.CoreML/model.mlmodel", program)
    write_bytes(package + "Data/com.apple.CoreML/weights/weight.bin", weights)
    model_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "mlbuildguard/coreml_linear/model")).upper()
    weights_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "mlbuildguard/coreml_linear/weights")).upper()
    manifest = {"fileFormatVersion": "1.0.0",
                "itemInfoEntries": {
                    model_id: {"author": "com.apple.CoreML", "description": "CoreML Model Specification",
                               "name": "model.mlmodel", "path": "com.apple.CoreML/model.mlmodel"},
                    weights_id: {"author": "com.apple.CoreML", "description": "CoreML Model Weights",
                                 "name": "weights", "path": "com.apple.CoreML/weights"}},
                "rootModelIdentifier": model_id}
    write_text(package + "Manifest.json", json.dumps(manifest, indent=4, sort_keys=True) + "\n")
    record(package.rstrip("/"), "generator",
           "Core ML .mlpackage folder: Manifest.json (fileFormatVersion 1.0.0, itemInfoEntries, rootModelIdentifier), "
           "Data/com.apple.CoreML/model.mlmodel (ML program, specificationVersion 6, main function with const + "
           "linear ops, the weight a BlobFileValue into @model_path/weights/weight.bin) and the MIL blob-storage "
           "weights/weight.bin")
    record(package + "Data/com.apple.CoreML/model.mlmodel", "generator",
           "the .mlpackage's model.mlmodel on its own: a Core ML Model holding an mlProgram")
    support(package + "Manifest.json")
    support(package + "Data/com.apple.CoreML/weights/weight.bin")
