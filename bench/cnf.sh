#!/usr/bin/env bash
# Continuous normalising flows: cnf-sample against plain PyTorch (bench/torch_cnf.py) on the
# 8 gaussians toy set (20000 points, cnf-sample toy --seed 1), the vector field an MLP
# (x1, x2, t) -> 64 -> 64 -> 2 tanh. Both sides start from the same weights (cnf-sample train
# --epochs 0 --seed 0, read by the PyTorch side from the model JSON).
# Rows:
#   fm       flow-matching training (straight path, batch 256, Adam lr 1e-3), ITERS iterations
#            (default 2000): median seconds per iteration, flowkit --threads 2 and 1; final loss
#            = the mean of the last min(200, ITERS) iterations' losses (both sides: same start,
#            their own random batches); in double and with --precision single (the network and
#            its gradient in float, PyTorch float32's arithmetic: the target's row). ROUNDS
#            rounds (default 3), each running every flowkit and PyTorch configuration once, back
#            to back; a row's time is the median over the rounds of each run's median (this
#            machine's speed drifts by a third over tens of seconds, and one run falls in one
#            state).
#   sample   2000 points pushed from t = 0 to 1 with 20 RK4 steps through the flowkit model of
#            the fm row: flowkit = the noise and the solve as `cnf-sample sample --stats` times
#            them (median of REPEATS runs), in double and with --precision single (the network
#            in float, PyTorch float32's arithmetic: the target's row), the process start-up and
#            model reading (the whole process with -n 0) on its own row; PyTorch = one call
#            (noise and solve, autograd off), median of up to 20. In ROUNDS rounds as fm.
#            Check: PyTorch's float64 RK4 push of flowkit's noise (the t = 0 rows of `cnf-sample
#            sample --path -n 5 --seed 4`) against flowkit's t = 1 rows, <= 1e-10.
#   mle      maximum-likelihood training, exact trace, RK4 10 steps from t = 1 to 0, backprop
#            through the steps, batch 256, ITERS_MLE iterations (default 200): median seconds per
#            iteration, flowkit --threads 2 and 1; PyTorch's divergence by one autograd.grad per
#            dimension (create_graph=True). Check: the mle loss at the initial weights on the
#            first 1000 data points, mean of -logp from `cnf-sample logp --method rk4 --steps 10`
#            against PyTorch's float64, within 1e-8. In double and with --precision single (the
#            network, its divergence and their gradients in float). (No speed target in the
#            issue: information.)
# PyTorch runs float32 and float64 with torch.set_num_threads for each count in TORCH_THREADS
# (default "2 1"; QUICK: "1"); the reference is the faster float32 run; ratio = reference /
# flowkit. Each PyTorch run stops after TORCH_BUDGET seconds (default 30; sampling a third of
# it): its OpenMP threads can slow down by 50x when the other core is busy (the run's line then
# says after how many iterations it stopped).
# Time per iteration: median over the iterations after the first min(5, max(1, N / 10)) (flowkit:
# the differences of the --history seconds; PyTorch: each iteration's wall time).
# Targets (issue): fm and sample (their single-precision rows) at least 5x faster than PyTorch
# float32. The issue's PyTorch calibration on this machine: 1.15 ms per fm iteration, 0.13 s per
# 2000-point sample.
# Environment: ITERS, ITERS_MLE, REPEATS, ROUNDS, TORCH_THREADS, TORCH_BUDGET; QUICK=1 for a
# smoke run (100 / 10 iterations, 3 repeats, 1 round, PyTorch 1 thread, 3 s budget; under 30 s).
# Needs cnf-sample on PATH (make bench sets it), python3-torch for /usr/bin/python3 (PyTorch
# columns empty without it). About 2.5 minutes on 2 idle cores at the defaults.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    ITERS=${ITERS:-100}
    ITERS_MLE=${ITERS_MLE:-10}
    REPEATS=${REPEATS:-3}
    ROUNDS=${ROUNDS:-1}
    TORCH_THREADS=${TORCH_THREADS:-1}
    TORCH_BUDGET=${TORCH_BUDGET:-3}
fi
ITERS=${ITERS:-2000}
ITERS_MLE=${ITERS_MLE:-200}
REPEATS=${REPEATS:-7}
ROUNDS=${ROUNDS:-3}
TORCH_THREADS=${TORCH_THREADS:-2 1}
TORCH_BUDGET=${TORCH_BUDGET:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v cnf-sample > /dev/null || { echo "cnf.sh: cnf-sample is not on PATH" >&2; exit 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
warmup() { awk -v n="$1" 'BEGIN { w = int(n / 10); if (w < 1) w = 1; if (w > 5) w = 5; print w }'; }
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$here/torch_cnf.py" "$@"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f\n", b - a }'; }
within() { awk -v d="$1" -v tol="$2" 'BEGIN { exit !(d <= tol) }'; }
have_torch=0
/usr/bin/python3 -c 'import torch' 2> /dev/null && have_torch=1

# 1. Data and the initial weights.
cnf-sample toy 8gaussians -n 20000 --seed 1 > "$work/data.csv"
head -1001 "$work/data.csv" > "$work/sub.csv"
cnf-sample train --data "$work/data.csv" --epochs 0 --seed 0 -o "$work/init.json" --quiet

# 2. flowkit training. Prints "s/iteration final_loss" from the history; the model stays in $3.
flowkit_train() {
    local threads=$1 iters=$2 out=$3 window=$4
    shift 4
    cnf-sample train --data "$work/data.csv" "$@" --epochs "$iters" --lr 1e-3 --batch 256 \
        --threads "$threads" --seed 0 --history "$work/h.csv" -o "$out" --quiet
    local n w
    n=$(($(wc -l < "$work/h.csv") - 1))
    w=$(warmup "$n")
    local per
    per=$(awk -F, -v w="$w" 'NR > 1 { if ($1 > w) print $NF - prev; prev = $NF }' "$work/h.csv" | median)
    awk -F, -v s="$per" -v n="$n" -v k="$window" 'NR > 1 && NR - 1 > n - k { sum += $2; c++ }
        END { printf "%s %.6e\n", s, sum / c }' "$work/h.csv"
}
win_fm=$((ITERS < 200 ? ITERS : 200))
win_mle=$((ITERS_MLE < 20 ? ITERS_MLE : 20))
single=(--precision single)

# 2a. Flow matching in rounds: every flowkit and PyTorch configuration once per round. Each run
#     appends "KEY SECONDS LOSS" to $work/runs; a configuration's time is the median over the
#     rounds (its loss is the same every round on flowkit's side: same seed).
for round in $(seq "$ROUNDS"); do
    for th in 2 1; do
        read -r s loss <<< "$(flowkit_train "$th" "$ITERS" "$work/fm$th.json" "$win_fm")"
        echo "fk_fm$th $s $loss" >> "$work/runs"
        read -r s loss <<< "$(flowkit_train "$th" "$ITERS" "$work/fms$th.json" "$win_fm" "${single[@]}")"
        echo "fk_fms$th $s $loss" >> "$work/runs"
    done
    if [ "$have_torch" = 1 ]; then
        for th in $TORCH_THREADS; do
            for dt in float32 float64; do
                IFS=, read -r _ _ _ n s loss _ <<< "$(torch_ref --mode fm --init "$work/init.json" \
                    --data "$work/data.csv" --dtype "$dt" --threads "$th" --iterations "$ITERS" \
                    --loss-window "$win_fm" --max-seconds "$TORCH_BUDGET")"
                echo "torch_fm_${dt}_$th $s $loss $([ "$n" = "$ITERS" ] || echo "(stopped after $n it.)")" >> "$work/runs"
            done
        done
    fi
done
round_median() {   # round_median KEY: "SECONDS LOSS NOTE" of the round with the median time
    awk -v k="$1" '$1 == k { $1 = ""; print substr($0, 2) }' "$work/runs" | sort -g |
        awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'
}
read -r fk_fm2 fk_fm_loss <<< "$(round_median fk_fm2)"
read -r fk_fm1 _ <<< "$(round_median fk_fm1)"
read -r fk_fms2 fk_fms_loss <<< "$(round_median fk_fms2)"
read -r fk_fms1 _ <<< "$(round_median fk_fms1)"
cp "$work/fm2.json" "$work/fm.json" # the model the sampling rows push through

mle_opts=(--objective mle --trace exact --method rk4 --steps 10)
read -r fk_mle2 fk_mle_loss <<< "$(flowkit_train 2 "$ITERS_MLE" "$work/mle.json" "$win_mle" "${mle_opts[@]}")"
read -r fk_mle1 _ <<< "$(flowkit_train 1 "$ITERS_MLE" "$work/mle1.json" "$win_mle" "${mle_opts[@]}")"
read -r fk_mles2 fk_mles_loss <<< "$(flowkit_train 2 "$ITERS_MLE" "$work/mles.json" "$win_mle" "${mle_opts[@]}" "${single[@]}")"
read -r fk_mles1 _ <<< "$(flowkit_train 1 "$ITERS_MLE" "$work/mles1.json" "$win_mle" "${mle_opts[@]}" "${single[@]}")"

# 3. Sampling in rounds as 2a: flowkit's noise and solve as its --stats summary times them
#    ("2000 samples (rk4, 20 steps) in 0.0385 s", median of REPEATS runs), PyTorch's median call;
#    and flowkit's whole process with -n 0 (start-up, reading the model).
sample_time() {   # sample_time [--precision single]
    for _ in $(seq "$REPEATS"); do
        cnf-sample sample --model "$work/fm.json" -n 2000 --seed 4 --method rk4 --steps 20 \
            --threads 2 --stats "$@" 2>&1 > "$work/samples.csv" | sed -E 's/.* in ([0-9.e+-]+) s$/\1/'
    done | median
}
start_time() {
    for _ in $(seq "$REPEATS"); do
        local t0
        t0=$(now)
        cnf-sample sample --model "$work/fm.json" -n 0 > /dev/null
        elapsed "$t0"
    done | median
}
for round in $(seq "$ROUNDS"); do
    echo "fk_sample $(sample_time)" >> "$work/runs"
    echo "fk_sample_single $(sample_time --precision single)" >> "$work/runs"
    if [ "$have_torch" = 1 ]; then
        for th in $TORCH_THREADS; do
            for dt in float32 float64; do
                IFS=, read -r _ _ _ n s <<< "$(torch_ref --mode sample --init "$work/fm.json" \
                    --dtype "$dt" --threads "$th" --count 2000 --steps 20 --repeats 20 \
                    --max-seconds "$(awk -v b="$TORCH_BUDGET" 'BEGIN { print b / 3 }')")"
                echo "torch_sample_${dt}_$th $s - ($n calls)" >> "$work/runs"
            done
        done
    fi
done
read -r fk_sample _ <<< "$(round_median fk_sample)"
read -r fk_sample_single _ <<< "$(round_median fk_sample_single)"
fk_start=$(start_time)
cnf-sample sample --model "$work/fm.json" --path --method rk4 --steps 20 -n 5 --seed 4 > "$work/path.csv"
fk_logp=$(cnf-sample logp --model "$work/init.json" --method rk4 --steps 10 < "$work/sub.csv" |
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "logp") c = i }
             NR > 1 { s -= $c; n++ } END { printf "%.17g", s / n }')

# 4. PyTorch: float32 and float64 per thread count; the fastest of each dtype is kept.
declare -A best best_thr best_loss
keep() {   # keep KEY SECONDS THREADS LOSS
    if [ -z "${best[$1]:-}" ] || awk -v a="$2" -v b="${best[$1]}" 'BEGIN { exit !(a < b) }'; then
        best[$1]=$2; best_thr[$1]=$3; best_loss[$1]=$4
    fi
}
detail=()
push_diff=- torch_logp=- logp_diff=-
if [ "$have_torch" = 1 ]; then
    for th in $TORCH_THREADS; do
        line="PyTorch $th thr.:"
        for dt in float32 float64; do
            read -r s loss note <<< "$(round_median "torch_fm_${dt}_$th")"
            keep "fm_$dt" "$s" "$th" "$loss"
            line+=" fm $dt $s s${note:+ $note},"
            IFS=, read -r _ _ _ n s loss _ <<< "$(torch_ref --mode mle --init "$work/init.json" \
                --data "$work/data.csv" --dtype "$dt" --threads "$th" --iterations "$ITERS_MLE" \
                --steps 10 --loss-window "$win_mle" --max-seconds "$TORCH_BUDGET")"
            keep "mle_$dt" "$s" "$th" "$loss"
            line+=" mle $s s$([ "$n" = "$ITERS_MLE" ] || echo " (stopped after $n it.)"),"
            read -r s _ note <<< "$(round_median "torch_sample_${dt}_$th")"
            keep "sample_$dt" "$s" "$th" -
            line+=" sample $s s $note;"
        done
        detail+=("$line (fm, sample: medians of $ROUNDS rounds)")
    done
    IFS=, read -r _ push_diff <<< "$(torch_ref --mode push --init "$work/fm.json" --data "$work/path.csv" --steps 20)"
    IFS=, read -r _ torch_logp <<< "$(torch_ref --mode logp --init "$work/init.json" --data "$work/sub.csv" --steps 10)"
    logp_diff=$(awk -v a="$fk_logp" -v b="$torch_logp" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.1e", d }')
fi

# 5. The table.
tcol() { if [ -n "${best[$1]:-}" ]; then printf '%.6f(%s)' "${best[$1]}" "${best_thr[$1]}"; else echo -; fi; }
ratio() { if [ -n "${best[$2]:-}" ]; then awk -v f="$1" -v t="${best[$2]}" 'BEGIN { printf "%.1fx", t / f }'; else echo -; fi; }
mark() { awk "BEGIN { exit !($1) }" && echo ok || echo short; }
checks=()
ok_push=- ok_logp=-
if [ "$have_torch" = 1 ]; then
    ok_push=$(within "$push_diff" 1e-10 && echo ok || echo FAIL)
    ok_logp=$(within "$logp_diff" 1e-8 && echo ok || echo FAIL)
fi
rows=(
    "fm $ITERS it., flowkit 2 thr.|$fk_fm2|fm|-|$fk_fm_loss|${best_loss[fm_float32]:--}|same start"
    "fm $ITERS it., flowkit 1 thr.|$fk_fm1|fm|-|$fk_fm_loss|${best_loss[fm_float32]:--}|"
    "fm single, 2 thr.|$fk_fms2|fm|>=5x|$fk_fms_loss|${best_loss[fm_float32]:--}|"
    "fm single, 1 thr.|$fk_fms1|fm|-|$fk_fms_loss|${best_loss[fm_float32]:--}|"
    "sample 2000, RK4 20|$fk_sample|sample|-|-|-|push $push_diff $ok_push"
    "sample 2000, RK4 20, single|$fk_sample_single|sample|>=5x|-|-|"
    "sample -n 0 (process start)|$fk_start|-|-|-|-|"
    "mle $ITERS_MLE it., flowkit 2 thr.|$fk_mle2|mle|-|$fk_mle_loss|${best_loss[mle_float32]:--}|logp $logp_diff $ok_logp"
    "mle $ITERS_MLE it., flowkit 1 thr.|$fk_mle1|mle|-|$fk_mle_loss|${best_loss[mle_float32]:--}|"
    "mle single, 2 thr.|$fk_mles2|mle|-|$fk_mles_loss|${best_loss[mle_float32]:--}|"
    "mle single, 1 thr.|$fk_mles1|mle|-|$fk_mles_loss|${best_loss[mle_float32]:--}|"
)
printf '%-32s %10s %14s %14s %7s %6s %10s %10s  %s\n' row 'flowkit s' 'PyT fp32 s' 'PyT fp64 s' ratio \
    target 'loss fk' 'loss PyT' checks
for r in "${rows[@]}"; do
    IFS='|' read -r name fs key target lf lt check <<< "$r"
    if [ "$key" = - ]; then
        printf '%-32s %10.6f %14s %14s %7s %6s %10s %10s  %s\n' "$name" "$fs" - - - - "$lf" "$lt" "$check"
    else
        printf '%-32s %10.6f %14s %14s %7s %6s %10s %10s  %s\n' "$name" "$fs" "$(tcol "${key}_float32")" \
            "$(tcol "${key}_float64")" "$(ratio "$fs" "${key}_float32")" "$target" "$lf" "$lt" "$check"
    fi
done
echo "(s = median seconds per iteration / per sampling call; PyTorch: the faster thread count in"
echo " parentheses; ratio = PyTorch float32 / flowkit; loss = mean of the last $win_fm (fm) / $win_mle (mle)"
echo " iterations, PyTorch float32; push = max |PyTorch float64 RK4 of flowkit's noise - flowkit's"
echo " samples|, tolerance 1e-10; logp = |flowkit - PyTorch float64| mean -logp at the initial weights"
echo " on 1000 points ($fk_logp), tolerance 1e-8; $(nproc) cores;"
echo " $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
if [ "$have_torch" = 1 ]; then
    printf '%s\n' "${detail[@]}"
fi
awk -v a="$fk_fm2" -v a1="$fk_fms2" -v b="$fk_sample" -v c="$fk_sample_single" 'BEGIN {
    printf "against the issue'"'"'s PyTorch figures: fm 1.15 ms / %.4f ms = %.1fx" \
        " (single: %.4f ms, %.1fx), sample 0.13 s / %.4f s = %.1fx (single: %.4f s, %.1fx)\n",
        a * 1000, 0.00115 / a, a1 * 1000, 0.00115 / a1, b, 0.13 / b, c, 0.13 / c }'
if [ "$have_torch" = 1 ]; then
    for key in fm sample; do
        if [ "$key" = fm ]; then fs=$fk_fms2; else fs=$fk_sample_single; fi
        r=$(awk -v t="${best[${key}_float32]}" -v f="$fs" 'BEGIN { printf "%.1f", t / f }')
        echo "target: $key >= 5x faster than PyTorch float32: ${r}x: $(mark "$r >= 5")"
    done
    echo "check: sample push-forward of flowkit's noise: $push_diff: $ok_push;" \
        "mle loss at the initial weights: $fk_logp vs $torch_logp: $ok_logp"
    [ "$ok_push" = ok ] && [ "$ok_logp" = ok ] || { echo "cnf.sh: a check failed" >&2; exit 1; }
else
    echo "(PyTorch columns empty: /usr/bin/python3 cannot import torch; make bench-deps installs it)"
fi
