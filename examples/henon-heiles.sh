#!/usr/bin/env bash
# The headline experiment (make demo): a symplectic neural flow (SympFlow) learnt from the
# Henon-Heiles equations alone, rolled out to T = 1000 beside gauss4, rk4 and a flow-map PINN
# trained the same way:
#   - the energy error |H - H0| over time from (x, y, px, py) = (0.3, -0.3, 0.3, 0.15), log-log;
#   - Poincare sections x = 0 (upward) at E = 0.1 for 10 orbits, the reference (gauss4) against
#     SympFlow and PINN, with the largest distance from a learned section point to the reference
#     section of the same orbit.
# Writes docs/henon-heiles-energy.png, docs/henon-heiles-learned-sections.png and the CSV behind
# them (in OUTPUT_DIR/henon-heiles-demo/); needs gnuplot for the pictures (`make deps`).
#   usage: examples/henon-heiles.sh [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=${1:-$here/../docs}
data=$outdir/henon-heiles-demo
mkdir -p "$data"
T=1000
IC=0.3,-0.3,0.3,0.15
# Both flows learn on the region the studied orbits fill (gauss4: every coordinate within 0.54
# over [0, 1000]), not on [-1, 1]^4, much of which lies above the escape energy 1/6: the same
# collocation points then fall 7.7 times as densely where the flows are used.
DOMAIN="x=-0.6:0.6,y=-0.6:0.6,px=-0.6:0.6,py=-0.6:0.6"

# Both learn the flow for t in [0, DT] and are composed to T: sympflow-train's default DT.
DT=0.5

echo "training SympFlow (L = 3, width 10; Adam then L-BFGS) and a flow-map PINN on [0, $DT] x [-0.6, 0.6]^4 ..."
sympflow-train --system henon-heiles --domain "$DOMAIN" --dt $DT --stats -o "$data/sympflow.json"
pinn-train --system henon-heiles --dt $DT --domain "$DOMAIN" --stats -o "$data/pinn.json"

# Energy error along one orbit, at 200 log-spaced times.
awk 'BEGIN { print "t"; for (i = 0; i < 200; i++) printf "%.10g\n", 10 ^ (4 * i / 199 - 1) }' > "$data/times.csv"
energy() { # name, integrate options...
    local name=$1
    shift
    integrate "$@" --ic "$IC" --t-end $T --times "$data/times.csv" --quiet |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "H") h = i; next }
                 NR == 2 { h0 = $h }
                 { e = $h - h0; if (e < 0) e = -e; print $2 "," (e > 1e-16 ? e : 1e-16) }' > "$data/energy-$name.csv"
}
energy gauss4 --system henon-heiles --method gauss4 --dt 0.05
energy rk4 --system henon-heiles --method rk4 --dt 0.05
energy sympflow --flow "$data/sympflow.json"
energy pinn --flow "$data/pinn.json"

# Sections at E = 0.1: 10 orbits (x = 0, y and py drawn, px > 0 from H = E), each method.
integrate --system henon-heiles --random-ics 10 --seed 2 --domain "x=0:0,y=-0.3:0.5,py=-0.3:0.3" \
    --energy 0.1 --solve-for px --ics-only --quiet | cut -d, -f1-5 > "$data/ics.csv"
# The reference: gauss4's sections of the same orbits, to T (drawn) and continued to 100 T
# (about 40 s). The long one traces each orbit's invariant curve, or the chaotic region it
# wanders in, densely enough that a learned point's distance from it measures the learned
# flow's error, not the gaps between reference points (up to 0.005 apart at T, and at 10 T
# chaotic orbits 2 and 8 still leave gaps of 0.02 to 0.2).
reference() { # name, end time
    integrate --system henon-heiles --method gauss4 --dt 0.05 --t-end "$2" --output-dt 0.05 --quiet < "$data/ics.csv" |
        poincare --plane x=0 --direction up --system henon-heiles --quiet > "$data/section-$1.csv"
}
reference gauss4 $T
reference gauss4-dense $((100 * T))
# A learned flow's sections (slopes from its own neighbouring rows), each point with its distance
# in (y, py) to the nearest point of the dense reference section of the same orbit (poincare
# --reference: the last column).
learned_section() { # name
    integrate --flow "$data/$1.json" --t-end $T --output-dt 0.05 --quiet < "$data/ics.csv" |
        poincare --plane x=0 --direction up --quiet \
            --reference "$data/section-gauss4-dense.csv" --distance-vars y,py > "$data/section-$1.csv"
}
learned_section sympflow
learned_section pinn

# The median and largest distance, and the largest per orbit.
distance() {
    awk -F, 'NR > 1 { print $NF }' "$data/section-$1.csv" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%d section points, median %.3g, max %.3g from the reference section\n", NR, v[int((NR + 1) / 2)], v[NR] }'
    awk -F, -v orbits=10 'NR > 1 { if (!($1 in m) || $NF > m[$1]) m[$1] = $NF }
        END { printf "  largest per orbit:"
              for (o = 0; o < orbits; o++)
                  if (o in m) { printf " %.3g", m[o]; if (m[o] <= 0.02) k++ } else printf " -"
              printf " (%d of %d orbits within 0.02; -: no section point)\n", k, orbits }' "$data/section-$1.csv"
}
printf '%-9s %s\n' method 'max |H - H0| over [0, 1000] from (0.3, -0.3, 0.3, 0.15)'
for name in gauss4 rk4 sympflow pinn; do
    printf '%-9s %s\n' "$name" "$(cut -d, -f2 "$data/energy-$name.csv" | sort -g | tail -1)"
done
echo "SympFlow: $(distance sympflow)"
echo "PINN:     $(distance pinn)"

if ! command -v gnuplot > /dev/null; then
    echo "gnuplot not found: CSV in $data, no pictures"
    exit 0
fi
gnuplot <<GP
set terminal pngcairo size 800,560 font ",11"
set output "$outdir/henon-heiles-energy.png"
set datafile separator ","
set logscale xy
set format y "10^{%L}"
set format x "10^{%L}"
set xlabel "t"
set ylabel "|H(t) - H(0)|"
set title "Henon-Heiles from (0.3, -0.3, 0.3, 0.15): energy error of learned and classical flows"
set key left top
set yrange [1e-12:1]
set grid
plot "$data/energy-gauss4.csv" with lines lw 2 title "gauss4, h = 0.05", \
     "$data/energy-rk4.csv" with lines lw 2 title "rk4, h = 0.05", \
     "$data/energy-sympflow.csv" with lines lw 2 title "SympFlow, dt = $DT", \
     "$data/energy-pinn.csv" with lines lw 2 title "PINN flow map, dt = $DT"

set terminal pngcairo size 1200,430 font ",10"
set output "$outdir/henon-heiles-learned-sections.png"
unset logscale
set format x "%g"
set format y "%g"
set multiplot layout 1,3 title "Henon-Heiles, E = 0.1: Poincare sections x = 0 (upward), 10 orbits to T = 1000"
set xlabel "y"
set ylabel "p_y"
set xrange [-0.4:0.65]
set yrange [-0.5:0.5]
unset key
set title "gauss4 (reference)"
plot "$data/section-gauss4.csv" using 4:6 every ::1 with points pt 7 ps 0.3 lc rgb "#1f4e9c"
set title "SympFlow"
plot "$data/section-sympflow.csv" using 4:6 every ::1 with points pt 7 ps 0.3 lc rgb "#2ca02c"
set title "PINN flow map"
plot "$data/section-pinn.csv" using 4:6 every ::1 with points pt 7 ps 0.3 lc rgb "#d62728"
unset multiplot
GP
echo "wrote $outdir/henon-heiles-energy.png and $outdir/henon-heiles-learned-sections.png"
