#!/usr/bin/python3
"""Python client of the accelnas latency server (accelnas-serve), with Debian's python3-grpcio and
python3-protobuf only: the message classes come from `protoc --python_out` (Debian's protobuf-compiler),
run on include/accelnas/service/latency.proto when this script starts, and calls go through grpcio's
generic channel API (no generated service stubs needed).

Run the example (a server on the default port, or --server HOST:PORT):
    build/examples/accelnas-serve &
    /usr/bin/python3 examples/python/latency_client.py [--server 127.0.0.1:50051] [--target coral-usb] [--token-file F]

It lists the server's targets, estimates a few zoo networks (by model spec) with the simulator and the
analytical model, then builds a small MobileNet-like network in PyTorch (python3-torch, installed by
`cmake/install-deps.sh --with-peer`), exports it to accelnas JSON and estimates that. Use from Python:
    from latency_client import LatencyClient
    c = LatencyClient("127.0.0.1:50051")
    c.estimate("coral-usb", "apm", spec="mobilenet_v2").total_seconds
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "include")
SERVICE = "/accelnas.service.v1.LatencyEstimator/"


def load_messages(proto_root=PROTO_ROOT):
    """The generated message module (accelnas/service/latency_pb2.py), generated into a temporary directory."""
    out = tempfile.mkdtemp(prefix="accelnas-pb-")
    subprocess.run(["protoc", "-I", proto_root, "--python_out=" + out, "accelnas/service/latency.proto"],
                   check=True, cwd=proto_root)
    sys.path.insert(0, out)
    return importlib.import_module("accelnas.service.latency_pb2")


pb = load_messages()


class LatencyClient:
    """One channel to a latency server; every call carries the token when one is given."""

    def __init__(self, address, token=None, timeout=60.0):
        self.channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)])
        self.metadata = [("authorization", "Bearer " + token)] if token else []
        self.timeout = timeout
        call = lambda kind, name, req, resp: getattr(self.channel, kind)(
            SERVICE + name, request_serializer=req.SerializeToString, response_deserializer=resp.FromString)
        self._list = call("unary_unary", "ListTargets", pb.ListTargetsRequest, pb.ListTargetsResponse)
        self._estimate = call("unary_unary", "Estimate", pb.EstimateRequest, pb.EstimateResponse)
        self._stream = call("stream_stream", "EstimateStream", pb.EstimateRequest, pb.EstimateResponse)

    def list_targets(self):
        return self._list(pb.ListTargetsRequest(), metadata=self.metadata, timeout=self.timeout)

    def estimate(self, target, estimator="sim", *, spec=None, network_json=None, network_id=None, per_op=False):
        """One estimate (an EstimateResponse); a bad request raises grpc.RpcError with the server's status."""
        req = pb.EstimateRequest(target=target, estimator=estimator, detail=pb.PER_OP if per_op else pb.SUMMARY)
        if spec is not None:
            req.spec = spec
        elif network_json is not None:
            req.network_json = network_json if isinstance(network_json, str) else json.dumps(network_json)
        else:
            req.network_id = network_id
        return self._estimate(req, metadata=self.metadata, timeout=self.timeout)

    def estimate_many(self, requests):
        """EstimateStream: answers of many EstimateRequests (ids set here), in request order."""
        reqs = list(requests)
        for i, r in enumerate(reqs):
            r.id = i
        answers = [None] * len(reqs)
        for a in self._stream(iter(reqs), metadata=self.metadata, timeout=self.timeout):
            answers[a.id] = a
        return answers

    def health(self):
        """The standard grpc.health.v1 status of the server: 1 = SERVING, 2 = NOT_SERVING."""
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                                         response_deserializer=lambda b: b)
        raw = check(b"", timeout=self.timeout)  # HealthCheckRequest{service: ""} is empty on the wire
        return raw[1] if len(raw) == 2 and raw[0] == 0x08 else 0  # HealthCheckResponse{status} = 0x08 <status>


# ---- a network built in PyTorch, exported to accelnas JSON (include/accelnas/graph/json.hpp) ----

def torch_network():
    """A small MobileNetV2-like network in PyTorch (None when python3-torch is not installed)."""
    try:
        import torch.nn as nn
    except ImportError:
        return None

    class Residual(nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            return x + self.body(x)

    def inverted(cin, cout, expand, stride):
        mid = cin * expand
        body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        return Residual(body) if stride == 1 and cin == cout else body

    return nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        inverted(32, 16, 1, 1), inverted(16, 24, 6, 2), inverted(24, 24, 6, 1),
        inverted(24, 40, 6, 2), inverted(40, 40, 6, 1), inverted(40, 80, 6, 2),
        nn.Conv2d(80, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000))


def export_torch(module, name, input_hw=224, channels=3):
    """accelnas JSON of a torch network made of Sequential, Conv2d (padding 0 = VALID, k//2 = SAME),
    BatchNorm2d, ReLU/ReLU6/Sigmoid/Hardswish/SiLU, Max/AvgPool2d, AdaptiveAvgPool2d(1), Flatten, Linear
    and residual wrappers (a module with a `body` whose forward is x + body(x))."""
    import torch.nn as nn
    acts = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.Sigmoid: "sigmoid", nn.Hardswish: "hard_swish", nn.SiLU: "swish"}
    ops = [{"name": "input", "kind": "input", "shape": [1, input_hw, input_hw, channels]}]

    def emit(op):
        op["name"] = f"{op['kind']}_{len(ops)}"
        ops.append(op)
        return op

    def window(m):
        k, s, p = (m.kernel_size, m.stride, m.padding)
        k = k if isinstance(k, tuple) else (k, k)
        s = s if isinstance(s, tuple) else (s, s)
        p = p if isinstance(p, tuple) else (p, p)
        if p == (0, 0):
            return list(k), list(s), "valid"
        if p == (k[0] // 2, k[1] // 2):
            return list(k), list(s), "same"
        raise ValueError(f"{m}: padding {p} is neither 0 (VALID) nor kernel//2 (SAME)")

    def walk(m, x):  # x: the op producing m's input; returns the op producing m's output
        if isinstance(m, nn.Sequential):
            for child in m:
                x = walk(child, x)
            return x
        if hasattr(m, "body") and isinstance(m.body, nn.Module):  # residual
            y = walk(m.body, x)
            return emit({"kind": "add", "inputs": [x["name"], y["name"]], "activation": "none"})
        if isinstance(m, nn.Conv2d):
            k, s, pad = window(m)
            return emit({"kind": "conv2d", "inputs": [x["name"]], "filters": m.out_channels, "kernel": k, "stride": s,
                         "padding": pad, "groups": m.groups, "bias": m.bias is not None, "batch_norm": False,
                         "activation": "none"})
        if isinstance(m, nn.BatchNorm2d):
            if x["kind"] == "conv2d" and not x["batch_norm"] and x["activation"] == "none":
                x["batch_norm"] = True  # folded into the conv, as accelnas (and the Edge TPU compiler) do
                return x
            return emit({"kind": "batch_norm", "inputs": [x["name"]], "activation": "none"})
        if type(m) in acts:
            if x["kind"] in ("conv2d", "fully_connected", "add", "batch_norm") and x["activation"] == "none":
                x["activation"] = acts[type(m)]
                return x
            return emit({"kind": "activation", "inputs": [x["name"]], "activation": acts[type(m)]})
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s, pad = window(m)
            op = {"kind": "max_pool" if isinstance(m, nn.MaxPool2d) else "avg_pool", "inputs": [x["name"]],
                  "kernel": k, "stride": s, "padding": pad}
            if isinstance(m, nn.AvgPool2d):
                op["count_include_pad"] = bool(m.count_include_pad)
            return emit(op)
        if isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1)):
            return emit({"kind": "global_avg_pool", "inputs": [x["name"]]})
        if isinstance(m, nn.Flatten):
            return x  # accelnas' fully_connected flattens its input itself
        if isinstance(m, nn.Linear):
            return emit({"kind": "fully_connected", "inputs": [x["name"]], "units": m.out_features,
                         "bias": m.bias is not None, "batch_norm": False, "activation": "none"})
        raise ValueError(f"no accelnas op for {type(m).__name__}")

    walk(module, ops[0])
    return {"schema": "accelnas.network", "version": 1, "name": name, "ops": ops}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default="127.0.0.1:50051", help="HOST:PORT of accelnas-serve")
    ap.add_argument("--token-file", default=os.environ.get("ACCELNAS_SERVICE_TOKEN_FILE"),
                    help="file holding the server's token (default: $ACCELNAS_SERVICE_TOKEN_FILE)")
    ap.add_argument("--target", default="coral-usb")
    ap.add_argument("--models", default="mobilenet_v2,mobilenet_edgetpu,efficientnet_edgetpu_s",
                    help="comma-separated model specs")
    ap.add_argument("--save-torch-json", help="also write the PyTorch-built network's accelnas JSON here")
    ap.add_argument("--json", action="store_true", help="one JSON line per estimate instead of a table")
    a = ap.parse_args()
    token = open(a.token_file).readline().strip() if a.token_file else None
    c = LatencyClient(a.server, token)

    if not a.json:
        print(f"server {a.server}: health {'SERVING' if c.health() == 1 else 'NOT SERVING'}")
        for t in c.list_targets().targets:
            print(f"  target {t.name:15s} {t.kind:8s} {t.provenance[:90]}")

    def show(label, r):
        if a.json:
            print(json.dumps({"model": label, "target": r.target, "estimator": a_est, "total_seconds": r.total_seconds,
                              "param_bytes_cached": r.param_bytes_cached, "param_bytes_streamed": r.param_bytes_streamed}))
        else:
            print(f"  {label:28s} {a_est}  {r.total_seconds * 1e3:8.3f} ms  weights cached {r.param_bytes_cached:>9d} B,"
                  f" streamed {r.param_bytes_streamed:>9d} B")

    if not a.json:
        print(f"zoo networks on {a.target}:")
    for a_est in ("sim", "apm"):
        for spec in a.models.split(","):
            show(spec, c.estimate(a.target, a_est, spec=spec))

    net = torch_network()
    if net is None:
        print("PyTorch (python3-torch) is not installed: skipped the PyTorch-built network "
              "(bash cmake/install-deps.sh --with-peer installs it)", file=sys.stderr if a.json else sys.stdout)
        return 0
    doc = export_torch(net, "torch_mobilenet_like")
    if a.save_torch_json:
        with open(a.save_torch_json, "w") as f:
            json.dump(doc, f, indent=1)
    if not a.json:
        print(f"a PyTorch-built network ({len(doc['ops'])} ops, exported to accelnas JSON) on {a.target}:")
    first = 0
    for a_est in ("sim", "apm"):
        # the first answer's network_id names the network afterwards: no need to send it again
        r = c.estimate(a.target, a_est, network_id=first) if first else c.estimate(a.target, a_est, network_json=doc)
        first = first or r.network_id
        show("torch_mobilenet_like", r)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(f"latency_client: {e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(1)
