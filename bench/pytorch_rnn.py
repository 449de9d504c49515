#!/usr/bin/env python3
"""PyTorch reference timings for Unroll's `bench` workload (float64, CPU).

For each shape (N units, T steps, B sequences per batch) it prints one JSON line per
measurement:

  kind "fused-nn.RNN"   torch.nn.RNN (Elman, tanh: the only sigmoid-like nonlinearity it
                        offers), hidden size N, input size 1, forward + backward of
                        0.5 * sum of squared errors on the last N/4 units at every step
  kind "step-by-step"   the network of Unroll's docs/model.md written out step by step
                        (logistic units, unit 0 clamped to the input at t = 0..T-1, not at T,
                        learned initial state), forward + backward with autograd,
                        squared-error targets on the last N/4 units at t = 1..T
  kind "matmul"         a 1024 x 1024 float64 torch.mm, GFLOP/s = 2 n^3 / time, best of 40
  kind "check"          (with --check-jar) the step-by-step gradient of one small sequence
                        against `java -jar JAR gradient`: max relative difference

Rates are sequences per second, the median of --reps timed repetitions after warm-up (also
the best repetition and the fastest single batch); gflops uses Unroll's convention,
6 N^2 T B flops per batch.
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import torch
except ImportError:
    sys.stderr.write("pytorch_rnn.py: PyTorch is not installed for %s; install it with:\n"
                     "  apt-get install -y python3-torch libopenblas0-pthread python3-numpy\n"
                     "(Debian's package is for /usr/bin/python3)\n" % sys.executable)
    sys.exit(3)

DT = torch.float64


def openblas_info():
    """The OpenBLAS library this process loaded, its core (kernel) name and thread count."""
    # make sure BLAS is loaded, then find it among the mapped files
    torch.mm(torch.ones(8, 8, dtype=DT), torch.ones(8, 8, dtype=DT))
    paths = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            p = line.split()[-1]
            if "blas" in os.path.basename(p) and p not in paths:
                paths.append(p)
    info = {"blasLibraries": paths}
    for p in paths:
        if "openblas" in os.path.basename(p):
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["openblasCore"] = lib.openblas_get_corename().decode()
                info["openblasConfig"] = lib.openblas_get_config().decode()
                info["openblasThreads"] = lib.openblas_get_num_threads()
            except (OSError, AttributeError):
                pass
            break
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    return info


def rate(step, batch, reps, rep_seconds, warmup_seconds):
    """Sequences/second over `reps` repetitions of whole batches: the median and best
    repetition, every repetition, and the fastest single batch (as Unroll's bench reports)."""
    end = time.perf_counter() + warmup_seconds
    step()
    while time.perf_counter() < end:
        step()
    rates = []
    fastest = float("inf")
    for _ in range(reps):
        n = 0
        start = now = time.perf_counter()
        while True:
            before = now
            step()
            n += 1
            now = time.perf_counter()
            fastest = min(fastest, now - before)
            if now - start >= rep_seconds:
                break
        rates.append(n * batch / (now - start))
    return statistics.median(rates), max(rates), rates, batch / fastest


def fused_step(n, t, b, gen):
    rnn = torch.nn.RNN(input_size=1, hidden_size=n, nonlinearity="tanh", dtype=DT)
    x = torch.rand(t, b, 1, dtype=DT, generator=gen)
    k = max(1, n // 4)
    d = torch.randint(0, 2, (t, b, k), generator=gen).to(DT)

    def step():
        rnn.zero_grad(set_to_none=True)
        out, _ = rnn(x)                       # (T, B, N): h_1 .. h_T
        loss = 0.5 * torch.nn.functional.mse_loss(out[:, :, n - k:], d, reduction="sum")
        loss.backward()
        return loss

    return step


def spec_forward_backward(w, bias, h0, inputs, targets, k):
    """docs/model.md, logistic, squared loss; unit 0 is the one input unit.

    w (N, N): weights[j][i] from unit i at t-1 to unit j at t; bias (N); h0 (N) learned
    initial state; inputs (B, T): clamps unit 0 of h_t for t = 0..T-1; targets (T, B, k):
    desired states of the last k units at t = 1..T. Returns the loss (summed over the
    batch) after backward: the gradient sums are in w.grad, bias.grad, h0.grad.
    """
    b, t = inputs.shape
    n = w.shape[0]
    h = h0.expand(b, n)
    h = torch.cat((inputs[:, 0:1], h[:, 1:]), dim=1)      # inputs[0] overrides the initial state
    wt = w.t()
    outs = []
    for s in range(1, t + 1):
        h = torch.sigmoid(torch.addmm(bias, h, wt))          # a_s = W h_{s-1} + b
        outs.append(h[:, n - k:])
        if s < t:                                            # h_T's input unit is never clamped
            h = torch.cat((inputs[:, s:s + 1], h[:, 1:]), dim=1)
    y = torch.stack(outs)                                    # (T, B, k)
    loss = 0.5 * ((y - targets) ** 2).sum()
    loss.backward()
    return loss


def spec_params(n, gen):
    w = (torch.randn(n, n, dtype=DT, generator=gen) / n ** 0.5).requires_grad_()
    bias = (0.1 * torch.randn(n, dtype=DT, generator=gen)).requires_grad_()
    h0 = torch.full((n,), 0.5, dtype=DT).requires_grad_()
    return w, bias, h0


def spec_step(n, t, b, gen):
    w, bias, h0 = spec_params(n, gen)
    k = max(1, n // 4)
    inputs = torch.rand(b, t, dtype=DT, generator=gen)
    targets = torch.randint(0, 2, (t, b, k), generator=gen).to(DT)

    def step():
        for p in (w, bias, h0):
            p.grad = None
        return spec_forward_backward(w, bias, h0, inputs, targets, k)

    return step


MATMUL_REPS = 40


def matmul_gflops(size=1024, reps=MATMUL_REPS):
    a = torch.randn(size, size, dtype=DT)
    bm = torch.randn(size, size, dtype=DT)
    c = torch.mm(a, bm)
    # a spot check of the product: a wrong BLAS kernel must not pass unnoticed
    rows = torch.arange(0, size, 97)
    ref = (a[rows].unsqueeze(2) * bm.unsqueeze(0)).sum(1)
    err = ((c[rows] - ref).abs().max() / ref.abs().max()).item()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        torch.mm(a, bm, out=c)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9, best, err


def check_against_jar(jar, java):
    """Gradient of one small sequence, step-by-step PyTorch vs `java -jar JAR gradient`."""
    gen = torch.Generator().manual_seed(7)
    n, t = 12, 9
    k = max(1, n // 4)
    w, bias, h0 = spec_params(n, gen)
    with torch.no_grad():
        h0.uniform_(0.0, 1.0, generator=gen)
    inputs = torch.rand(1, t, dtype=DT, generator=gen)
    targets = torch.randint(0, 2, (t, 1, k), generator=gen).to(DT)
    loss = spec_forward_backward(w, bias, h0, inputs, targets, k)
    out_units = list(range(n - k, n))
    net = {"units": n, "inputUnits": [0], "outputUnits": out_units, "activation": "logistic",
           "loss": "squared", "weights": w.detach().tolist(), "biases": bias.detach().tolist(),
           "initialState": h0.detach().tolist()}
    seq = {"id": "pytorch-check", "steps": t, "inputs": [[v] for v in inputs[0].tolist()],
           "targets": [{"t": s, "units": out_units, "values": targets[s - 1, 0].tolist()}
                       for s in range(1, t + 1)]}
    with tempfile.TemporaryDirectory() as d:
        np_, sp = os.path.join(d, "network.json"), os.path.join(d, "sequence.json")
        with open(np_, "w") as f:
            json.dump(net, f)
        with open(sp, "w") as f:
            json.dump(seq, f)
        res = subprocess.run([java, "-jar", jar, "gradient", "--network", np_, "--sequence", sp],
                             capture_output=True, text=True, check=True)
    g = json.loads(res.stdout)
    pairs = [(g["loss"], loss.item())]
    pairs += zip(sum(g["weights"], []), w.grad.flatten().tolist())
    pairs += zip(g["biases"], bias.grad.tolist())
    pairs += zip(g["initialState"], h0.grad.tolist())
    scale = max(abs(b) for _, b in pairs)
    return max(abs(a - b) for a, b in pairs) / scale


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="64,100,32;256,100,32",
                    help="N,T,B triples separated by ';' (default %(default)s)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default %(default)s)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions per measurement (default %(default)s)")
    ap.add_argument("--rep-seconds", type=float, default=1.0, help="seconds per repetition (default %(default)s)")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds (default %(default)s)")
    ap.add_argument("--kinds", default="fused,step,matmul", help="any of fused,step,matmul (default %(default)s)")
    ap.add_argument("--check-jar", help="also check the step-by-step gradient against this unroll.jar")
    ap.add_argument("--java", default="java", help="java executable for --check-jar")
    args = ap.parse_args()

    threads_default = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    common = {"torch": torch.__version__, "threadsDefault": threads_default,
              "threads": torch.get_num_threads(), "dtype": "float64"}
    common.update(openblas_info())
    kinds = set(args.kinds.split(","))

    def emit(rec):
        print(json.dumps({**rec, **common}), flush=True)

    if args.check_jar:
        emit({"kind": "check", "maxRelativeDifference": check_against_jar(args.check_jar, args.java)})

    gen = torch.Generator().manual_seed(1)
    for shape in args.shapes.split(";"):
        n, t, b = (int(v) for v in shape.split(","))
        flops = 6.0 * n * n * t * b
        for kind, make, note in (
                ("fused-nn.RNN", fused_step, "torch.nn.RNN, tanh (nn.RNN offers tanh or relu, no logistic), "
                                             "input size 1, 0.5*SSE on last N/4 units every step"),
                ("step-by-step", spec_step, "docs/model.md network: logistic, unit 0 clamped, learned h0, autograd")):
            if ("fused" if kind.startswith("fused") else "step") not in kinds:
                continue
            med, best, all_rates, fastest = rate(make(n, t, b, gen), b, args.reps, args.rep_seconds, args.warmup)
            emit({"shape": [n, t, b], "kind": kind, "sequencesPerSecond": round(med, 3),
                  "gflops": round(flops * med / b / 1e9, 3), "bestSequencesPerSecond": round(best, 3),
                  "fastestBatchSequencesPerSecond": round(fastest, 3),
                  "repSequencesPerSecond": [round(r, 1) for r in all_rates], "note": note})
    if "matmul" in kinds:
        g, secs, err = matmul_gflops()
        emit({"shape": [1024, 1024, 1024], "kind": "matmul", "gflops": round(g, 3),
              "bestSeconds": round(secs, 6), "maxRelativeError": err, "note": "torch.mm float64, best of %d" % MATMUL_REPS})


if __name__ == "__main__":
    main()
