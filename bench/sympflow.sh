#!/usr/bin/env bash
# SympFlow training against a PyTorch SympFlow (issue 9, "Speed"): harmonic oscillator, L = 3 pairs
# of potentials [q; t] -> 10 -> 10 -> 1 (tanh), 1000 fresh points (t, x0) per epoch,
# x0 ~ U([-1.2, 1.2]^2), t ~ U[-0.1 dt, dt]. Rows:
#   flowkit Adam 1e-3 double / single
#                        sympflow-train --dt 1 --optimizer adam --lr 1e-3 --epochs 300
#                        --collocation 1000 --threads 2 --precision double|single: the PyTorch
#                        set-up (the paper's dt = 1), for the time per epoch (the --history
#                        seconds of the last epoch / 300; the median of 5 runs).
#   PyTorch f64 / f32    bench/torch_sympflow.py, Adam lr 1e-3, 300 epochs, 2 threads, time of the
#                        training loop / 300; speed only. Plus a 1-thread run of each (its OpenMP
#                        threads suffer most from other load).
#                        These four in REPEATS rounds, each running all of them back to back;
#                        every row is the median over the rounds.
#   flowkit default      sympflow-train's default options, dt = 0.5 (median training time of
#                        REPEATS runs, from the --history seconds; the runs are identical but for
#                        the times), rolled out by integrate --flow from (1, 0) to T = 1000.
#   flowkit default, single  the same with --precision single (one run): the set-up of the
#                        single-precision speed rows, to the same quality targets.
#   flowkit --ham-match 1  Hamiltonian matching, 16000 epochs of which 8000 L-BFGS on a fixed set
#                        of 2000 points (one run), rolled out the same way.
#   PyTorch f64 5000     torch_sympflow.py's 5000 Adam epochs and its roll-out to T = 1000: only with
#                        FULL=1 (2.5-5 min on 2 cores, by the load); otherwise not run.
#   flowkit default HH   the same defaults on Henon-Heiles, Omega = [-1, 1]^4, rolled out from
#                        (0.3, -0.3, 0.3, 0.15) to T = 1000 (no exact solution: energy only).
# Discovery from data: the oscillator's trajectories alone, the roll-out's relative error and
# energy error after 100 steps and the learned Hamiltonian against (q^2 + p^2)/2.
# Roll-out errors, both sides, at t = 1, 2, ..., 1000: energy = max |H - H0| (H the true energy);
# position = max of |q - cos t| and |p + sin t| (against the exact (cos t, -sin t)).
# Targets (issue 9): flowkit at least 30x faster per epoch than PyTorch float64 (the faster of its
# 2- and 1-thread times; flowkit's whole 300-epoch run, test evaluations included), shown like
# for like (double against float64, single against float32) and single against float64; the default
# harmonic run: energy error <= 1e-4 and position error <= 0.1 after under 2 minutes of training;
# Henon-Heiles: energy error below 1e-3 (the issue's quality bound).
# Needs sympflow-train and integrate on PATH (make bench sets it); python3-torch for
# /usr/bin/python3 (PyTorch rows skipped without it). Takes about 10 minutes on 2 cores (without
# FULL=1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPEATS=${REPEATS:-3}
FULL=${FULL:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in integrate sympflow-train; do
    command -v "$tool" > /dev/null || { echo "sympflow.sh: $tool is not on PATH" >&2; exit 1; }
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# The last history row: "epochs final_loss seconds".
history_last() { tail -1 "$1" | awk -F, '{ printf "%d %.3e %s\n", $1, $2, $NF }'; }
# Roll-out of the harmonic model $1 from (1, 0) to T = 1000: "energy_error position_error".
harmonic_errors() {
    integrate --flow "$1" --ic 1,0 --t-end 1000 --quiet | awk -F, '
        NR == 2 { h0 = $NF }
        NR > 1 { e = $NF - h0; if (e < 0) e = -e; if (e > me) me = e
                 e = $3 - cos($2); if (e < 0) e = -e; if (e > mp) mp = e
                 e = $4 + sin($2); if (e < 0) e = -e; if (e > mp) mp = e }
        END { printf "%.2e %.2e\n", me, mp }'
}
# Roll-out of the Henon-Heiles model $1 to T = 1000: max |H - H0|.
hh_energy_error() {
    integrate --flow "$1" --ic 0.3,-0.3,0.3,0.15 --t-end 1000 --quiet | awk -F, '
        NR == 2 { h0 = $NF } NR > 1 { e = $NF - h0; if (e < 0) e = -e; if (e > m) m = e }
        END { printf "%.2e\n", m }'
}
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$here/torch_sympflow.py" "$@"
}
HARMONIC=(--system harmonic --domain "q=-1.2:1.2,p=-1.2:1.2")
HAM_MATCH=(--ham-match 1 --epochs 16000 --lbfgs-epochs 8000 --lbfgs-collocation 2000)
SPEED_EPOCHS=300
rows=()   # name|epochs|train s|ms/epoch|final loss|energy|position

# (a) Per-epoch speed, like for like: flowkit in double and with --precision single against
# PyTorch in float64 and float32, in REPEATS rounds, each running every configuration once back
# to back (this machine's speed drifts by a third over minutes: interleaved, a slow spell slows
# both sides); a row's time is the median over the rounds.
have_torch=0
/usr/bin/python3 -c 'import torch' 2> /dev/null && have_torch=1
: > "$work/speed" # lines "config seconds ms/epoch [ms/epoch before the last 15 %|loss]"
for _ in $(seq "$REPEATS"); do
    for precision in double single; do
        # flowkit's 300 epochs take a third of a second, a blink of this machine's slow spells:
        # the median of 5 runs is the round's
        : > "$work/runs"
        for _ in 1 2 3 4 5; do
            sympflow-train "${HARMONIC[@]}" --dt 1 --optimizer adam --lr 1e-3 \
                --epochs "$SPEED_EPOCHS" --collocation 1000 --threads 2 --precision "$precision" \
                -o "$work/adam.json" --history "$work/h.csv" --quiet
            read -r epochs loss secs <<< "$(history_last "$work/h.csv")"
            echo "$loss" > "$work/loss.$precision"
            # also the rate before the last 15 % of epochs, where the best model is chosen on a
            # fixed test set (an extra loss evaluation per epoch, which PyTorch does not do)
            awk -F, -v c="$precision" -v s="$secs" -v e="$SPEED_EPOCHS" 'NR > 1 { t[$1] = $NF } END {
                k = int(0.85 * e); print c, s, 1000 * s / e, 1000 * (t[k] - t[1]) / (k - 1) }' \
                "$work/h.csv" >> "$work/runs"
        done
        sort -g -k3 "$work/runs" | sed -n 3p >> "$work/speed"
    done
    if [ "$have_torch" = 1 ]; then
        for dtype in float64 float32; do
            IFS=, read -r _ _ secs ms loss _ _ <<< "$(torch_ref --dtype "$dtype" --epochs "$SPEED_EPOCHS" --rollout 0)"
            echo "$dtype $secs $ms $loss" >> "$work/speed"
            # one thread, speed only: PyTorch's OpenMP threads suffer most from other load
            IFS=, read -r _ _ secs ms _ _ _ <<< "$(torch_ref --dtype "$dtype" --threads 1 --epochs "$SPEED_EPOCHS" --rollout 0)"
            echo "$dtype-1 $secs $ms" >> "$work/speed"
        done
    fi
done
# column $2 of config $1's lines, median over the rounds
round_median() { awk -v c="$1" -v k="$2" '$1 == c { print $k }' "$work/speed" | median; }
declare -A ms_flowkit ms_train ms_torch ms_torch1
for precision in double single; do
    secs=$(round_median "$precision" 2)
    ms_flowkit[$precision]=$(round_median "$precision" 3)
    ms_train[$precision]=$(round_median "$precision" 4)
    rows+=("flowkit Adam 1e-3 $precision|$SPEED_EPOCHS|$secs|${ms_flowkit[$precision]}|$(cat "$work/loss.$precision")|-|-")
done
if [ "$have_torch" = 1 ]; then
    for dtype in float64 float32; do
        ms_torch[$dtype]=$(round_median "$dtype" 3)
        ms_torch1[$dtype]=$(round_median "$dtype-1" 3)
        loss=$(awk -v c="$dtype" '$1 == c { l = $4 } END { print l }' "$work/speed")
        rows+=("PyTorch $dtype Adam 1e-3|$SPEED_EPOCHS|$(round_median "$dtype" 2)|${ms_torch[$dtype]}|$loss|-|-")
    done
fi

# (b) Quality: flowkit's defaults on the oscillator, rolled out to T = 1000.
: > "$work/times"
for _ in $(seq "$REPEATS"); do
    sympflow-train "${HARMONIC[@]}" -o "$work/sf.json" --history "$work/h.csv" --quiet
    read -r _ _ secs <<< "$(history_last "$work/h.csv")"
    echo "$secs" >> "$work/times"
done
t_default=$(median < "$work/times")
read -r epochs loss _ <<< "$(history_last "$work/h.csv")"
read -r e_default p_default <<< "$(harmonic_errors "$work/sf.json")"
rows+=("flowkit default|$epochs|$t_default|$(awk -v s="$t_default" -v e="$epochs" 'BEGIN { print 1000 * s / e }')|$loss|$e_default|$p_default")

# (b') The same defaults with --precision single (the network in float in the Adam epochs; the
# L-BFGS epochs in double), the set-up of the single-precision speed rows. One run.
sympflow-train "${HARMONIC[@]}" --precision single -o "$work/sf1.json" --history "$work/h.csv" --quiet
read -r epochs loss t_single <<< "$(history_last "$work/h.csv")"
read -r e_single p_single <<< "$(harmonic_errors "$work/sf1.json")"
rows+=("flowkit default, single|$epochs|$t_single|$(awk -v s="$t_single" -v e="$epochs" 'BEGIN { print 1000 * s / e }')|$loss|$e_single|$p_single")

# (b'') The energy-conserving set-up: Hamiltonian matching, more L-BFGS on a smaller fixed set.
sympflow-train "${HARMONIC[@]}" "${HAM_MATCH[@]}" -o "$work/ham.json" \
    --history "$work/h.csv" --quiet
read -r epochs loss t_ham <<< "$(history_last "$work/h.csv")"
read -r e_ham p_ham <<< "$(harmonic_errors "$work/ham.json")"
rows+=("flowkit --ham-match 1|$epochs|$t_ham|$(awk -v s="$t_ham" -v e="$epochs" 'BEGIN { print 1000 * s / e }')|$loss|$e_ham|$p_ham")

if [ "$have_torch" = 1 ] && [ "$FULL" = 1 ]; then
    IFS=, read -r _ epochs secs ms loss e p <<< "$(torch_ref --dtype float64 --epochs 5000 --rollout 1000)"
    rows+=("PyTorch float64 5000 ep.|$epochs|$secs|$ms|$loss|$(printf %.2e "$e")|$(printf %.2e "$p")")
fi

# (c) The same defaults on Henon-Heiles (energy only).
sympflow-train --system henon-heiles --domain "x=-1:1,y=-1:1,px=-1:1,py=-1:1" \
    -o "$work/hh.json" --history "$work/h.csv" --quiet
read -r epochs loss t_hh <<< "$(history_last "$work/h.csv")"
e_hh=$(hh_energy_error "$work/hh.json")
rows+=("flowkit default, HH|$epochs|$t_hh|$(awk -v s="$t_hh" -v e="$epochs" 'BEGIN { print 1000 * s / e }')|$loss|$e_hh|-")

# (d) Discovery from data: 100 trajectories of the oscillator (x0 ~ U([-1, 1]^2)), 50 times in
# [0, 1), no equations given; the model rolled out 100 steps from (0.6, 0.3), and its own
# Hamiltonian H_N at t = 0 on a 21 x 21 grid of [-1, 1]^2 against (q^2 + p^2)/2 (up to a constant:
# the spread of H_N - H over the grid, (max - min)/2).
integrate --system harmonic --random-ics 100 --domain "q=-1:1,p=-1:1" --method dopri5 \
    --rtol 1e-10 --atol 1e-12 --t-end 0.98 --output-dt 0.02 --quiet | cut -d, -f1-4 > "$work/data.csv"
sympflow-train --data "$work/data.csv" -o "$work/data.json" --history "$work/h.csv" --quiet
read -r epochs_data _ t_data <<< "$(history_last "$work/h.csv")"
read -r rel_data e_data <<< "$(integrate --flow "$work/data.json" --ic 0.6,0.3 --t-end 100 --quiet |
    awk -F, 'NR > 1 { q = 0.6 * cos($2) + 0.3 * sin($2); p = -0.6 * sin($2) + 0.3 * cos($2)
                      e = sqrt(($3 - q)^2 + ($4 - p)^2) / sqrt(0.45); if ($2 == 100) r = e
                      h = 0.5 * ($3^2 + $4^2) - 0.225; if (h < 0) h = -h; if (h > m) m = h }
                 END { printf "%.2e %.2e\n", r, m }')"
h_data=$(awk 'BEGIN { print "q,p"; for (i = 0; i <= 20; i++) for (j = 0; j <= 20; j++)
                        printf "%.2f,%.2f\n", -1 + i / 10, -1 + j / 10 }' |
    sympflow-train hamiltonian --model "$work/data.json" |
    awk -F, 'NR > 1 { d = $3 - 0.5 * ($1^2 + $2^2); if (NR == 2 || d < lo) lo = d; if (NR == 2 || d > hi) hi = d }
             END { printf "%.2e\n", (hi - lo) / 2 }')

printf '%-26s %6s %10s %9s %10s %11s %11s\n' run epochs 'train (s)' 'ms/epoch' 'final loss' \
    'energy err' 'pos. err'
for r in "${rows[@]}"; do
    IFS='|' read -r name epochs secs ms loss e p <<< "$r"
    printf '%-26s %6d %10.2f %9.2f %10.2e %11s %11s\n' "$name" "$epochs" "$secs" "$ms" "$loss" "$e" "$p"
done
echo "from data (oscillator, 100 trajectories x 50 times in [0, 1), $epochs_data epochs, $(printf %.1f "$t_data") s): after 100 steps"
echo "  relative trajectory error $rel_data, max energy error $e_data; H_N - (q^2 + p^2)/2 on [-1, 1]^2: constant within $h_data"
echo "(harmonic, L = 3, width 10, 1000 points per epoch; speed rows: $SPEED_EPOCHS epochs, median of $REPEATS rounds;"
echo " flowkit default: median training time of $REPEATS runs (--history seconds); errors of the roll-out to T = 1000)"
awk '{ ms[$1] = ms[$1] " " $3 } END { printf "per round (ms/epoch):"
    for (c in ms) printf " %s%s;", c, ms[c]; print "" }' "$work/speed"
if [ "$have_torch" = 1 ]; then
    [ "$FULL" = 1 ] || echo "(PyTorch's 5000 epochs and roll-out not run: FULL=1 runs them; the issue quotes energy 3e-3, position 1.15)"
    # against the faster of PyTorch's 2- and 1-thread epochs (other load slows its 2 OpenMP
    # threads most; the issue's 31 ms is the unloaded float64 figure)
    declare -A ms_ref
    for dtype in float64 float32; do
        ms_ref[$dtype]=$(awk -v a="${ms_torch[$dtype]}" -v b="${ms_torch1[$dtype]}" 'BEGIN { print a < b ? a : b }')
        echo "PyTorch $dtype per epoch: ${ms_torch[$dtype]} ms on 2 threads, ${ms_torch1[$dtype]} ms on 1"
    done
    for pair in "double float64" "single float32" "single float64"; do
        read -r precision dtype <<< "$pair"
        awk -v t="${ms_ref[$dtype]}" -v f="${ms_flowkit[$precision]}" -v g="${ms_train[$precision]}" \
            -v p="$precision" -v d="$dtype" -v k="$((SPEED_EPOCHS * 85 / 100))" 'BEGIN {
            printf "epoch: PyTorch %s %.2f ms / flowkit %s %.3f ms = %.1fx (epochs 2-%d: %.3f ms, %.1fx)\n",
                   d, t, p, f, t / f, k, g, t / g }'
    done
else
    echo "(PyTorch rows skipped: /usr/bin/python3 cannot import torch; make bench-deps installs it)"
fi
mark() { awk "BEGIN { exit !($1) }" && echo ok || echo short; }
if [ "$have_torch" = 1 ]; then
    for pair in "double float64" "single float32" "single float64"; do
        read -r precision dtype <<< "$pair"
        ratio=$(awk -v t="${ms_ref[$dtype]}" -v f="${ms_flowkit[$precision]}" 'BEGIN { printf "%.1f", t / f }')
        echo "target: >= 30x faster per epoch than PyTorch (the faster of 1 and 2 threads), flowkit $precision against $dtype: ${ratio}x: $(mark "$ratio >= 30")"
    done
fi
for run in "default:$e_default:$p_default:$t_default" \
    "default, --precision single:$e_single:$p_single:$t_single" "--ham-match 1:$e_ham:$p_ham:$t_ham"; do
    IFS=: read -r name e p t <<< "$run"
    echo "target ($name): harmonic energy error <= 1e-4: $e: $(mark "$e <= 1e-4");" \
        "position error <= 0.1: $p: $(mark "$p <= 0.1"); training under 2 minutes:" \
        "$(printf %.1f "$t") s: $(mark "$t < 120")"
done
echo "target: Henon-Heiles energy error < 1e-3: $e_hh: $(mark "$e_hh < 1e-3")"
echo "($(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
