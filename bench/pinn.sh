#!/usr/bin/env bash
# PINN training against PyTorch in the notes' Figure 1 set-up: harmonic oscillator, x0 = (1, 0),
# t in [0, 10], 1000 fresh uniform collocation points per epoch, until the residual loss is below
# 1e-5. Rows:
#   flowkit default   pinn-train's default options (Adam then L-BFGS); target: below 1e-5 within
#                     10 s wall clock. Time = whole command (median of REPEATS runs).
#   flowkit Adam      --optimizer adam --lr 1e-3, at most 7500 epochs: the PyTorch set-up, for
#                     the per-epoch speed.
#   PyTorch f32/f64   bench/torch_pinn.py (the same network, hard initial condition and loss),
#                     Adam lr 1e-3, at most 7500 epochs, 2 threads; time = its training loop.
# "first < 1e-5" is the first epoch whose training loss is below 1e-5 and the training time then
# (flowkit: the --history seconds). Two max errors: against a tight dopri5 solution (flowkit's
# --validate) and against the exact (cos t, -sin t) on t = 0, 0.01, ..., 10 (both sides).
# "Adam epoch" compares the time per Adam epoch, flowkit (--threads 2) against PyTorch with 2
# threads and, as PyTorch's OpenMP threads suffer most from other load, with 1 (speed only).
# Needs pinn-train and integrate on PATH (make bench sets it); python3-torch for /usr/bin/python3
# (skipped without it). Takes 2-4 minutes on 2 cores (PyTorch's runs take most of it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPEATS=${REPEATS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in integrate pinn-train; do
    command -v "$tool" > /dev/null || { echo "pinn.sh: $tool is not on PATH" >&2; exit 1; }
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
# Max |q - cos t|, |p + sin t| of the model $1 on t = 0, 0.01, ..., 10.
exact_error() {
    integrate --flow "$1" --t-end 10 --output-dt 0.01 --quiet | awk -F, 'NR > 1 {
        e = $3 - cos($2); if (e < 0) e = -e; if (e > m) m = e
        e = $4 + sin($2); if (e < 0) e = -e; if (e > m) m = e } END { printf "%.1e", m }'
}
# From a history CSV (epoch,loss,lr,evaluations,seconds): "epochs final_loss first_epoch first_s"
# (the first epoch whose loss is below 1e-5, "-" when none is).
history_summary() {
    awk -F, 'NR > 1 { e = $1; l = $2; if (!f && $2 < 1e-5) { f = $1; s = $NF } }
        END { if (f) printf "%d %.2e %d %.2f\n", e, l, f, s; else printf "%d %.2e - -\n", e, l }' "$1"
}
SETUP=(--system harmonic --ic 1,0 --t-end 10 --threads 2 --seed 0)
rows=()

# 1. flowkit's defaults, REPEATS times (the runs are identical but for the times).
for _ in $(seq "$REPEATS"); do
    start=$(now)
    pinn-train "${SETUP[@]}" -o "$work/pinn.json" --history "$work/h.csv" --validate \
        --stats > "$work/validate.csv" 2> "$work/stats"
    wall=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
    read -r _ _ _ first_s <<< "$(history_summary "$work/h.csv")"
    echo "$wall $first_s" >> "$work/times"
done
wall=$(cut -d' ' -f1 "$work/times" | median)
first_s=$(cut -d' ' -f2 "$work/times" | median)
read -r epochs loss first _ <<< "$(history_summary "$work/h.csv")"
dopri=$(awk -F, 'NR == 2 { printf "%.1e", $1 }' "$work/validate.csv")
rows+=("flowkit default|$epochs|$wall|$first|$first_s|$loss|$dopri|$(exact_error "$work/pinn.json")")
t_default=$first_s

# 2. flowkit with PyTorch's optimiser: Adam, lr 1e-3, at most 7500 epochs (one run).
pinn-train "${SETUP[@]}" --optimizer adam --lr 1e-3 --epochs 7500 --target-loss 1e-5 \
    -o "$work/adam.json" --history "$work/h.csv" --validate --quiet > "$work/validate.csv"
read -r epochs loss first first_s <<< "$(history_summary "$work/h.csv")"
secs=$(tail -1 "$work/h.csv" | awk -F, '{ print $NF }')
dopri=$(awk -F, 'NR == 2 { printf "%.1e", $1 }' "$work/validate.csv")
rows+=("flowkit Adam lr 1e-3|$epochs|$secs|$first|$first_s|$loss|$dopri|$(exact_error "$work/adam.json")")
ms_flowkit=$(awk -v s="$secs" -v e="$epochs" 'BEGIN { print 1000 * s / e }')

# 3. The PyTorch reference, float32 and float64 (one run each: 25 s to 2 min apiece, by the load).
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$here/torch_pinn.py" "$@"
}
ratios=()
if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
    for dtype in float32 float64; do
        IFS=, read -r _ epochs secs _ loss err <<< "$(torch_ref --dtype "$dtype")"
        # torch_pinn.py stops at the first epoch below 1e-5, so that epoch is its last
        if awk -v l="$loss" 'BEGIN { exit !(l < 1e-5) }'; then first=$epochs first_s=$secs; else first=- first_s=-; fi
        rows+=("PyTorch $dtype Adam 1e-3|$epochs|$secs|$first|$first_s|$loss|-|$err")
        ratios+=("$(awk -v s="$secs" -v e="$epochs" -v f="$ms_flowkit" -v d="$dtype" 'BEGIN {
            t = 1000 * s / e; printf "PyTorch %s %.2f ms / flowkit %.2f ms = %.1fx", d, t, f, t / f }')")
    done
    # one thread, speed only: on a shared machine it is often faster than two
    IFS=, read -r _ _ _ ms _ _ <<< "$(torch_ref --dtype float32 --threads 1 --epochs 1000)"
    ratios+=("$(awk -v t="$ms" -v f="$ms_flowkit" 'BEGIN {
        printf "PyTorch float32 1 thread %.2f ms / flowkit %.2f ms = %.1fx", t, f, t / f }')")
else
    echo "(PyTorch rows skipped: /usr/bin/python3 cannot import torch; make bench-deps installs it)"
fi

printf '%-26s %7s %9s %9s %15s %10s %13s %12s\n' run epochs 'time (s)' 'ms/epoch' 'first < 1e-5' \
    'final loss' 'err (dopri5)' 'err (exact)'
for r in "${rows[@]}"; do
    IFS='|' read -r name epochs secs first first_s loss dopri err <<< "$r"
    at=$([ "$first" = - ] && echo - || echo "$first @ $first_s s")
    printf '%-26s %7d %9.2f %9.2f %15s %10.2e %13s %12.1e\n' "$name" "$epochs" "$secs" \
        "$(awk -v s="$secs" -v e="$epochs" 'BEGIN { print 1000 * s / e }')" "$at" "$loss" "$dopri" "$err"
done
echo "(flowkit default: median of $REPEATS runs; time = whole command, ms/epoch mixes Adam and L-BFGS epochs)"
for r in ${ratios[@]+"${ratios[@]}"}; do echo "Adam epoch: $r"; done
awk -v t="$t_default" -v w="$wall" 'BEGIN { ok = t != "-" && t <= 10
    printf "target: flowkit default below 1e-5 within 10 s: %s (after %s s of training; whole command %.2f s)\n",
        ok ? "ok" : "MISS", t, w }'
echo "($(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
