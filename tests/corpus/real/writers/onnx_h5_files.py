"""ONNX (inline and external-data models written by onnx.save_model) and plain HDF5 files written by h5py."""

import os

from .common import ENTRIES, FILES, SUPPORT, out, record, rel

def gen_onnx(onnx):
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    v = onnx.__version__
    rng = np.random.RandomState(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), name="W")
    b = numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float32), name="B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["XW"], name="matmul"),
         helper.make_node("Add", ["XW", "B"], ["Y"], name="add")],
        "tiny_linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])],
        initializer=[w, b])
    model = helper.make_model(graph, producer_name="mlbuildguard-corpus",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)

    onnx.save_model(model, out("onnx_matmul_add.onnx"))
    record("onnx_matmul_add.onnx", "onnx", v,
           "onnx.helper MatMul+Add graph (opset 13, initializers W float32 (4,3) and B (3,)) saved with "
           "onnx.save_model, weights inline")

    ext = onnx.ModelProto()
    ext.CopyFrom(model)
    os.makedirs(os.path.join(FILES, "onnx_external"), exist_ok=True)
    onnx.save_model(ext, out("onnx_external/model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    SUPPORT.extend([rel("onnx_external/model.onnx"), rel("onnx_external/weights.bin")])
    ENTRIES.append({"file": rel("onnx_external"), "expect": "clean",
                    "why": "real onnx %s output: folder scan: the same MatMul+Add model saved with "
                           "onnx.save_model(save_as_external_data=True, all_tensors_to_one_file=True, "
                           "location='weights.bin', size_threshold=0) -> model.onnx + weights.bin" % v})


# h5py: plain HDF5 files (no Keras)
def gen_h5py(h5py):
    import numpy as np
    rng = np.random.RandomState(0)
    with h5py.File(out("h5py_datasets.h5"), "w", track_order=False) as f:
        f.attrs["description"] = "mlbuildguard corpus"
        g = f.create_group("layer0")
        g.create_dataset("kernel", data=rng.standard_normal((4, 3)).astype(np.float32), track_times=False)
        g.create_dataset("bias", data=np.zeros(3, dtype=np.float32), track_times=False)
        f.create_dataset("steps", data=np.arange(10, dtype=np.int64), track_times=False,
                         compression="gzip", chunks=(5,))
    record("h5py_datasets.h5", "h5py", "%s (HDF5 %s)" % (h5py.__version__, h5py.version.hdf5_version),
           "h5py.File with a root attribute, group layer0 with float32 datasets kernel/bias, and a chunked "
           "gzip-compressed int64 dataset (no Keras)")
