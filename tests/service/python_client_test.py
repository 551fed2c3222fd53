#!/usr/bin/python3
"""The Python client (examples/python/latency_client.py) against the fixture server: totals bit-identical
to accelnas-estimate in process, a stream, health, and statuses of bad requests.
usage: python_client_test.py <accelnas-estimate> <fixture dir> <scratch dir>"""
import json, os, subprocess, sys

estimate_tool, fx, work = sys.argv[1:4]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python"))
import grpc
import latency_client as lc

os.makedirs(work, exist_ok=True)
token = open(os.path.join(fx, "token")).readline().strip()
address = "127.0.0.1:" + open(os.path.join(fx, "port")).read().strip()
c = lc.LatencyClient(address, token)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def in_process(target, est, spec):
    out = subprocess.run([estimate_tool, "--target", target, "--estimator", est, "--format", "json", spec],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)[0]["total_seconds"]


check(c.health() == 1, "health: SERVING")
specs = ["mobilenet_v2", "efficientnet_edgetpu_s", "resnet50_v1@299",
         "nb201-latbench:|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"]
net = lc.torch_network()
if net is None:
    print("python3-torch is not installed: the PyTorch-built network is not checked")
else:
    path = os.path.join(work, "torch_net.json")
    with open(path, "w") as f:
        json.dump(lc.export_torch(net, "torch_mobilenet_like"), f)
    specs.append(path)
for target in ("coral-usb", "pixel4-edgetpu", "pixel4-cpu"):
    for est in ("sim", "apm"):
        for spec in specs:
            if spec.endswith(".json"):
                r = c.estimate(target, est, network_json=open(spec).read())
            else:
                r = c.estimate(target, est, spec=spec)
            local = in_process(target, est, spec)
            check(r.total_seconds == local, f"{target} {est} {os.path.basename(spec)[:40]}: {r.total_seconds!r} == {local!r}")

answers = c.estimate_many([lc.pb.EstimateRequest(spec=s, target="coral-devboard", estimator="apm") for s in specs[:3]] +
                          [lc.pb.EstimateRequest(spec="nosuch", target="coral-devboard")])
for s, a in zip(specs[:3], answers):
    check(a.code == 0 and a.total_seconds == in_process("coral-devboard", "apm", s), f"stream: {s}")
check(answers[3].code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and "unknown zoo model 'nosuch'" in answers[3].error,
      "stream: a bad request answered with INVALID_ARGUMENT in its slot")


def status_of(f):
    try:
        f()
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


code, msg = status_of(lambda: c.estimate("coral-usb", "apm", network_json="{not json"))
check(code == grpc.StatusCode.INVALID_ARGUMENT and "not valid JSON" in msg, "malformed JSON: INVALID_ARGUMENT")
code, _ = status_of(lambda: lc.LatencyClient(address, "wrong").estimate("coral-usb", spec="mobilenet_v2"))
check(code == grpc.StatusCode.UNAUTHENTICATED, "wrong token: UNAUTHENTICATED")
code, _ = status_of(lambda: lc.LatencyClient(address).list_targets())
check(code == grpc.StatusCode.UNAUTHENTICATED, "no token: UNAUTHENTICATED")
code, msg = status_of(lambda: c.estimate("coral-usb", "xla", spec="mobilenet_v2"))
check(code == grpc.StatusCode.INVALID_ARGUMENT and "unknown estimator 'xla'" in msg, "unknown estimator: INVALID_ARGUMENT")
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
