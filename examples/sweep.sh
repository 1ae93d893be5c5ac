#!/usr/bin/env bash
# A parameter sweep as users run it when one machine is not enough: Henon-Heiles sections at 16
# energies, each an independent `integrate | poincare` run, fanned out with GNU parallel and
# gathered into one CSV with the energy as its first column.
#   usage: examples/sweep.sh [OUTPUT.csv] [extra GNU parallel options]
# Across hosts that have flowkit installed: examples/sweep.sh out.csv --sshlogin 8/host1,8/host2
# (each run is small and independent; parallel keeps the output of one job together).
set -euo pipefail
out=${1:-sweep.csv}
shift || true

run_one() { # ENERGY: the section of 8 orbits at that energy, with a column E in front
    integrate --system henon-heiles --random-ics 8 --seed 7 \
        --domain "x=0:0,y=-0.3:0.5,py=-0.4:0.4" --energy "$1" --solve-for px \
        --method gauss4 --dt 0.05 --t-end 500 --every 2 --quiet |
        poincare --plane x=0 --system henon-heiles --quiet |
        awk -v e="$1" 'NR > 1 { print e "," $0 }'
}
export -f run_one

{
    echo "E,traj,t,x,y,px,py,H"
    awk 'BEGIN { for (i = 0; i < 16; i++) printf "%.6f\n", 1/24 + i * (1/6 - 1/24) / 15 }' |
        parallel --env run_one --keep-order "$@" run_one {}
} > "$out"
echo "wrote $out: $(($(wc -l < "$out") - 1)) section points at 16 energies"
