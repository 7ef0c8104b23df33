#!/usr/bin/env python3
"""export_models.py: exports the benchmark models with python3-torch (random weights, fixed
seed) in the ONNX backend-test layout: DIR/NAME/model.onnx and
DIR/NAME/test_data_set_0/{input_0.pb, output_0.pb}, the output computed by torch itself.

Models: torchvision ResNet-18 and MobileNetV2 (1x3x224x224) and a BERT-style encoder
(4 layers, hidden 256, 4 heads, FFN 1024, GELU, sequence 128, batch 1).

Usage: /usr/bin/python3 benchmarks/export_models.py OUT_DIR
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper


class EncoderLayer(torch.nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads, self.hd = heads, hidden // heads
        self.qkv = torch.nn.Linear(hidden, 3 * hidden)
        self.out = torch.nn.Linear(hidden, hidden)
        self.ln1 = torch.nn.LayerNorm(hidden)
        self.fc1 = torch.nn.Linear(hidden, ffn)
        self.fc2 = torch.nn.Linear(ffn, hidden)
        self.ln2 = torch.nn.LayerNorm(hidden)

    def forward(self, x):
        b, s, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=-1)
        q = q.reshape(b, s, self.heads, self.hd).transpose(1, 2)
        k = k.reshape(b, s, self.heads, self.hd).transpose(1, 2)
        v = v.reshape(b, s, self.heads, self.hd).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.out(ctx))
        return self.ln2(x + self.fc2(torch.nn.functional.gelu(self.fc1(x))))


class Encoder(torch.nn.Module):
    def __init__(self, layers=4, hidden=256, heads=4, ffn=1024):
        super().__init__()
        self.layers = torch.nn.ModuleList([EncoderLayer(hidden, heads, ffn) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def save(out_dir, name, model, example):
    d = os.path.join(out_dir, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, example, path, opset_version=17, input_names=["input"],
                          output_names=["output"])
        ref = model(example).numpy()
    onnx.checker.check_model(onnx.load(path))
    for kind, arr in (("input", example.numpy()), ("output", ref)):
        t = numpy_helper.from_array(np.ascontiguousarray(arr), kind)
        with open(os.path.join(d, "test_data_set_0", f"{kind}_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    print(f"{name}: {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    image = torch.randn(1, 3, 224, 224)
    save(out_dir, "resnet18", torchvision.models.resnet18().eval(), image)
    save(out_dir, "mobilenet_v2", torchvision.models.mobilenet_v2().eval(), image)
    save(out_dir, "encoder", Encoder().eval(), torch.randn(1, 128, 256))


if __name__ == "__main__":
    main()
