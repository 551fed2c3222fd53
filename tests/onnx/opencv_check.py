#!/usr/bin/python3
"""Checks accelnas' ONNX exports with tools nobody here wrote: every PREFIX.onnx in DIR must pass
onnx.checker.check_model(full_check=True) (full shape inference), and OpenCV's DNN module must
run it on PREFIX.input.bin and match accelnas' own output PREFIX.output.bin within 1e-4 relative
(max |opencv - accelnas| / max |accelnas|).

OpenCV 4.6 reads Clip only in its opset-6 form (min/max attributes, one input); for OpenCV alone the
check rewrites Clip(x, 0, 6) into that form (the model checked by ONNX's checker is the one written).

usage: opencv_check.py DIR NAME..."""
import os
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper


def opencv_compatible(model):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "Clip" and len(n.input) == 3:
            lo, hi = float(inits[n.input[1]]), float(inits[n.input[2]])
            del n.input[1:]
            n.attribute.extend([helper.make_attribute("min", lo), helper.make_attribute("max", hi)])
    return m.SerializeToString()


def main():
    d = sys.argv[1]
    worst = 0.0
    failed = []
    for name in sys.argv[2:]:
        prefix = os.path.join(d, name)
        model = onnx.load(prefix + ".onnx")
        onnx.checker.check_model(model, full_check=True)
        inp = model.graph.input[0].type.tensor_type.shape
        shape = [x.dim_value for x in inp.dim]
        x = np.fromfile(prefix + ".input.bin", dtype=np.float32).reshape(shape)
        ref = np.fromfile(prefix + ".output.bin", dtype=np.float32)
        net = cv2.dnn.readNetFromONNX(opencv_compatible(model))
        net.setInput(x)
        out = net.forward().reshape(-1)
        if out.size != ref.size:
            failed.append(f"{name}: OpenCV gives {out.size} outputs, accelnas {ref.size}")
            continue
        rel = float(np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-30))
        worst = max(worst, rel)
        print(f"{name}: checker ok, OpenCV vs accelnas max relative difference {rel:.2e} "
              f"({ref.size} outputs, max |y| {np.max(np.abs(ref)):.3g})")
        if not rel <= 1e-4:
            failed.append(f"{name}: relative difference {rel:.2e} > 1e-4")
    print(f"worst relative difference {worst:.2e} over {len(sys.argv) - 2} models")
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
