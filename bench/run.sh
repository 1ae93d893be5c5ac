#!/usr/bin/env bash
# flowkit benchmarks against reference implementations, side by side in one script.
# Rows 1-3 time the stepping only, as each program reports it (flowkit: the time in its --stats
# summary, which leaves out process start and option parsing; Boost: its loop; SciPy: the
# solve_ivp call); row 4 times whole shell loops. Medians over REPEATS runs; every row also
# checks that both sides agree on the final state.
# Needs: integrate on PATH (make bench sets it), g++ with Boost (libboost-dev), SciPy for
# /usr/bin/python3 (python3-scipy). Run by `make bench`; takes about three minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPEATS=${REPEATS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Median of the seconds in integrate's closing summary ("..., 0.0123 s; ...") over REPEATS runs;
# the last run's output stays in $work/out.
time_integrate() {
    for _ in $(seq "$REPEATS"); do
        integrate "$@" --stats > "$work/out" 2> "$work/err"
        sed -E 's/.*evaluations, ([0-9.e+-]+) s.*/\1/' "$work/err"
    done | median
}
# Median of the last field a reference program prints over REPEATS runs.
time_reference() {
    for _ in $(seq "$REPEATS"); do
        "$@" > "$work/out"
        awk -F, '{ print $NF }' "$work/out"
    done | median
}
# Largest absolute difference between two comma-separated lists of numbers.
max_diff() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, ","); split(b, y, ",");
    m = 0; for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > m) m = d }; printf "%.1e", m }'; }
final_state() { tail -1 "$work/out" | cut -d, -f3-6; }
ratio() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { printf f, a / b }'; }

g++ -std=c++17 -O3 -march=native -o "$work/boost_hh" "$here/boost_henon_heiles.cpp"
IC=0,0.1,0.5,0
rows=()

# 1. RK4, h = 0.01, 10^7 steps, one trajectory, only the final state written; Boost with the
#    classic field (lambda = 1 written in) and with lambda read at run time like ours.
RK4=(--system henon-heiles --method rk4 --dt 0.01 --t-end 100000 --ic $IC --every 100000000)
t_flow=$(time_integrate "${RK4[@]}")
t_flow_rk4=$t_flow
ours=$(final_state)
t_boost=$(time_reference "$work/boost_hh" 10000000 0.01)
rows+=("rk4, 10^7 steps|Boost.Odeint rk4, lambda = 1|$t_flow|$t_boost|$(ratio "$t_flow" "$t_boost" "%.2fx the time")|<= 1.10x|$(max_diff "$ours" "$(cut -d, -f1-4 "$work/out")")")
t_boost=$(time_reference "$work/boost_hh" 10000000 0.01 1.0)
rows+=("rk4, 10^7 steps|Boost.Odeint rk4, lambda param|$t_flow|$t_boost|$(ratio "$t_flow" "$t_boost" "%.2fx the time")|<= 1.10x|$(max_diff "$ours" "$(cut -d, -f1-4 "$work/out")")")

# 2. dopri5 at rtol = atol = 1e-10 to T = 1000 against SciPy's DOP853.
t_flow=$(time_integrate --system henon-heiles --method dopri5 --rtol 1e-10 --atol 1e-10 --t-end 1000 --ic $IC --every 100000000)
ours=$(final_state)
scipy=$(/usr/bin/python3 "$here/scipy_henon_heiles.py" 1000 1e-10 "$REPEATS")
t_scipy=${scipy%%,*}
rows+=("dopri5 1e-10, T = 1000|SciPy solve_ivp DOP853|$t_flow|$t_scipy|$(ratio "$t_scipy" "$t_flow" "%.0fx faster")|>= 50x|$(max_diff "$ours" "${scipy#*,}")")

# 3. A batch of 1000 initial conditions (10^4 rk4 steps each, --threads default: all cores)
#    against the same number of steps taken one trajectory at a time (row 1: the fast path).
awk 'BEGIN { srand(1); print "x,y,px,py"; for (i = 0; i < 1000; i++)
    printf "%.6f,%.6f,%.6f,%.6f\n", 0.2*rand()-0.1, 0.2*rand()-0.1, 0.2*rand()-0.1, 0.2*rand()-0.1 }' > "$work/ics.csv"
t_batch=$(time_integrate --system henon-heiles --method rk4 --dt 0.01 --t-end 100 -i "$work/ics.csv" --every 100000000)
rows+=("1000 ICs x 10^4 rk4 steps|one trajectory, 10^7 steps|$t_batch|$t_flow_rk4|$(ratio "$t_flow_rk4" "$t_batch" "%.1fx the throughput")|>= 3x|-")

# 4. The same batch against 1000 separate runs, as a shell loop does it (wall clock, once).
start=$(date +%s.%N)
tail -n +2 "$work/ics.csv" | while IFS= read -r ic; do
    integrate --system henon-heiles --method rk4 --dt 0.01 --t-end 100 --ic "$ic" --every 100000000 --quiet > /dev/null
done
t_loop=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
start=$(date +%s.%N)
integrate --system henon-heiles --method rk4 --dt 0.01 --t-end 100 -i "$work/ics.csv" --every 100000000 --quiet > /dev/null
t_whole=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
rows+=("1000 ICs, whole command|1000 separate integrate runs|$t_whole|$t_loop|$(ratio "$t_loop" "$t_whole" "%.0fx faster")|-|-")

# 5. poincare streaming 10^7 rows (a harmonic orbit, 0.01 apart): its time and peak
#    memory, against counting the lines of the same file with wc -l.
integrate --system harmonic --method rk4 --dt 0.01 --t-end 100000 --ic 1,0 --quiet > "$work/long.csv"
/usr/bin/time -f "%e %M" -o "$work/poincare.time" poincare --plane q=0 --system harmonic \
    -i "$work/long.csv" --quiet > "$work/section.csv"
read -r t_section rss_kb < "$work/poincare.time"
start=$(date +%s.%N)
wc -l < "$work/long.csv" > /dev/null
t_wc=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
rows+=("poincare, 10^7 rows|wc -l on the same file|$t_section|$t_wc|$(ratio "$t_section" "$t_wc" "%.0fx the time") ($((rss_kb / 1024)) MB)|-|-")
rm -f "$work/long.csv"

printf '%-26s %-31s %11s %11s %21s %9s %9s\n' benchmark reference 'flowkit(s)' 'ref(s)' result target 'max diff'
for r in "${rows[@]}"; do
    IFS='|' read -r name ref a b result target diff <<< "$r"
    printf '%-26s %-31s %11.4f %11.4f %21s %9s %9s\n' "$name" "$ref" "$a" "$b" "$result" "$target" "$diff"
done
echo "(medians of $REPEATS runs; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"

# The learning core: MLP losses on the tape against PyTorch.
echo
"$here/mlp.sh"

# PINN training against a PyTorch PINN (the notes' Figure 1 set-up).
echo
"$here/pinn.sh"

# SympFlow training against a PyTorch SympFlow (issue 9's speed and quality targets).
echo
"$here/sympflow.sh"

# Neural ODE training against a PyTorch dopri5 that mirrors torchdiffeq (issue 7's targets).
echo
"$here/node.sh"

# Continuous normalising flows (cnf-sample) against PyTorch: flow matching, sampling, mle.
echo
"$here/cnf.sh"
