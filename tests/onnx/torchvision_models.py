#!/usr/bin/python3
"""Exports torchvision models (random weights) to ONNX with PyTorch's own exporter and records
PyTorch's own counts of them: conv/linear MACs by forward hooks, conv/linear parameters and batch-norm
parameters. The ctest fixture runs this once; the import tests read the files it writes.

usage: torchvision_models.py OUT_DIR [MODEL ...]"""
import json
import os
import sys

import torch
import torchvision

# name -> (input size, the accelnas zoo model of the same name, or None)
MODELS = {
    "mobilenet_v2": (64, "mobilenet_v2"),
    "mobilenet_v3_large": (64, "mobilenet_v3_large"),
    "mobilenet_v3_small": (64, None),
    "mnasnet1_0": (64, "mnasnet_a1"),
    "efficientnet_b0": (64, "efficientnet_b0"),
    "resnet50": (64, "resnet50_v1"),
    "squeezenet1_0": (64, "squeezenet"),
    "densenet121": (64, "densenet121"),
    "inception_v3": (83, "inception_v3"),  # its smallest input is 75x75
    "googlenet": (64, "inception_v1"),
}


def counts(model, size):
    macs = 0

    def hook(mod, inp, out):
        nonlocal macs
        if isinstance(mod, torch.nn.Conv2d):
            kh, kw = mod.kernel_size
            macs += out.numel() // out.shape[0] * (mod.in_channels // mod.groups) * kh * kw
        elif isinstance(mod, torch.nn.Linear):
            macs += mod.in_features * mod.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    params = sum(p.numel() for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
                 for p in m.parameters(recurse=False))
    bn = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)
             for p in m.parameters(recurse=False))
    return {"macs": macs, "params": params, "bn_params": bn}


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    summary = {}
    for name in names:
        size, zoo = MODELS[name]
        path = os.path.join(out, f"{name}_{size}.onnx")
        kwargs = {"weights": None}
        if name in ("inception_v3", "googlenet"):
            kwargs.update(aux_logits=False, init_weights=False)
        model = getattr(torchvision.models, name)(**kwargs).eval()
        entry = counts(model, size)
        entry.update(size=size, zoo=zoo, file=path)
        if not os.path.exists(path):
            # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convs' weights).
            torch.onnx.export(model, torch.zeros(1, 3, size, size), path + ".tmp", opset_version=13,
                              training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                              output_names=["logits"])
            os.replace(path + ".tmp", path)
        summary[name] = entry
        print(name, entry, flush=True)
    with open(os.path.join(out, "torch_counts.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
