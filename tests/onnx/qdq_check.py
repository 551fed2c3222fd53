#!/usr/bin/python3
"""Checks accelnas' int8 QDQ exports (accelnas-export --int8) with tools nobody here wrote and with
the QDQ semantics themselves: every PREFIX.onnx in DIR must pass onnx.checker.check_model
(full_check=True: full shape inference) and have the QDQ form (every Conv/Gemm weight an int8
initializer behind a per-channel DequantizeLinear on axis 0, biases int32, every op output through a
QuantizeLinear -> DequantizeLinear pair); then a small numpy evaluator of the ONNX semantics
(QuantizeLinear rounds half to even and saturates, DequantizeLinear per tensor or per axis, the float
ops in float64) runs it on PREFIX.input.bin, and the int8 codes of its output must equal those of
accelnas' int8 engine (PREFIX.output.bin dequantized with the scale and zero point of PREFIX.int8.txt)
within MAX_LSB, and so must the codes of every op's QuantizeLinear those of the same op in the
engine (PREFIX.codes.txt/.bin; reshapes, whose flattening order differs, are skipped) (the engine requantizes with fixed-point multipliers and rounds integer means half
away from zero, the QDQ graph in floating point: a code can differ by one where a value lies on a
rounding boundary, and such a difference can grow through later layers).

OpenCV 4.6 is tried too (cv2.dnn.readNetFromONNX on the QDQ model); its result is printed, not
required (see docs/onnx.md).

usage: qdq_check.py DIR MAX_LSB NAME..."""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opencv_check import finish, float_op, same_pads  # noqa: E402  the float ops and report of the float checks


def window_pads(x, k, s, a):
    if a.get('auto_pad', b'') == b'SAME_UPPER':
        ph = same_pads(x.shape[2], k[0], s[0]); pw = same_pads(x.shape[3], k[1], s[1])
        return [ph[0], pw[0], ph[1], pw[1]]
    return [0, 0, 0, 0]


def pool(x, a, kind):
    k = a['kernel_shape']; s = a.get('strides', [1, 1]); p = window_pads(x, k, s, a)
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=fill)
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    oh = (xp.shape[2] - k[0]) // s[0] + 1; ow = (xp.shape[3] - k[1]) // s[1] + 1
    taps = [xp[:, :, i:i + oh * s[0]:s[0], j:j + ow * s[1]:s[1]] for i in range(k[0]) for j in range(k[1])]
    if kind == 'max':
        return np.max(taps, axis=0)
    total = np.sum(taps, axis=0)
    if a.get('count_include_pad', 0):
        return total / (k[0] * k[1])
    count = np.sum([ones[:, :, i:i + oh * s[0]:s[0], j:j + ow * s[1]:s[1]] for i in range(k[0]) for j in range(k[1])], axis=0)
    return total / count


def per_axis(p, x, axis):
    if p.ndim == 0:
        return p
    shape = [1] * x.ndim; shape[axis] = -1
    return p.reshape(shape)


def run_qdq(m, x):
    """Evaluates the QDQ model on x (NCHW float); returns (output float, {QuantizeLinear output: codes})."""
    g = m.graph
    v = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    v[g.input[0].name] = x.astype(np.float64)
    codes = {}
    for n in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        i = [v[k] if k else None for k in n.input]
        t = n.op_type
        if t == 'QuantizeLinear':
            zp = i[2]
            q = np.rint(i[0] / per_axis(i[1].astype(np.float64), i[0], a.get('axis', 1))) + per_axis(zp.astype(np.float64), i[0], a.get('axis', 1))
            y = np.clip(q, -128, 127).astype(np.int8)
            codes[n.output[0]] = y
        elif t == 'DequantizeLinear':
            ax = a.get('axis', 1)
            y = (i[0].astype(np.float64) - per_axis(i[2].astype(np.float64), i[0], ax)) * per_axis(i[1].astype(np.float64), i[0], ax)
        elif t == 'Sum': y = np.sum(i, axis=0)
        elif t == 'Concat': y = np.concatenate(i, axis=a['axis'])
        elif t == 'MaxPool': y = pool(i[0], a, 'max')
        elif t == 'AveragePool': y = pool(i[0], a, 'avg')
        elif t == 'Identity': y = i[0]
        elif t == 'Pad':
            p = i[1]; y = np.pad(i[0], [(p[d], p[d + 4]) for d in range(4)])
        elif t == 'Softmax':
            e = np.exp(i[0] - i[0].max(axis=a.get('axis', 1), keepdims=True)); y = e / e.sum(axis=a.get('axis', 1), keepdims=True)
        else:  # Conv, Gemm, Relu, Clip, (Hard)Sigmoid, Mul, Add: as in the float checks
            y = float_op(t, i, a)
        v[n.output[0]] = y
    return v[g.output[0].name], codes


def check_form(m):
    """The QDQ form; returns counts for the report."""
    inits = {t.name: t for t in m.graph.initializer}
    producer = {o: n for n in m.graph.node for o in n.output}
    counts = {'QuantizeLinear': 0, 'DequantizeLinear': 0, 'weights': 0}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
        if n.op_type in ('Conv', 'Gemm'):
            w = producer[n.input[1]]; b = producer[n.input[2]]
            assert w.op_type == 'DequantizeLinear' and b.op_type == 'DequantizeLinear', n.name
            wi = inits[w.input[0]]; bi = inits[b.input[0]]
            assert wi.data_type == onnx.TensorProto.INT8 and bi.data_type == onnx.TensorProto.INT32, n.name
            ws = numpy_helper.to_array(inits[w.input[1]])
            assert ws.shape == (wi.dims[0],), f"{n.name}: weight scales {ws.shape} are not per channel of axis 0"
            assert {a.name: a.i for a in w.attribute}.get('axis', 1) == 0, n.name
            counts['weights'] += 1
        elif n.op_type not in ('QuantizeLinear', 'DequantizeLinear'):
            for x in n.input:  # every float op reads dequantized tensors (or constants)
                assert x in inits or producer[x].op_type == 'DequantizeLinear' or producer[x].op_type not in ('QuantizeLinear',), n.name
    out = producer[m.graph.output[0].name]
    assert out.op_type == 'DequantizeLinear', 'the output is not dequantized'
    return counts


def main():
    d = sys.argv[1]
    max_lsb = int(sys.argv[2])
    failed = []
    for name in sys.argv[3:]:
        prefix = os.path.join(d, name)
        model = onnx.load(prefix + '.onnx')
        onnx.checker.check_model(model, full_check=True)
        counts = check_form(model)
        shape = [x.dim_value for x in model.graph.input[0].type.tensor_type.shape.dim]
        x = np.fromfile(prefix + '.input.bin', dtype=np.float32).reshape(shape)
        ref = np.fromfile(prefix + '.output.bin', dtype=np.float32)
        scale, zp = open(prefix + '.int8.txt').read().split()
        scale, zp = float(scale), int(zp)
        ref_codes = np.clip(np.rint(ref.astype(np.float64) / scale) + zp, -128, 127).astype(np.int64)
        out, _ = run_qdq(model, x)
        out = out.reshape(-1)
        out_codes = np.clip(np.rint(out / scale) + zp, -128, 127).astype(np.int64)
        diff = np.abs(out_codes - ref_codes)
        exact = float(np.mean(diff == 0))
        print(f"{name}: checker ok, QDQ form ok ({counts['weights']} quantized weight tensors, {counts['QuantizeLinear']} "
              f"QuantizeLinear, {counts['DequantizeLinear']} DequantizeLinear); numpy QDQ vs accelnas int8 engine: "
              f"max {int(diff.max())} LSB, {100 * exact:.1f}% of {ref.size} output codes equal")
        if diff.max() > max_lsb:
            failed.append(f"{name}: output codes differ by {int(diff.max())} LSB > {max_lsb}")
        # Every op's tensor: the codes of its QuantizeLinear (NAME/q) against the engine's (NHWC).
        _, qcodes = run_qdq(model, x)
        engine = np.fromfile(prefix + '.codes.bin', dtype=np.int8)
        off = total = equal = worst = skipped = 0
        for line in open(prefix + '.codes.txt'):
            op, kind, hh, ww, cc = line.split()
            size = int(hh) * int(ww) * int(cc)
            e = engine[off:off + size].astype(np.int64)
            off += size
            q = qcodes.get(op + '/q')
            if kind == 'reshape' or q is None:  # a flatten's element order differs (NHWC vs NCHW)
                skipped += 1
                continue
            q = q.astype(np.int64)
            q = q.transpose(0, 2, 3, 1).reshape(-1) if q.ndim == 4 else q.reshape(-1)
            dq = np.abs(q - e)
            total += size; equal += int(np.sum(dq == 0)); worst = max(worst, int(dq.max()))
        assert off == engine.size
        print(f"  every op's tensor: max {worst} LSB, {100 * equal / total:.3f}% of {total} codes equal "
              f"({skipped} reshapes not compared)")
        if worst > max_lsb:
            failed.append(f"{name}: an op's codes differ by {worst} LSB > {max_lsb}")
        try:
            import cv2
            net = cv2.dnn.readNetFromONNX(model.SerializeToString())
            net.setInput(x)
            cv = net.forward().reshape(-1).astype(np.float64)
            cv_codes = np.clip(np.rint(cv / scale) + zp, -128, 127).astype(np.int64)
            print(f"  OpenCV {cv2.__version__} runs it: max {int(np.abs(cv_codes - ref_codes).max())} LSB from the int8 engine")
        except Exception as e:  # noqa: BLE001  reported, not required
            lines = [ln.strip('> ').strip() for ln in str(e).splitlines() if 'error' in ln]
            print(f"  OpenCV cannot run it: {lines[-1] if lines else str(e).strip()}")
    finish(failed)


if __name__ == '__main__':
    main()
