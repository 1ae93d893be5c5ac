#!/usr/bin/env bash
# |H(t) - H(0)| on log-log axes for rk4, dopri5, verlet and gauss4 on Henon-Heiles from
# (x, y, px, py) = (0, 0.1, 0.5, 0) to T = 1000, written at 200 log-spaced times (--times).
# Writes docs/energy-drift.png (needs gnuplot; `make deps` installs gnuplot-nox).
#   usage: examples/energy-drift.sh [OUTPUT.png]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../docs/energy-drift.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 200 times from 0.1 to 1000, equally spaced in log t.
awk 'BEGIN { print "t"; for (i = 0; i < 200; i++) printf "%.10g\n", 0.1 * 10 ^ (4 * i / 199) }' > "$work/times.csv"

for run in "rk4 --dt 0.05" "dopri5 --rtol 1e-8 --atol 1e-10" "verlet --dt 0.05" "gauss4 --dt 0.05"; do
    set -- $run
    method=$1
    shift
    integrate --system henon-heiles --method "$method" "$@" --t-end 1000 --ic 0,0.1,0.5,0 \
        --times "$work/times.csv" --quiet |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "H") h = i; next }
                 NR == 2 { h0 = $h }
                 { e = $h - h0; if (e < 0) e = -e; if (e > 0) print $2, e }' > "$work/$method.dat"
done

gnuplot <<GP
set terminal pngcairo size 800,560 font ",11"
set output "$out"
set logscale xy
set format y "10^{%L}"
set format x "10^{%L}"
set xlabel "t"
set ylabel "|H(t) - H(0)|"
set title "Henon-Heiles, energy error: E = 0.1297, from (0, 0.1, 0.5, 0)"
set key right bottom
set yrange [1e-14:1e-3]
set grid
plot "$work/rk4.dat" with lines lw 2 title "rk4, h = 0.05", \
     "$work/dopri5.dat" with lines lw 2 title "dopri5, tol 1e-8", \
     "$work/verlet.dat" with lines lw 2 title "verlet, h = 0.05", \
     "$work/gauss4.dat" with lines lw 2 title "gauss4, h = 0.05"
GP
echo "wrote $out"
