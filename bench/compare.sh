#!/usr/bin/env bash
# Unroll's `bench` against PyTorch (float64, CPU) on the same shapes, in one run.
# Prints the raw JSON lines, then a Markdown table. See bench/README.md.
#
#   bench/compare.sh [--jar PATH] [--shapes "N,T,B;N,T,B"] [--python PY] [--torch-threads K]
#                    [--keep-openblas-env]
#
# env: UNROLL_JAR (default target/unroll.jar, relative to the repo root), PYTHON, JAVA,
#      SHAPES, TORCH_THREADS (default 2), UNROLL_SECONDS (timed seconds per Unroll shape, default 5).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${UNROLL_JAR:-target/unroll.jar}"
shapes="${SHAPES:-64,100,32;256,100,32}"
java="${JAVA:-java}"
python="${PYTHON:-}"
unroll_seconds="${UNROLL_SECONDS:-5}"
torch_threads="${TORCH_THREADS:-2}"
keep_blas_env=0

die() { echo "compare.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --torch-threads) torch_threads="$2"; shift 2 ;;
    --keep-openblas-env) keep_blas_env=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

case "$jar" in /*) ;; *) jar="$root/$jar" ;; esac
[ -f "$jar" ] || die "no jar at $jar: build it (mvn -q package -DskipTests) or pass --jar PATH / UNROLL_JAR"
command -v "$java" >/dev/null || die "no java ($java) on PATH"

# Debian's python3-torch is installed for /usr/bin/python3; a pyenv or venv python3 first on
# PATH does not see it, so fall back to /usr/bin/python3 when it is the one that has torch.
has_torch() { "$1" -c 'import torch' >/dev/null 2>&1; }
if [ -z "$python" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && has_torch "$p"; then python="$p"; break; fi
  done
  [ -n "$python" ] || die "PyTorch is not installed (neither python3 nor /usr/bin/python3 can import torch).
Install Debian's PyTorch with a threaded OpenBLAS:
  apt-get install -y python3-torch libopenblas0-pthread python3-numpy"
else
  has_torch "$python" || die "$python cannot import torch. Install Debian's PyTorch (for /usr/bin/python3):
  apt-get install -y python3-torch libopenblas0-pthread python3-numpy"
fi

# This machine sets OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE) for the sake of older
# OpenBLAS builds; that forces OpenBLAS's AVX2 kernels. By default the PyTorch run unsets both
# (in that command alone) so OpenBLAS picks its own kernel; the run checks its results
# (gradient vs Unroll's `gradient`, a matmul spot check) and reports the kernel it used.
pyenv=()
if [ "$keep_blas_env" = 0 ]; then pyenv=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "# date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "# uptime before: $(uptime)"
echo "# jar: $jar"
echo "# python: $(command -v "$python") ($("$python" -c 'import sys; print(sys.version.split()[0])'))"
echo "# cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"

IFS=';' read -r -a shape_list <<<"$shapes"
for s in "${shape_list[@]}"; do
  IFS=',' read -r n t b <<<"$s"
  "$java" -jar "$jar" bench --units "$n" --steps "$t" --batch "$b" --no-baseline \
      --seconds "$unroll_seconds" | tee -a "$out/unroll.jsonl"
done

"${pyenv[@]}" "$python" "$here/pytorch_rnn.py" --shapes "$shapes" --threads "$torch_threads" \
    --check-jar "$jar" --java "$java" | tee "$out/pytorch.jsonl"
if [ "$keep_blas_env" = 0 ] && [ -n "${OPENBLAS_CORETYPE:-}" ]; then
  # the same matmul with the machine's OPENBLAS_* settings, for reference
  "$python" "$here/pytorch_rnn.py" --kinds matmul --threads "$torch_threads" | tee "$out/matmul-env.jsonl"
fi
echo "# uptime after: $(uptime)"
echo

"$python" - "$out" <<'EOF'
import json, os, sys
d = sys.argv[1]
def lines(name):
    p = os.path.join(d, name)
    return [json.loads(l) for l in open(p) if l.strip()] if os.path.exists(p) else []
unroll = {(r["units"], r["steps"], r["batch"]): r for r in lines("unroll.jsonl")}
py = lines("pytorch.jsonl")
by = {(tuple(r["shape"]), r["kind"]): r for r in py if "shape" in r}
mm = next(r for r in py if r["kind"] == "matmul")
check = next((r for r in py if r["kind"] == "check"), None)
mm_env = next((r for r in lines("matmul-env.jsonl") if r["kind"] == "matmul"), None)
peak = mm["gflops"]
print("| shape N,T,B | Unroll seq/s | Unroll GFLOP/s | PyTorch fused nn.RNN seq/s | PyTorch step-by-step seq/s "
      "| Unroll / fused | Unroll / step-by-step | Unroll GFLOP/s as % of matmul |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for key, u in unroll.items():
    f, s = by.get((key, "fused-nn.RNN")), by.get((key, "step-by-step"))
    fs = f["sequencesPerSecond"] if f else float("nan")
    ss = s["sequencesPerSecond"] if s else float("nan")
    print(f"| {key[0]},{key[1]},{key[2]} | {u['sequencesPerSecond']:.0f} | {u['gflops']:.2f} | {fs:.0f} | {ss:.0f} "
          f"| {u['sequencesPerSecond'] / fs:.2f} | {u['sequencesPerSecond'] / ss:.2f} | {100 * u['gflops'] / peak:.1f}% |")
print()
print("Fastest single batch, seq/s (less sensitive to other load on the machine than the averages):")
print()
print("| shape N,T,B | Unroll | PyTorch fused nn.RNN | PyTorch step-by-step | Unroll / fused | Unroll / step-by-step |")
print("|---|---:|---:|---:|---:|---:|")
nan = float("nan")
for key, u in unroll.items():
    f, s = by.get((key, "fused-nn.RNN")), by.get((key, "step-by-step"))
    uf = u.get("fastestBatchSequencesPerSecond", nan)
    ff = f["fastestBatchSequencesPerSecond"] if f else nan
    sf = s["fastestBatchSequencesPerSecond"] if s else nan
    print(f"| {key[0]},{key[1]},{key[2]} | {uf:.0f} | {ff:.0f} | {sf:.0f} | {uf / ff:.2f} | {uf / sf:.2f} |")
print()
print(f"- matmul rate (1024^3 float64 torch.mm, {mm['note'].split(', ')[-1]}): {peak:.1f} GFLOP/s, OpenBLAS core {mm.get('openblasCore')}"
      f", {mm.get('openblasThreads')} OpenBLAS threads" + (f"; with the machine's OPENBLAS_CORETYPE={mm_env.get('OPENBLAS_CORETYPE')}: "
      f"{mm_env['gflops']:.1f} GFLOP/s (core {mm_env.get('openblasCore')})" if mm_env else ""))
print(f"- PyTorch {mm['torch']}, torch threads {mm['threads']} (default was {mm['threadsDefault']}), "
      f"BLAS {mm.get('openblasConfig')}")
print(f"- Unroll threads: {sorted({u.get('threads') for u in unroll.values()})}; seq/s are Unroll's average over "
      f"{sorted({u.get('secondsTimed') for u in unroll.values()})} s and PyTorch's median of 5 x 1 s repetitions")
if check:
    print(f"- step-by-step PyTorch gradient vs `unroll.jar gradient` (N=12, T=9): max relative difference "
          f"{check['maxRelativeDifference']:.1e}")
print("- fused nn.RNN is tanh with two bias vectors and a 1-wide input matrix (nn.RNN has no logistic units); "
      "all losses are 0.5 * sum of squared errors on the last N/4 units at every step, summed over the batch")
EOF
