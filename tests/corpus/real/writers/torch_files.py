"""PyTorch: state dicts, full training checkpoints, whole modules, tensors of every dtype and layout, legacy and zip
serialization, and TorchScript (torch.jit.script / torch.jit.trace + torch.jit.save)."""

import argparse
import random

from .common import out, record, version_label


def _models(torch):
    nn = torch.nn
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Dropout(0.1), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))
    rnn = nn.ModuleDict({"embedding": nn.Embedding(10, 4, padding_idx=0),
                         "lstm": nn.LSTM(4, 3, batch_first=True),
                         "gru": nn.GRU(3, 3, bidirectional=True),
                         "head": nn.Linear(6, 2)})
    layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    transformer = nn.Sequential(nn.Embedding(12, 8), nn.TransformerEncoder(layer, num_layers=2),
                                nn.LayerNorm(8), nn.Linear(8, 4))
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    return {"cnn": cnn, "rnn": rnn, "transformer": transformer, "attention": attention, "mlp": _mlp(torch)}


def _mlp(torch):
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


MODEL_TEXT = {
    "cnn": "nn.Sequential(Conv2d, BatchNorm2d, ReLU, MaxPool2d, Dropout, Flatten, Linear)",
    "rnn": "nn.ModuleDict(Embedding(padding_idx=0), LSTM(batch_first), GRU(bidirectional), Linear)",
    "transformer": "nn.Sequential(Embedding, TransformerEncoder(2 x TransformerEncoderLayer(d_model=8, nhead=2)), "
                   "LayerNorm, Linear)",
    "attention": "nn.MultiheadAttention(8, 2)",
}


def _train_step(torch, model, opt):
    x = torch.randn(2, 4)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _checkpoints(torch):
    """(stem, optimizer text, scheduler text, factory) for each optimizer/scheduler pair users save."""
    sched = torch.optim.lr_scheduler
    return [
        ("sgd_steplr", "SGD(momentum=0.9, nesterov=True)", "StepLR(step_size=1, gamma=0.5)",
         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
         lambda o: sched.StepLR(o, step_size=1, gamma=0.5)),
        ("adam_cosine", "Adam(amsgrad=True)", "CosineAnnealingLR(T_max=10)",
         lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
         lambda o: sched.CosineAnnealingLR(o, T_max=10)),
        ("adamw_onecycle", "AdamW(weight_decay=0.01)", "OneCycleLR(max_lr=0.1, total_steps=10)",
         lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
         lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=10)),
        ("rmsprop_plateau", "RMSprop(centered=True)", "ReduceLROnPlateau(patience=1)",
         lambda p: torch.optim.RMSprop(p, lr=0.01, centered=True),
         lambda o: sched.ReduceLROnPlateau(o, patience=1)),
        ("sgd_lambdalr", "SGD()", "LambdaLR(lr_lambda=lambda epoch: 0.9 ** epoch) (state_dict stores None for a "
                                  "plain function)",
         lambda p: torch.optim.SGD(p, lr=0.1),
         lambda o: sched.LambdaLR(o, lr_lambda=lambda epoch: 0.9 ** epoch)),
    ]


def gen_torch(torch):
    import numpy as np
    v = version_label(torch.__version__, "python3-torch")  # Debian's build reports 1.13.0a0 for 1.13.1
    torch.manual_seed(0)
    mlp = _mlp(torch)

    # Files that existed before: keep their names and content.
    torch.save(mlp.state_dict(), out("torch_state_dict.pt"))
    record("torch_state_dict.pt", "torch", v,
           "torch.save(state_dict) of nn.Sequential(Linear(4,8), ReLU, Linear(8,2)), default zip format")
    torch.save(mlp.state_dict(), out("torch_state_dict_legacy.pt"), _use_new_zipfile_serialization=False)
    record("torch_state_dict_legacy.pt", "torch", v,
           "torch.save(state_dict, _use_new_zipfile_serialization=False) of the same Sequential, legacy "
           "(pre-1.6) format: magic/protocol/sys_info pickles, data pickle, storage keys, raw storages")
    torch.save(mlp, out("torch_full_model.pt"))
    record("torch_full_model.pt", "torch", v,
           "torch.save(model) of the whole nn.Sequential (pickles torch.nn.modules.container.Sequential, "
           "torch.nn.modules.linear.Linear, torch.nn.modules.activation.ReLU, torch._utils._rebuild_parameter), "
           "default zip format")
    opt = torch.optim.Adam(mlp.parameters(), lr=0.01)
    loss = mlp(torch.randn(5, 4)).pow(2).mean()
    loss.backward()
    opt.step()
    torch.save(opt.state_dict(), out("torch_adam_state_dict.pt"))
    record("torch_adam_state_dict.pt", "torch", v,
           "torch.save(optimizer.state_dict()) of torch.optim.Adam after one step (state: step/exp_avg/exp_avg_sq "
           "tensors per parameter; param_groups with floats, bools, None), default zip format")

    # State dicts of common layer families, zip and legacy.
    models = _models(torch)
    for key, text in MODEL_TEXT.items():
        sd = models[key].state_dict()
        torch.save(sd, out("torch_sd_%s.pt" % key))
        record("torch_sd_%s.pt" % key, "torch", v, "torch.save(state_dict) of %s, zip format" % text)
        torch.save(sd, out("torch_sd_%s_legacy.pt" % key), _use_new_zipfile_serialization=False)
        record("torch_sd_%s_legacy.pt" % key, "torch", v,
               "torch.save(state_dict, _use_new_zipfile_serialization=False) of %s, legacy format" % text)

    # Whole standard modules (torch.save(model)): pickles the nn classes themselves.
    for key in ("cnn", "rnn", "transformer"):
        torch.save(models[key], out("torch_full_%s.pt" % key))
        record("torch_full_%s.pt" % key, "torch", v, "torch.save(model) of the whole %s, zip format" % MODEL_TEXT[key])
    torch.save(models["cnn"], out("torch_full_cnn_legacy.pt"), _use_new_zipfile_serialization=False)
    record("torch_full_cnn_legacy.pt", "torch", v,
           "torch.save(model, _use_new_zipfile_serialization=False) of the whole %s, legacy format" % MODEL_TEXT["cnn"])

    # Full training checkpoints: model + optimizer + scheduler state, epoch, loss, argparse args, RNG states.
    for stem, opt_text, sched_text, make_opt, make_sched in _checkpoints(torch):
        torch.manual_seed(0)
        model = _mlp(torch)
        opt = make_opt(model.parameters())
        scheduler = make_sched(opt)
        loss = _train_step(torch, model, opt)
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        else:
            scheduler.step()
        args = argparse.Namespace(lr=0.1, epochs=3, batch_size=2, seed=0, arch="mlp", data="data/train.csv",
                                  amp=False, milestones=[1, 2])
        checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                      "scheduler": scheduler.state_dict(), "epoch": 3, "loss": 0.1, "best_acc": torch.tensor(0.75),
                      "args": args, "rng_state": torch.get_rng_state(), "numpy_rng_state": np.random.get_state(),
                      "python_rng_state": random.getstate(), "config": {"hidden": [8], "dropout": 0.0}}
        what = ("torch.save of a training checkpoint dict {model: state_dict, optimizer: %s.state_dict(), "
                "scheduler: %s.state_dict(), epoch, loss, best_acc tensor, args: argparse.Namespace, "
                "rng_state: torch.get_rng_state(), numpy_rng_state: np.random.get_state(), "
                "python_rng_state: random.getstate(), config dict}" % (opt_text, sched_text))
        torch.save(checkpoint, out("torch_checkpoint_%s.pt" % stem))
        record("torch_checkpoint_%s.pt" % stem, "torch", v, what + ", zip format")
        if stem == "sgd_steplr":
            torch.save(checkpoint, out("torch_checkpoint_%s_legacy.pt" % stem), _use_new_zipfile_serialization=False)
            record("torch_checkpoint_%s_legacy.pt" % stem, "torch", v, what + ", legacy format")

    # A checkpoint whose args hold a pathlib.Path, as argparse(type=Path) gives.
    import pathlib
    torch.save({"model": mlp.state_dict(), "epoch": 1,
                "args": argparse.Namespace(data_dir=pathlib.PurePosixPath("data"), out=pathlib.Path("runs/exp1"))},
               out("torch_checkpoint_path_args.pt"))
    record("torch_checkpoint_path_args.pt", "torch", v,
           "torch.save({model, epoch, args: argparse.Namespace(data_dir=PurePosixPath, out=Path)}) "
           "(argparse type=pathlib.Path pickles pathlib.PosixPath / PurePosixPath), zip format")

    _gen_tensors(torch, v)
    _gen_torchscript(torch, v, models)

    # Legacy raw storages start with their element count (little-endian int64): 128 elements -> first byte 0x80,
    # the PROTO opcode, where the 5 pickles of the legacy format have already ended.
    torch.manual_seed(0)
    torch.save({"embedding.weight": torch.randn(16, 8)}, out("torch_sd_128_elements_legacy.pt"),
               _use_new_zipfile_serialization=False)
    record("torch_sd_128_elements_legacy.pt", "torch", v,
           "torch.save({'embedding.weight': 16x8 float32 tensor}, _use_new_zipfile_serialization=False): legacy format "
           "whose one raw storage starts with its element count 128, byte 0x80 (the pickle PROTO opcode) right "
           "after the five pickles")


def _gen_tensors(torch, v):
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32)
    tensors = {
        "float32": torch.randn(2, 3), "float64": torch.randn(2, dtype=torch.float64),
        "float16": torch.randn(3).half(), "bfloat16": torch.randn(3).bfloat16(),
        "int8": torch.tensor([1, -2], dtype=torch.int8), "uint8": torch.tensor([1, 2], dtype=torch.uint8),
        "int16": torch.tensor([3], dtype=torch.int16), "int32": torch.tensor([4], dtype=torch.int32),
        "int64": torch.tensor([5, 6]), "bool": torch.tensor([True, False]),
        "complex64": torch.tensor([1 + 2j], dtype=torch.complex64),
        "complex128": torch.tensor([3 - 1j], dtype=torch.complex128),
        "scalar": torch.tensor(1.5), "empty": torch.empty(0, 3),
        "view": base[2:8].view(2, 3), "shared_storage": base, "transposed": base.view(3, 4).t(),
        "parameter": torch.nn.Parameter(torch.ones(2)),
        "requires_grad": torch.ones(2, requires_grad=True),
        "sparse_coo": torch.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2)),
        "sparse_csr": torch.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse_csr(),
        "quantized": torch.quantize_per_tensor(torch.tensor([0.5, 1.0]), 0.1, 0, torch.quint8),
        "quantized_per_channel": torch.quantize_per_channel(torch.ones(2, 2), torch.tensor([0.1, 0.2]),
                                                            torch.tensor([0, 0]), 0, torch.qint8),
        "size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu"),
        "list": [torch.zeros(1), (torch.ones(1), 2)], "none": None,
    }
    torch.save(tensors, out("torch_tensors.pt"))
    record("torch_tensors.pt", "torch", v,
           "torch.save of a dict of tensors of every dtype (float16/32/64, bfloat16, int8-64, uint8, bool, "
           "complex64/128), a scalar, an empty tensor, views sharing one storage, a transposed view, an "
           "nn.Parameter, a requires_grad tensor, sparse COO and CSR, per-tensor and per-channel quantized "
           "tensors, torch.Size, torch.dtype, torch.device, nested list/tuple, zip format")
    torch.save(torch.randn(3, 2), out("torch_single_tensor.pt"))
    record("torch_single_tensor.pt", "torch", v, "torch.save of one float32 tensor, zip format")
    dense = {k: t for k, t in tensors.items() if k not in ("sparse_csr",)}  # the legacy writer refuses CSR
    torch.save(dense, out("torch_tensors_legacy.pt"), _use_new_zipfile_serialization=False)
    record("torch_tensors_legacy.pt", "torch", v,
           "the same dict (without the CSR tensor) saved with _use_new_zipfile_serialization=False, legacy format")


def _gen_torchscript(torch, v, models):
    nn = torch.nn

    class Gate(nn.Module):  # scripted: control flow, int lists, a submodule, a buffer, a constant
        __constants__ = ["scale"]

        def __init__(self):
            super().__init__()
            self.scale = 2
            self.fc = nn.Linear(4, 4)
            self.register_buffer("offset", torch.zeros(4))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            sizes = [x.size(0), 4]
            y = self.fc(x).view(sizes) + self.offset
            if bool(y.sum() > 0):
                y = torch.relu(y) * self.scale
            return torch.nn.functional.max_pool1d(y.unsqueeze(0), kernel_size=[2], stride=[2]).squeeze(0)

    torch.manual_seed(0)
    scripted = {
        "script_cnn": (torch.jit.script(models["cnn"].eval()), "torch.jit.script of %s" % MODEL_TEXT["cnn"]),
        "script_gate": (torch.jit.script(Gate().eval()),
                        "torch.jit.script of a module with control flow, an int list, a buffer, a constant and an "
                        "nn.Linear submodule"),
        "trace_mlp": (torch.jit.trace(models["mlp"].eval(), torch.randn(1, 4)),
                      "torch.jit.trace of nn.Sequential(Linear, ReLU, Linear)"),
        "script_transformer": (torch.jit.script(models["transformer"].eval()),
                               "torch.jit.script of %s" % MODEL_TEXT["transformer"]),
    }
    for stem, (module, what) in scripted.items():
        name = "torchscript_%s.pt" % stem
        torch.jit.save(module, out(name))
        record(name, "torch", v, what + " + torch.jit.save (TorchScript zip: data.pkl, constants.pkl, code/**.py, "
                                        "code/**.debug_pkl)")
