#!/usr/bin/env bash
# Neural ODE training against PyTorch in the lecture notes' example ("Implementation with
# PyTorch"): harmonic oscillator, 1000 initial conditions ~ N(0, I), 50 times on [0, 2 pi],
# MLP 2-32-2 tanh, Adam lr 1e-2, loss = mean squared error over all times and trajectories,
# dopri5 at rtol 1e-7, atol 1e-9 (torchdiffeq's defaults). Both sides start from the same weights
# (node-fit --epochs 0 --seed 0, read by the PyTorch side from the model JSON) and see the same
# data (integrate's dopri5 at rtol 1e-10, atol 1e-12, dense output every 2 pi / 49); their first
# losses must agree to 1e-4 (the two solvers differ at the level of the tolerances).
# Rows:
#   backprop  node-fit --grad backprop, ITERS epochs (default 1000), against bench/torch_node.py
#             --mode backprop (autograd through a batched dopri5 that mirrors torchdiffeq's odeint).
#   adjoint   node-fit --grad adjoint, ADJ_ITERS epochs (default 50), against torch_node.py
#             --mode adjoint (torchdiffeq's odeint_adjoint written out), with the seminorm (the
#             error control on y and a only, as flowkit's adjoint) and with torchdiffeq's default
#             mixed norm (y, a and each parameter gradient).
#   single:   the same with node-fit --precision single (the network in float, the states and
#             the solver in double) against PyTorch in float32 (torchdiffeq's default dtype,
#             everything in float), on PyTorch's faster thread count; the adjoint with the
#             seminorm.
# PyTorch float64 runs once per thread count in TORCH_THREADS (default "2 1": its OpenMP threads
# suffer most from other load; the ratio is taken against the faster). flowkit: --threads 2, in
# three rounds (before PyTorch, between its float64 and float32 rows, after them): the machines
# we run on change speed by a fifth or more within minutes, and PyTorch's rows take ten.
# Time per iteration: median over the iterations after the first min(5, max(1, N / 10)), both
# sides (flowkit: the differences of the --history seconds, pooled over its rounds; PyTorch:
# each iteration's wall time).
# NFE per iteration: means over all iterations, of the evaluations of each trajectory: flowkit's
# are counted per trajectory and averaged (each has its own step size, and a solver call
# evaluates only those still moving), PyTorch's are its calls over the batch (one shared step
# size, like torchdiffeq: every trajectory is evaluated at every call).
# Targets (issue): flowkit at least 20x faster per iteration than PyTorch in both modes, at an
# equal or lower final loss. The issue's torchdiffeq calibration on this machine: 0.24 s per
# backprop iteration (about 300 NFE, final loss 2.8e-4 after 1000 iterations), 0.97 s per adjoint
# iteration.
# Environment: ITERS, ADJ_ITERS, TORCH_THREADS; QUICK=1 for a smoke run (20 / 5 iterations).
# Needs integrate and node-fit on PATH (make bench sets it), python3-torch for /usr/bin/python3
# (PyTorch rows skipped without it). Takes about 10 minutes on 2 idle cores at the defaults.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    ITERS=${ITERS:-20}
    ADJ_ITERS=${ADJ_ITERS:-5}
fi
ITERS=${ITERS:-1000}
ADJ_ITERS=${ADJ_ITERS:-50}
TORCH_THREADS=${TORCH_THREADS:-2 1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in integrate node-fit; do
    command -v "$tool" > /dev/null || { echo "node.sh: $tool is not on PATH" >&2; exit 1; }
done
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
warmup() { awk -v n="$1" 'BEGIN { w = int(n / 10); if (w < 1) w = 1; if (w > 5) w = 5; print w }'; }
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$here/torch_node.py" \
        --data "$work/data.csv" --init "$work/init.json" "$@"
}

# 1. Data: 1000 initial conditions ~ N(0, I) (Box-Muller, fixed seed), q,p one per row; solved
#    tightly with dense output at 50 times on [0, 2 pi].
TWO_PI=6.283185307179586
awk 'BEGIN { srand(1); pi = atan2(0, -1); print "q,p"
    for (i = 0; i < 1000; i++) {
        u1 = rand(); u2 = rand(); if (u1 < 1e-300) u1 = 1e-300
        r = sqrt(-2 * log(u1)); printf "%.17g,%.17g\n", r * cos(2 * pi * u2), r * sin(2 * pi * u2) } }' \
    > "$work/ics.csv"
integrate --system harmonic --method dopri5 --rtol 1e-10 --atol 1e-12 --t-end "$TWO_PI" \
    --output-dt "$(awk -v T="$TWO_PI" 'BEGIN { printf "%.17g", T / 49 }')" --quiet \
    < "$work/ics.csv" > "$work/data.csv"
read -r ntraj ntimes <<< "$(awk -F, 'NR > 1 { c[$1]++ } END { lo = 1e9; hi = 0
    for (k in c) { n++; if (c[k] < lo) lo = c[k]; if (c[k] > hi) hi = c[k] }
    print n, (lo == hi ? lo : -1) }' "$work/data.csv")"
if [ "$ntraj" != 1000 ] || [ "$ntimes" != 50 ]; then
    echo "node.sh: expected 1000 trajectories at 50 times each, got $ntraj at $ntimes" >&2
    exit 1
fi

# 2. The initial weights (2-32-2 tanh by default), for both sides.
node-fit --epochs 0 --seed 0 -o "$work/init.json" --quiet < "$work/data.csv"

# 3. flowkit. One round runs every mode; a run appends its iteration times (after the warm-up)
#    to $work/times.MODE.PRECISION, their median to $work/rounds.MODE.PRECISION, and leaves
#    "nfe_fwd nfe_bwd final_loss first_loss" in fk[MODE/PRECISION] (the same in every round: a
#    fixed seed gives the same bytes).
declare -A fk
flowkit_run() {
    local grad=$1 iters=$2 precision=$3
    node-fit --grad "$grad" --epochs "$iters" --lr 1e-2 --threads 2 --seed 0 --precision "$precision" \
        --history "$work/h.csv" -o "$work/model.json" --quiet < "$work/data.csv"
    local w
    w=$(warmup "$(($(wc -l < "$work/h.csv") - 1))")
    awk -F, -v w="$w" 'NR > 1 { if ($1 > w) print $NF - prev; prev = $NF }' "$work/h.csv" \
        > "$work/run_times"
    cat "$work/run_times" >> "$work/times.$grad.$precision"
    median < "$work/run_times" >> "$work/rounds.$grad.$precision"
    fk[$grad/$precision]=$(awk -F, 'NR == 2 { first = $2 } NR > 1 { n++; f += $5; b += $6; loss = $2 }
        END { printf "%.1f %.1f %.4e %.10e\n", f / n, b / n, loss, first }' "$work/h.csv")
}
flowkit_round() {
    for precision in double single; do
        flowkit_run backprop "$ITERS" "$precision"
        flowkit_run adjoint "$ADJ_ITERS" "$precision"
    done
}
# fk_s KEY: the median iteration time over the rounds so far
fk_s() { median < "$work/times.${1/\//.}"; }
flowkit_round
read -r _ _ _ fk_first <<< "${fk[backprop/double]}"

# 4. PyTorch: float64 against flowkit's double, on every thread count in TORCH_THREADS (the
#    adjoint with both norms); float32 against flowkit's single, on the thread count that was
#    faster in float64 (the adjoint with the seminorm, flowkit's error control).
rows=()   # mode|flowkit s|torch s|flowkit nfe|torch nfe|flowkit loss|torch loss
have_torch=0
/usr/bin/python3 -c 'import torch' 2> /dev/null && have_torch=1
declare -A best_s best_loss best_threads
# torch_row KEY LABEL ARGS...: one PyTorch run, a row against flowkit's fk[KEY], the fastest kept
torch_row() {
    local key=$1 label=$2
    shift 2
    local s f b loss first
    IFS=, read -r _ _ _ s f b loss _ first <<< "$(torch_ref "$@")"
    awk -v a="$fk_first" -v b="$first" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-4 * a) }' || {
        echo "node.sh: the first losses differ (flowkit $fk_first, PyTorch $first): not the same start" >&2
        exit 1; }
    read -r ff fb fl _ <<< "${fk[$key]}"
    rows+=("$label|$key|$s|$ff/$fb|$f/$b|$fl|$loss")
    if [ -z "${best_s[$key]:-}" ] || awk -v a="$s" -v b="${best_s[$key]}" 'BEGIN { exit !(a < b) }'; then
        best_s[$key]=$s; best_loss[$key]=$loss; best_threads[$key]=$th
    fi
}
if [ "$have_torch" = 1 ]; then
    for th in $TORCH_THREADS; do
        torch_row backprop/double "backprop, $ITERS it., PyTorch $th thr." \
            --mode backprop --iterations "$ITERS" --threads "$th"
        for norm in seminorm mixed; do
            torch_row adjoint/double "adjoint $norm, $ADJ_ITERS it., $th thr." \
                --mode adjoint --adjoint-norm "$norm" --iterations "$ADJ_ITERS" --threads "$th"
        done
    done
    flowkit_round
    th=${best_threads[backprop/double]}
    torch_row backprop/single "single: backprop, float32, $th thr." \
        --mode backprop --dtype float32 --iterations "$ITERS" --threads "$th"
    th=${best_threads[adjoint/double]}
    torch_row adjoint/single "single: adjoint seminorm, float32, $th thr." \
        --mode adjoint --adjoint-norm seminorm --dtype float32 --iterations "$ADJ_ITERS" --threads "$th"
    flowkit_round
else
    for key in backprop/double adjoint/double backprop/single adjoint/single; do
        read -r ff fb fl _ <<< "${fk[$key]}"
        rows+=("$key|$key|-|$ff/$fb|-|$fl|-")
    done
fi

printf '%-42s %10s %10s %8s %15s %15s %11s %11s\n' mode 'flowkit s' 'PyTorch s' ratio \
    'NFE flowkit' 'NFE PyTorch' 'loss fk' 'loss PyT'
for r in "${rows[@]}"; do
    IFS='|' read -r name key b fa fb la lb <<< "$r"
    a=$(fk_s "$key")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b == "-") print "-"; else printf "%.1fx", b / a }')
    printf '%-42s %10.5f %10s %8s %15s %15s %11s %11s\n' "$name" "$a" "$b" "$ratio" "$fa" "$fb" "$la" "$lb"
done
echo "(s = median seconds per iteration, flowkit's over its rounds; NFE = forward/backward"
echo " evaluations of a trajectory per iteration; loss = the last iteration's; flowkit --threads 2,"
echo " the single rows node-fit --precision single; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
for key in backprop/double adjoint/double backprop/single adjoint/single; do
    echo "flowkit $key, each round's median s: $(paste -sd' ' "$work/rounds.${key/\//.}")"
done
for precision in double single; do
    bp=$(fk_s backprop/$precision)
    adj=$(fk_s adjoint/$precision)
    awk -v p="$precision" -v a="$bp" -v b="$adj" 'BEGIN {
        printf "against the issue'"'"'s torchdiffeq figures, %s: backprop 0.24 s / %.5f s = %.1fx, adjoint 0.97 s / %.5f s = %.1fx\n",
            p, a, 0.24 / a, b, 0.97 / b }'
done
mark() { awk "BEGIN { exit !($1) }" && echo ok || echo short; }
if [ "$have_torch" = 1 ]; then
    for key in backprop/double adjoint/double backprop/single adjoint/single; do
        fs=$(fk_s "$key")
        read -r _ _ fl _ <<< "${fk[$key]}"
        ratio=$(awk -v t="${best_s[$key]}" -v f="$fs" 'BEGIN { printf "%.1f", t / f }')
        echo "target: $key >= 20x faster per iteration than PyTorch (its fastest row): ${ratio}x: $(mark "$ratio >= 20")"
        echo "target: $key final loss <= PyTorch's: $fl vs ${best_loss[$key]}: $(mark "$fl <= ${best_loss[$key]}")"
    done
else
    echo "(PyTorch rows skipped: /usr/bin/python3 cannot import torch; make bench-deps installs it)"
fi
