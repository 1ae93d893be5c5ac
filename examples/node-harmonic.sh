#!/usr/bin/env bash
# The lecture notes' Neural ODE example: harmonic-oscillator trajectories from 200 initial
# conditions drawn from a standard normal, 50 times on [0, 2 pi], fitted by node-fit (an MLP
# 2 -> 32 -> 2, tanh, Adam lr 1e-2, backprop through dopri5); the learned field predicts an
# initial condition it never saw, (0.7, -0.3), with integrate --field. Prints the prediction's
# max error and writes docs/node-harmonic.png: data, prediction and exact solution in the phase
# plane, and the loss curve (needs gnuplot; `make deps` installs gnuplot-nox).
#   usage: examples/node-harmonic.sh [OUTPUT.png]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../docs/node-harmonic.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
two_pi=6.283185307179586

# Box-Muller from a fixed awk seed: 200 standard normal initial conditions.
awk 'BEGIN { srand(7); print "q,p"
             for (i = 0; i < 200; i++) { r = sqrt(-2 * log(1 - rand())); a = 6.283185307179586 * rand()
                                         printf "%.17g,%.17g\n", r * cos(a), r * sin(a) } }' > "$work/ics.csv"
integrate --system harmonic --method dopri5 --rtol 1e-10 --atol 1e-12 --t-end $two_pi \
    --output-dt "$(awk -v T=$two_pi 'BEGIN { printf "%.17g", T / 49 }')" --quiet \
    < "$work/ics.csv" > "$work/data.csv"

node-fit --vars q,p --threads 2 --stats --history "$work/history.csv" -o "$work/node.json" \
    < "$work/data.csv"
integrate --field "$work/node.json" --ic 0.7,-0.3 --method dopri5 --rtol 1e-10 --t-end $two_pi \
    --output-dt 0.02 --quiet > "$work/predicted.csv"

awk -F, 'NR > 1 { q = 0.7 * cos($2) - 0.3 * sin($2); p = -0.7 * sin($2) - 0.3 * cos($2)
                  e = sqrt(($3 - q)^2 + ($4 - p)^2); if (e > m) m = e; print $3, $4, q, p }
         END { printf "prediction from (0.7, -0.3): max |x(t) - exact| on [0, 2 pi] = %.3g\n", m > "/dev/stderr" }' \
    "$work/predicted.csv" > "$work/predicted.dat"
awk -F, 'NR > 1 && $1 < 12 { print $3, $4 } NR > 1 && $1 < 12 && $2 > 6.28 { print "" }' \
    "$work/data.csv" > "$work/data.dat"
awk -F, 'NR > 1 { print $1, $2 }' "$work/history.csv" > "$work/loss.dat"

gnuplot <<GP
set terminal pngcairo size 1000,460 font ",11"
set output "$out"
set multiplot layout 1,2 title "Neural ODE fitted to harmonic-oscillator trajectories (node-fit)"
set size ratio -1
set xlabel "q"
set ylabel "p"
set key bottom right opaque box
plot "$work/data.dat" using 1:2 with points pt 7 ps 0.3 lc rgb "#999999" title "data (12 of 200)", \
     "$work/predicted.dat" using 3:4 with lines lw 4 lc rgb "#bbbbbb" title "exact, (0.7, -0.3)", \
     "$work/predicted.dat" using 1:2 with lines lw 1.5 lc rgb "#d62728" title "learned field"
set size noratio
set logscale y
set format y "10^{%T}"
set xlabel "epoch"
set ylabel "training loss (MSE)"
unset key
plot "$work/loss.dat" using 1:2 with lines lw 1.5 lc rgb "#1f77b4"
unset multiplot
GP
echo "wrote $out"
