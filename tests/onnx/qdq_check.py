#!/usr/bin/python3
"""Checks accelnas' int8 QDQ exports (accelnas-export --int8) with tools nobody here wrote and with
the QDQ semantics themselves: every PREFIX.onnx in DIR must pass onnx.checker.check_model
(full_check=True: full shape inference) and have the QDQ form (every Conv/Gemm weight an int8
initializer behind a per-channel DequantizeLinear on axis 0, biases int32, every op output through a
QuantizeLinear -> DequantizeLinear pair); then a small numpy evaluator of the ONNX semantics
(QuantizeLinear rounds half to even and saturates, DequantizeLinear per tensor or per axis, the float
ops in float64) runs it on PREFIX.input.bin, and the int8 codes of its output must equal those of
accelnas' int8 engine (PREFIX.output.bin dequantized with the scale and zero point of PREFIX.int8.txt)
within MAX_LSB. Then every op is checked on its own: the graph runs again with each op's
QuantizeLinear codes replaced by the engine's codes of that op (PREFIX.codes.txt/.bin, NHWC), so
every op reads the very inputs it read in the engine, and its codes must equal the engine's except
where the op's value lies on a rounding boundary: there a code may differ by one, and only there
(the pre-rounding value within BOUNDARY code units of a half-integer). The engine requantizes in
fixed point from exact products; the QDQ graph in floating point from float32 scales (ONNX stores
each bias scale s_in * s_w rounded to float32), so the two can round a value that lies on a
boundary to different sides, and machines whose Eigen blocks the training differently (cache sizes)
train different weights that put different values there. Reshapes, whose flattening order differs,
are skipped.

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

BOUNDARY = 1e-3  # code units: how close to a half-integer a value must lie for a 1-LSB difference


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


def run_qdq(m, x, fed=None):
    """Evaluates the QDQ model on x (NCHW float); returns (output float, {QuantizeLinear output: codes},
    {QuantizeLinear output: pre-rounding value in code units}). With `fed` ({QuantizeLinear output:
    codes}), those QuantizeLinear nodes output the given codes instead of their own (the engine's)."""
    g = m.graph
    v = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    v[g.input[0].name] = x.astype(np.float64)
    codes, raw = {}, {}
    for n in g.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        i = [v[k] if k else None for k in n.input]
        t = n.op_type
        if t == 'QuantizeLinear':
            zp = i[2]
            r = i[0] / per_axis(i[1].astype(np.float64), i[0], a.get('axis', 1)) + per_axis(zp.astype(np.float64), i[0], a.get('axis', 1))
            y = np.clip(np.rint(r), -128, 127).astype(np.int8)
            codes[n.output[0]] = y
            raw[n.output[0]] = r
            if fed is not None and n.output[0] in fed:
                y = fed[n.output[0]]
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
    return v[g.output[0].name], codes, raw


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
        out, own, _ = run_qdq(model, x)
        out = out.reshape(-1)
        out_codes = np.clip(np.rint(out / scale) + zp, -128, 127).astype(np.int64)
        diff = np.abs(out_codes - ref_codes)
        exact = float(np.mean(diff == 0))
        print(f"{name}: checker ok, QDQ form ok ({counts['weights']} quantized weight tensors, {counts['QuantizeLinear']} "
              f"QuantizeLinear, {counts['DequantizeLinear']} DequantizeLinear); numpy QDQ vs accelnas int8 engine: "
              f"max {int(diff.max())} LSB, {100 * exact:.1f}% of {ref.size} output codes equal")
        if diff.max() > max_lsb:
            failed.append(f"{name}: output codes differ by {int(diff.max())} LSB > {max_lsb}")
        # Every op on its own: fed the engine's codes of every op (NHWC -> the QDQ graph's layout), each
        # op's codes against the engine's (NAME/q).
        engine = np.fromfile(prefix + '.codes.bin', dtype=np.int8)
        ops, off = [], 0
        for line in open(prefix + '.codes.txt'):
            op, kind, hh, ww, cc = line.split()
            size = int(hh) * int(ww) * int(cc)
            ops.append((op, kind, engine[off:off + size], (int(hh), int(ww), int(cc))))
            off += size
        assert off == engine.size, f"{name}: {engine.size} engine codes, {off} listed in .codes.txt"
        fed = {}
        for op, kind, e, (hh, ww, cc) in ops:
            q = own.get(op + '/q')
            if kind == 'reshape' or q is None:  # a flatten's element order differs (NHWC vs NCHW)
                continue
            fed[op + '/q'] = e.reshape(1, hh, ww, cc).transpose(0, 3, 1, 2).reshape(q.shape) if q.ndim == 4 else e.reshape(q.shape)
        _, qcodes, raw = run_qdq(model, x, fed)
        total = equal = boundary = worst = skipped = 0
        for op, kind, e, _ in ops:
            q = qcodes.get(op + '/q')
            if op + '/q' not in fed:
                skipped += 1
                continue
            layout = (lambda t: t.transpose(0, 2, 3, 1).reshape(-1)) if q.ndim == 4 else (lambda t: t.reshape(-1))
            q = layout(q).astype(np.int64); r = layout(raw[op + '/q'])
            e = e.astype(np.int64)
            dq = np.abs(q - e)
            # a difference is a rounding-boundary case when the value lies within BOUNDARY of a half-integer
            # and the engine's code is the other neighbour of it (codes saturated at -128/127 never differ)
            on_edge = (np.abs(np.abs(r - np.floor(r)) - 0.5) <= BOUNDARY) & (dq == 1) & (np.abs(e - r) < 0.5 + BOUNDARY)
            off_edge = (dq != 0) & ~on_edge
            total += e.size; equal += int(np.sum(dq == 0)); boundary += int(np.sum(on_edge))
            worst = max(worst, int(dq.max()))
            if off_edge.any():
                k = int(np.nonzero(off_edge)[0][0])
                failed.append(f"{name}: op {op}: {int(off_edge.sum())} codes differ from the engine's off a rounding "
                              f"boundary (e.g. element {k}: QDQ {int(q[k])} from {r[k]:.6f}, engine {int(e[k])})")
        print(f"  every op on the engine's inputs: {100 * equal / total:.3f}% of {total} codes equal, {boundary} "
              f"differ by 1 on a rounding boundary (within {BOUNDARY} of a half-integer), max {worst} LSB "
              f"({skipped} reshapes not compared)")
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
