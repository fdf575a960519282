#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, small real files of each format (numpy only; no torch):

  safetensors  tiny ConvNeXt V2 checkpoints (widths 8-16-8-16, one block a stage, 10 classes) as
               F32, F16 and BF16, timm and transformers-style metadata
  pytorch      the same state dict as a torch.save zip (pickle protocol 2, storages by key), the
               way PyTorch >= 1.6 writes it, plus a training checkpoint wrapping it under "model"
  numpy        .npy arrays: float32/float64/float16, C and Fortran order, 1-4 dims, version 1 and 2
  cnx          (written by the fuzz make target with cnx-edge compile, from the safetensors seed)
  jpeg, png    the image fixtures of Tests/CNXEdgeTests/Fixtures

Usage: make-seeds.py OUT_DIR
"""
import io
import json
import os
import pickle
import shutil
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np

out = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(7)


def state_dict(dims=(8, 16, 8, 16), depths=(1, 1, 1, 1), classes=10):
    t = OrderedDict()

    def put(name, *shape, scale=0.1):
        t[name] = (rng.standard_normal(shape) * scale).astype(np.float32)

    put("stem.0.weight", dims[0], 3, 4, 4)
    put("stem.0.bias", dims[0])
    put("stem.1.weight", dims[0])
    put("stem.1.bias", dims[0])
    for s in range(4):
        c = dims[s]
        if s > 0:
            put(f"stages.{s}.downsample.0.weight", dims[s - 1])
            put(f"stages.{s}.downsample.0.bias", dims[s - 1])
            put(f"stages.{s}.downsample.1.weight", c, dims[s - 1], 2, 2)
            put(f"stages.{s}.downsample.1.bias", c)
        for b in range(depths[s]):
            p = f"stages.{s}.blocks.{b}."
            put(p + "conv_dw.weight", c, 1, 7, 7)
            put(p + "conv_dw.bias", c)
            put(p + "norm.weight", c)
            put(p + "norm.bias", c)
            put(p + "mlp.fc1.weight", 4 * c, c)
            put(p + "mlp.fc1.bias", 4 * c)
            put(p + "mlp.grn.weight", 4 * c)
            put(p + "mlp.grn.bias", 4 * c)
            put(p + "mlp.fc2.weight", c, 4 * c)
            put(p + "mlp.fc2.bias", c)
    put("head.norm.weight", dims[3])
    put("head.norm.bias", dims[3])
    put("head.fc.weight", classes, dims[3])
    put("head.fc.bias", classes)
    return t


def safetensors(tensors, dtype="F32", metadata=None):
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        if dtype == "F32":
            raw = a.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = a.astype("<f2").tobytes()
        else:  # BF16: the top half of each float32, rounded to nearest even
            bits = a.astype("<f4").view("<u4").astype(np.uint64)
            raw = (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


# A stand-in `torch` module, so that pickle writes the globals torch.save writes
# (torch._utils._rebuild_tensor_v2, torch.FloatStorage) without PyTorch installed.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")


class FloatStorage:
    pass


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


FloatStorage.__module__ = "torch"
_rebuild_tensor_v2.__module__ = "torch._utils"
torch.FloatStorage = FloatStorage
torch._utils = torch_utils
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


class Storage:
    def __init__(self, key, array):
        self.key, self.array = key, array


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        stride, step = [], 1
        for d in reversed(self.shape):
            stride.insert(0, step)
            step *= d
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(stride), False, OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.array.size)
        return None


def torch_save(obj_of, tensors, prefix="archive"):
    storages = OrderedDict((name, Storage(str(i), a)) for i, (name, a) in enumerate(tensors.items()))
    obj = obj_of(OrderedDict((name, Tensor(s, list(tensors[name].shape))) for name, s in storages.items()))
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as f:
        f.writestr(f"{prefix}/data.pkl", buf.getvalue())
        f.writestr(f"{prefix}/byteorder", "little")
        for s in storages.values():
            f.writestr(f"{prefix}/data/{s.key}", s.array.astype("<f4").tobytes())
        f.writestr(f"{prefix}/version", "3\n")
    return z.getvalue()


def npy(a, fortran=False, version=(1, 0)):
    b = io.BytesIO()
    np.lib.format.write_array(b, np.asfortranarray(a) if fortran else a, version=version)
    return b.getvalue()


def write(kind, name, data):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)


sd = state_dict()
write("safetensors", "tiny-f32.safetensors", safetensors(sd))
write("safetensors", "tiny-f16.safetensors", safetensors(sd, "F16", {"format": "pt"}))
write("safetensors", "tiny-bf16.safetensors", safetensors(sd, "BF16"))
write("safetensors", "tiny-2blocks.safetensors", safetensors(state_dict(depths=(2, 1, 1, 1), classes=3)))
write("pytorch", "tiny.pt", torch_save(lambda d: d, sd))
write("pytorch", "tiny-training.pt", torch_save(lambda d: {"model": d, "epoch": 3}, sd, prefix="tiny"))
for i, (dtype, shape, fortran, version) in enumerate([
    ("<f4", (1, 3, 4, 4), False, (1, 0)), ("<f8", (2, 5), True, (1, 0)), ("<f2", (7,), False, (2, 0)),
    ("<f4", (3, 2, 2), True, (2, 0)), (">f4", (4,), False, (1, 0))]):
    write("numpy", f"a{i}.npy", npy(rng.standard_normal(shape).astype(dtype), fortran, version))
fixtures = os.path.join(root, "Tests", "CNXEdgeTests", "Fixtures")
for name in sorted(os.listdir(fixtures)):
    kind = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}.get(os.path.splitext(name)[1].lower())
    if kind and os.path.getsize(os.path.join(fixtures, name)) <= 64 * 1024:
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        shutil.copy(os.path.join(fixtures, name), os.path.join(out, kind, name))
