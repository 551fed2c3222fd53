#!/usr/bin/python3
"""Checks accelnas' ONNX exports with tools nobody here wrote: every PREFIX.onnx in DIR must pass
onnx.checker.check_model(full_check=True) (full shape inference), and OpenCV's DNN module must
run it on PREFIX.input.bin and match accelnas' own output PREFIX.output.bin within 1e-4 relative
(max |opencv - accelnas| / max |accelnas|).

OpenCV 4.6 reads Clip only in its opset-6 form (min/max attributes, one input); for OpenCV alone the
check rewrites Clip(x, 0, 6) into that form (the model checked by ONNX's checker is the one written).

OpenCV 4.6 computes Conv -> HardSigmoid -> Mul (MobileNetV3's squeeze-and-excitation) differently
from the ONNX semantics; models named with a "numpy:" prefix are instead run by the small numpy
evaluator of the ONNX float semantics below (float64), which must match within 1e-4 relative too.

usage: opencv_check.py DIR [numpy:]NAME..."""
import os
import sys

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper


# ---- a numpy evaluator of the float ONNX ops accelnas exports (NCHW, float64) ----
def conv(x,w,b,strides,pads,group):
    n,c,h,wd=x.shape; f,cg,kh,kw=w.shape
    x=np.pad(x,((0,0),(0,0),(pads[0],pads[2]),(pads[1],pads[3])))
    oh=(x.shape[2]-kh)//strides[0]+1; ow=(x.shape[3]-kw)//strides[1]+1
    y=np.zeros((n,f,oh,ow),np.float64); fg=f//group
    for g in range(group):
        xs=x[:,g*cg:(g+1)*cg]
        for i in range(kh):
            for j in range(kw):
                patch=xs[:,:,i:i+oh*strides[0]:strides[0],j:j+ow*strides[1]:strides[1]]
                y[:,g*fg:(g+1)*fg]+=np.einsum('nchw,fc->nfhw',patch,w[g*fg:(g+1)*fg,:,i,j])
    if b is not None: y+=b.reshape(1,-1,1,1)
    return y
def same_pads(h,k,s):
    o=-(-h//s); t=max(0,(o-1)*s+k-h); return t//2, t-t//2
def float_op(t,i,a):
    """One float ONNX op of type t on inputs i with attributes a (None for omitted inputs)."""
    if t=='Conv':
        k=i[1].shape[2:]; s=a.get('strides',[1,1])
        if a.get('auto_pad',b'')==b'SAME_UPPER':
            ph=same_pads(i[0].shape[2],k[0],s[0]); pw=same_pads(i[0].shape[3],k[1],s[1]); p=[ph[0],pw[0],ph[1],pw[1]]
        else: p=[0,0,0,0]
        y=conv(i[0],i[1],i[2] if len(i)>2 else None,s,p,a.get('group',1))
    elif t=='BatchNormalization':
        y=(i[0]-i[3].reshape(1,-1,1,1))/np.sqrt(i[4].reshape(1,-1,1,1)+a['epsilon'])*i[1].reshape(1,-1,1,1)+i[2].reshape(1,-1,1,1)
    elif t=='Relu': y=np.maximum(i[0],0)
    elif t=='Clip': y=np.clip(i[0],i[1],i[2])
    elif t=='Sigmoid': y=1/(1+np.exp(-i[0]))
    elif t=='HardSigmoid': y=np.clip(a['alpha']*i[0]+a['beta'],0,1)
    elif t=='Mul': y=i[0]*i[1]
    elif t=='Add': y=i[0]+i[1]
    elif t=='GlobalAveragePool': y=i[0].mean(axis=(2,3),keepdims=True)
    elif t=='Flatten': y=i[0].reshape(i[0].shape[0],-1)
    elif t=='Gemm': y=i[0]@i[1].T+i[2]
    else: raise Exception(t)
    return y
def run_numpy(m, x):
    g=m.graph
    v={t.name:numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    v[g.input[0].name]=x.astype(np.float64)
    for n in g.node:
        a={at.name:onnx.helper.get_attribute_value(at) for at in n.attribute}
        i=[v[k] if k else None for k in n.input]; t=n.op_type
        v[n.output[0]]=float_op(t,i,a)
    return v[g.output[0].name]


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
    for arg in sys.argv[2:]:
        use_numpy = arg.startswith("numpy:")
        name = arg[len("numpy:"):] if use_numpy else arg
        prefix = os.path.join(d, name)
        model = onnx.load(prefix + ".onnx")
        onnx.checker.check_model(model, full_check=True)
        inp = model.graph.input[0].type.tensor_type.shape
        shape = [x.dim_value for x in inp.dim]
        x = np.fromfile(prefix + ".input.bin", dtype=np.float32).reshape(shape)
        ref = np.fromfile(prefix + ".output.bin", dtype=np.float32)
        if use_numpy:
            out = run_numpy(model, x).reshape(-1)
        else:
            net = cv2.dnn.readNetFromONNX(opencv_compatible(model))
            net.setInput(x)
            out = net.forward().reshape(-1)
        if out.size != ref.size:
            failed.append(f"{name}: {'numpy' if use_numpy else 'OpenCV'} gives {out.size} outputs, accelnas {ref.size}")
            continue
        rel = float(np.max(np.abs(out - ref)) / max(np.max(np.abs(ref)), 1e-30))
        worst = max(worst, rel)
        print(f"{name}: checker ok, {'numpy' if use_numpy else 'OpenCV'} vs accelnas max relative difference {rel:.2e} "
              f"({ref.size} outputs, max |y| {np.max(np.abs(ref)):.3g})")
        if not rel <= 1e-4:
            failed.append(f"{name}: relative difference {rel:.2e} > 1e-4")
    print(f"worst relative difference {worst:.2e} over {len(sys.argv) - 2} models")
    finish(failed)


def finish(failed):
    """Lists the failures and exits 1 when there are any."""
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
