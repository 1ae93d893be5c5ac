#!/usr/bin/env bash
# The lecture notes' long-time story for PINNs: one network for the IVP on [0, 100] fails, a
# flow map learnt on [0, 1] x [-1.2, 1.2]^2 and composed 100 times by `integrate --flow`
# succeeds. Harmonic oscillator from (q, p) = (1, 0); exact q = cos t. Prints the max error of
# both and writes docs/pinn-long-time.png (needs gnuplot; `make deps` installs gnuplot-nox).
#   usage: examples/pinn-long-time.sh [OUTPUT.png]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../docs/pinn-long-time.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
T=100

# The same budget for both: the default network (50, 50) and 2000 epochs of Adam then L-BFGS.
pinn-train --system harmonic --ic 1,0 --t-end $T --stats -o "$work/ivp.json"
pinn-train --system harmonic --dt 1 --domain "q=-1.2:1.2,p=-1.2:1.2" --stats -o "$work/flow.json"

integrate --flow "$work/ivp.json" --t-end $T --output-dt 0.05 --quiet > "$work/ivp.csv"
integrate --flow "$work/flow.json" --ic 1,0 --t-end $T --output-dt 0.05 --quiet > "$work/flow.csv"

for run in ivp flow; do
    awk -F, -v name="$run" 'NR > 1 { e = sqrt(($3 - cos($2))^2 + ($4 + sin($2))^2); if (e > m) m = e
                                     print $2, $3, cos($2) > "/dev/stdout" }
                            END { printf "%-5s max |x(t) - exact| on [0, 100]: %.3g\n", name, m > "/dev/stderr" }' \
        "$work/$run.csv" > "$work/$run.dat"
done

gnuplot <<GP
set terminal pngcairo size 900,560 font ",11"
set output "$out"
set multiplot layout 2,1 title "Harmonic oscillator, q(t) from (1, 0): one PINN on [0, 100] against a flow map on [0, 1] composed"
set xrange [0:$T]
set yrange [-1.6:1.6]
set ylabel "q"
set key at graph 0.99, graph 0.98 opaque box
set lmargin 8
set rmargin 3
plot "$work/ivp.dat" using 1:3 with lines lw 3 lc rgb "#bbbbbb" title "exact", \
     "$work/ivp.dat" using 1:2 with lines lw 1.5 lc rgb "#d62728" title "IVP PINN"
set xlabel "t"
plot "$work/flow.dat" using 1:3 with lines lw 3 lc rgb "#bbbbbb" title "exact", \
     "$work/flow.dat" using 1:2 with lines lw 1.5 lc rgb "#1f77b4" title "flow map x 100"
unset multiplot
GP
echo "wrote $out"
