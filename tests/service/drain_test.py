#!/usr/bin/python3
"""SIGTERM drains: a stream in flight when the server gets SIGTERM is answered to its end, a new call is
refused, and the server exits 0 once the stream is done.
usage: drain_test.py <accelnas-serve> <scratch dir>"""
import os, signal, subprocess, sys, time

serve, work = sys.argv[1:3]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python"))
import grpc
import latency_client as lc

os.makedirs(work, exist_ok=True)
port_file = os.path.join(work, "port")
if os.path.exists(port_file):
    os.remove(port_file)
log = open(os.path.join(work, "server.log"), "w")
server = subprocess.Popen([serve, "--listen", "127.0.0.1:0", "--port-file", port_file, "--drain-seconds", "30"],
                          stderr=log)
for _ in range(300):
    if os.path.exists(port_file):
        break
    time.sleep(0.1)
address = "127.0.0.1:" + open(port_file).read().strip()
c = lc.LatencyClient(address)
n, signalled = 40, []


def requests():
    for i in range(n):
        if i == 10:
            server.send_signal(signal.SIGTERM)  # mid-stream: 10 requests sent, 30 to come
            signalled.append(time.time())
            time.sleep(0.3)
        yield lc.pb.EstimateRequest(id=i, spec="efficientnet_edgetpu_s", target="coral-usb", estimator="sim")
        time.sleep(0.02)


answers = {a.id: a for a in c._stream(requests(), timeout=60)}
ok = len(answers) == n and all(a.code == 0 and a.total_seconds > 0 for a in answers.values())
print(("ok   " if ok else "FAIL ") + f"the stream in flight got {len(answers)} of {n} answers, all OK")
try:
    lc.LatencyClient(address).estimate("coral-usb", spec="mobilenet_v2")
    refused = False
except grpc.RpcError as e:
    refused = e.code() == grpc.StatusCode.UNAVAILABLE
print(("ok   " if refused else "FAIL ") + "a call after SIGTERM is refused (UNAVAILABLE)")
rc = server.wait(timeout=60)
print(("ok   " if rc == 0 else "FAIL ") + f"the server exited with status {rc}")
print(open(os.path.join(work, "server.log")).read().strip())
sys.exit(0 if ok and refused and rc == 0 else 1)
