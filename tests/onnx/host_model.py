#!/usr/bin/python3
"""Writes an ONNX model (python3-onnx's helper) with an op accelnas has no IR counterpart for, in the
middle: conv1 (3->16, 3x3) -> relu -> TopK (k=8 over channels) -> conv2 (8->32, 3x3) -> relu ->
GlobalAveragePool -> Flatten -> Gemm (10), input 1x3x32x32 (topk.onnx); the same with Tanh in place
of the second relu (topk_tanh.onnx: two such ops); and one with an Einsum channel mixing
('nchw,dc->ndhw') after the TopK, whose output size ONNX 1.12's shape inference leaves unknown
(topk_einsum.onnx: an error even with --unsupported host).

usage: host_model.py OUT_DIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh


def model(einsum=False, tanh=False):
    r = np.random.default_rng(0)
    inits = [nh.from_array(r.standard_normal((16, 3, 3, 3)).astype(np.float32), 'w1'),
             nh.from_array(np.array([8], dtype=np.int64), 'k'),
             nh.from_array(r.standard_normal((32, 8, 3, 3)).astype(np.float32), 'w2'),
             nh.from_array(r.standard_normal((10, 32)).astype(np.float32), 'fc')]
    nodes = [h.make_node('Conv', ['x', 'w1'], ['c1'], name='conv1', pads=[1, 1, 1, 1]),
             h.make_node('Relu', ['c1'], ['r1'], name='relu1'),
             h.make_node('TopK', ['r1', 'k'], ['v', 'i'], name='topk', axis=1)]
    x = 'v'
    if einsum:
        inits.append(nh.from_array(r.standard_normal((8, 8)).astype(np.float32), 'mix'))
        nodes.append(h.make_node('Einsum', ['v', 'mix'], ['e'], name='mix', equation='nchw,dc->ndhw'))
        x = 'e'
    nodes += [h.make_node('Conv', [x, 'w2'], ['c2'], name='conv2', pads=[1, 1, 1, 1]),
              h.make_node('Tanh' if tanh else 'Relu', ['c2'], ['r2'], name='tanh2' if tanh else 'relu2'),
              h.make_node('GlobalAveragePool', ['r2'], ['g'], name='gap'),
              h.make_node('Flatten', ['g'], ['f'], name='flat'),
              h.make_node('Gemm', ['f', 'fc'], ['y'], name='fc', transB=1)]
    g = h.make_graph(nodes, 'host_ops', [h.make_tensor_value_info('x', T.FLOAT, [1, 3, 32, 32])],
                     [h.make_tensor_value_info('y', T.FLOAT, [1, 10])], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
    onnx.checker.check_model(m, full_check=True)
    return m


d = sys.argv[1]
os.makedirs(d, exist_ok=True)
onnx.save(model(), os.path.join(d, 'topk.onnx'))
onnx.save(model(tanh=True), os.path.join(d, 'topk_tanh.onnx'))
onnx.save(model(einsum=True), os.path.join(d, 'topk_einsum.onnx'))
