#!/usr/bin/env bash
# The classic Henon-Heiles Poincare sections (x = 0, crossing upward, points (y, py)) at the
# energies E = 1/12, 1/8, 1/6, 15 orbits each, gauss4: regular islands at low energy, the
# chaotic sea at 1/6. Then the section at E = 0.1 with 10 orbits to T = 4000 (the SympFlow
# paper's set-up, against which learned flows are judged).
# Initial conditions: x = 0, y and py drawn (seeded), px > 0 solved from H = E.
# Writes docs/henon-heiles-sections.png and docs/henon-heiles-e0.1.png (needs gnuplot).
#   usage: examples/henon-heiles-sections.sh [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-$here/../docs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# section ENERGY ORBITS T_END SEED > points.csv
section() {
    integrate --system henon-heiles --random-ics "$2" --seed "$4" \
        --domain "x=0:0,y=-0.45:0.95,py=-0.55:0.55" --energy "$1" --solve-for px \
        --method gauss4 --dt 0.05 --t-end "$3" --every 2 --quiet |
        poincare --plane x=0 --direction up --system henon-heiles --quiet
}

for e in 1/12 1/8 1/6; do
    section "$(awk "BEGIN { print $e }")" 15 2000 1 > "$work/E${e/\//_}.csv"
done
section 0.1 10 4000 2 > "$work/E0.1.csv"

gnuplot <<GP
set terminal pngcairo size 1200,430 font ",10"
set output "$outdir/henon-heiles-sections.png"
set datafile separator ","
set multiplot layout 1,3 title "Henon-Heiles: Poincare sections x = 0 (upward), 15 orbits each, gauss4 h = 0.05"
set xlabel "y"
set ylabel "p_y"
set xrange [-0.55:1.05]
set yrange [-0.6:0.6]
unset key
do for [e in "1_12 1_8 1_6"] {
    set title sprintf("E = %s", e[1:1]."/".e[3:])
    plot sprintf("$work/E%s.csv", e) using 4:6 every ::1 with dots lc rgb "#1f4e9c"
}
unset multiplot
set terminal pngcairo size 600,520 font ",10"
set output "$outdir/henon-heiles-e0.1.png"
set title "Henon-Heiles, E = 0.1: 10 orbits to T = 4000 (x = 0, upward)"
set xrange [-0.4:0.65]
set yrange [-0.5:0.5]
plot "$work/E0.1.csv" using 4:6 every ::1 with points pt 7 ps 0.25 lc rgb "#1f4e9c"
GP
for f in "$work"/E*.csv; do echo "$(basename "$f" .csv): $(($(wc -l < "$f") - 1)) section points"; done
echo "wrote $outdir/henon-heiles-sections.png $outdir/henon-heiles-e0.1.png"
