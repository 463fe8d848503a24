"""Kernels measured side by side through jupyter_client, the way every frontend talks to them.

Started by bench/kernel.ts with JUPYTER_PATH pointing at the kernelspecs it wrote, e.g.
    python3 bench/kernel_bench.py --kernel stillroom:typescript --kernel ipykernel:python
Prints one JSON object per line on stdout: {"kernel", "metric", "unit", "median", "p95", "min",
"n"}; progress and kernel chatter go to stderr.

Metrics
  startup            start_kernel() until the first kernel_info_reply (a fresh process each time;
                     the first start of the run is a warm-up and not counted)
  execute_roundtrip  execute_request of a trivial cell until both its execute_reply and its idle
                     status have arrived (what a frontend waits for before the next cell)
  print_lines        one cell printing N lines, from execute_request until idle and every
                     line have arrived on iopub (lines that arrive after idle are reported as
                     lines_after_idle_max: a kernel bug, since frontends stop listening at idle)
"""

import argparse
import json
import statistics
import sys
import time

import zmq
import zmq.asyncio
from jupyter_client.manager import KernelManager

CODE = {
    "typescript": {
        "trivial": "1",
        "lines": 'for (let i = 0; i < {n}; i++) console.log("line " + i)',
    },
    "python": {
        "trivial": "1",
        "lines": 'for i in range({n}): print("line", i)',
    },
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def summary(kernel, metric, samples_s, **extra):
    ms = sorted(s * 1000.0 for s in samples_s)
    p95 = ms[min(len(ms) - 1, max(0, int(round(0.95 * len(ms))) - 1))]
    row = {
        "kernel": kernel,
        "metric": metric,
        "unit": "ms",
        "median": round(statistics.median(ms), 3),
        "p95": round(p95, 3),
        "min": round(ms[0], 3),
        "n": len(ms),
    }
    row.update(extra)
    print(json.dumps(row), flush=True)


def client_context():
    # zmq retries a connect every 100 ms by default, which would round every start-up time up to
    # the next 100 ms step; 5 ms keeps the resolution without busy-looping. Sockets take the
    # context's options when they are created.
    ctx = zmq.asyncio.Context()
    ctx.setsockopt(zmq.RECONNECT_IVL, 5)
    return ctx


CONTEXT = None


def start(kernel_name):
    km = KernelManager(kernel_name=kernel_name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client(context=CONTEXT)
    kc.start_channels()
    msg_id = kc.kernel_info()
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - t0
    return km, kc, elapsed, reply["content"]


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def wait_iopub_ready(kc, timeout=30.0):
    """A SUB socket joins late: ask kernel_info until its idle status is seen on iopub."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        kc.get_shell_msg(timeout=30)
        t_end = time.monotonic() + 0.5
        while time.monotonic() < t_end:
            try:
                msg = kc.get_iopub_msg(timeout=0.1)
            except Exception:
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return
    raise RuntimeError("iopub never delivered a status message")


def run_cell(kc, code, timeout=120.0, expect_lines=0):
    """Sends one execute_request; returns (seconds, stdout text, lines after idle, seconds to idle).

    The time runs until the execute_reply, the idle status and (with expect_lines) that many
    stdout lines have all arrived. iopub is read as it arrives, so a kernel that sends one
    message per line is not charged for messages queued behind a blocking read; the reply
    precedes idle, so it is waiting by then. Lines after idle are a protocol bug (a frontend has
    moved on to the next cell); they are counted, and waited for, so the time stays comparable.
    """
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=True)
    out = []
    idle = False
    late = 0
    while not idle or sum(t.count("\n") for t in out) < expect_lines:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])
            if idle:
                late += msg["content"]["text"].count("\n")
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
            t_idle = time.perf_counter() - t0
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - t0
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} finished with status {reply['content']['status']}")
    return max(elapsed, t_idle), "".join(out), late, t_idle


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--kernel", action="append", required=True, metavar="NAME:LANGUAGE",
        help="kernelspec name and its language (typescript or python); repeat for each kernel",
    )
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--block", type=int, default=20, help="cells in a row on one kernel before the next kernel's turn")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup-s", type=float, default=2.0, help="trivial cells run this long on each kernel before measuring")
    args = parser.parse_args()
    kernels = []
    for spec in args.kernel:
        name, _, language = spec.partition(":")
        if language not in CODE:
            parser.error(f"--kernel {spec}: language must be one of {sorted(CODE)}")
        kernels.append((name, CODE[language]))
    global CONTEXT
    CONTEXT = client_context()

    # The machine is shared and noisy: every measurement goes round the kernels in turn, so a
    # busy spell slows all of them rather than whichever kernel happened to be running.

    # Start-up: one warm-up start each (disk caches, compile caches), then the measured ones.
    startup = {name: [] for name, _ in kernels}
    for i in range(args.starts + 1):
        for name, _ in kernels:
            km, kc, elapsed, info = start(name)
            stop(km, kc)
            if i == 0:
                log(f"{name}: {info.get('implementation')} {info.get('implementation_version')}, warm-up start {elapsed * 1000:.0f} ms")
            else:
                startup[name].append(elapsed)
    for name, _ in kernels:
        summary(name, "startup", startup[name])

    running = {}
    try:
        for name, code in kernels:
            km, kc, _, _ = start(name)
            running[name] = (km, kc)
            wait_iopub_ready(kc)
        # Warm-up: JITs, lazily loaded services (a language service loading after start-up).
        for name, code in kernels:
            kc = running[name][1]
            t_end = time.monotonic() + args.warmup_s
            warm = 0
            while warm < 20 or time.monotonic() < t_end:
                run_cell(kc, code["trivial"])
                warm += 1
            log(f"{name}: {warm} warm-up cells")

        roundtrip = {name: [] for name, _ in kernels}
        while any(len(v) < args.cells for v in roundtrip.values()):
            for name, code in kernels:
                kc = running[name][1]
                for _ in range(min(args.block, args.cells - len(roundtrip[name]))):
                    roundtrip[name].append(run_cell(kc, code["trivial"])[0])
        for name, _ in kernels:
            summary(name, "execute_roundtrip", roundtrip[name], cells=args.cells)

        printed = {name: {"times": [], "idle": [], "late": 0} for name, _ in kernels}
        for i in range(args.reps + 2):
            for name, code in kernels:
                cell = code["lines"].replace("{n}", str(args.lines))
                elapsed, text, late, t_idle = run_cell(running[name][1], cell, expect_lines=args.lines)
                lines = text.count("\n")
                if lines != args.lines:
                    raise RuntimeError(f"{name}: expected {args.lines} lines, got {lines}")
                if i >= 2:  # two warm-up runs
                    r = printed[name]
                    r["times"].append(elapsed)
                    r["idle"].append(t_idle)
                    r["late"] = max(r["late"], late)
        for name, _ in kernels:
            r = printed[name]
            summary(
                name, "print_lines", r["times"], lines=args.lines, lines_after_idle_max=r["late"],
                until_idle_median=round(statistics.median(r["idle"]) * 1000, 3),
            )
    finally:
        for km, kc in running.values():
            stop(km, kc)


if __name__ == "__main__":
    main()
