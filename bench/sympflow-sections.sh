#!/usr/bin/env bash
# How often a SympFlow keeps the Henon-Heiles orbits of the demo (examples/henon-heiles.sh): for
# each seed, sympflow-train on [-0.6, 0.6]^4 with its defaults (plus OPTIONS), then
#   - the energy error max |H - H0| at t = 1, 2, ..., 1000 from (0.3, -0.3, 0.3, 0.15);
#   - the Poincare sections x = 0 (upward) of the demo's 10 orbits at E = 0.1 to T = 1000, each
#     point's distance in (y, py) to the gauss4 section of the same orbit continued to 100 T
#     (poincare --reference), and the largest per orbit.
# The issue's criterion is every point within 0.02. Prints one line per seed and a summary.
#   usage: bench/sympflow-sections.sh [OPTION...]   (extra sympflow-train options, e.g. --dt 1)
# Environment: SEEDS (default "0 1 2 3 4 5 6"). Needs sympflow-train, integrate and poincare on
# PATH (make bench sets it). About 110 s per seed on 2 cores, plus 45 s for the reference.
set -euo pipefail
SEEDS=${SEEDS:-0 1 2 3 4 5 6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in sympflow-train integrate poincare; do
    command -v "$tool" > /dev/null || { echo "sympflow-sections.sh: $tool is not on PATH" >&2; exit 1; }
done
T=1000
DOMAIN="x=-0.6:0.6,y=-0.6:0.6,px=-0.6:0.6,py=-0.6:0.6"

integrate --system henon-heiles --random-ics 10 --seed 2 --domain "x=0:0,y=-0.3:0.5,py=-0.3:0.3" \
    --energy 0.1 --solve-for px --ics-only --quiet | cut -d, -f1-5 > "$work/ics.csv"
integrate --system henon-heiles --method gauss4 --dt 0.05 --t-end $((100 * T)) --output-dt 0.05 \
    --quiet < "$work/ics.csv" |
    poincare --plane x=0 --direction up --system henon-heiles --quiet > "$work/reference.csv"

echo "options: defaults $*"
printf '%-5s %8s %10s %10s  %s\n' seed "train s" "loss" "energy" "largest distance per orbit (orbits within 0.02)"
passed=0
for seed in $SEEDS; do
    sympflow-train --system henon-heiles --domain "$DOMAIN" --seed "$seed" "$@" \
        --history "$work/h.csv" --quiet -o "$work/sf.json"
    read -r loss secs <<< "$(tail -1 "$work/h.csv" | awk -F, '{ print $2, $NF }')"
    energy=$(integrate --flow "$work/sf.json" --ic 0.3,-0.3,0.3,0.15 --t-end $T --output-dt 1 --quiet |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "H") h = i; next }
                 NR == 2 { h0 = $h } { e = $h - h0; if (e < 0) e = -e; if (e > m) m = e }
                 END { printf "%.3g", m }')
    orbits=$(integrate --flow "$work/sf.json" --t-end $T --output-dt 0.05 --quiet < "$work/ics.csv" |
        poincare --plane x=0 --direction up --quiet --reference "$work/reference.csv" \
            --distance-vars y,py |
        awk -F, 'NR > 1 { if (!($1 in m) || $NF > m[$1]) m[$1] = $NF }
                 END { for (o = 0; o < 10; o++) { printf " %.3g", m[o]; if (m[o] <= 0.02) k++ }
                       printf " (%d)", k }')
    [[ $orbits == *"(10)" ]] && passed=$((passed + 1))
    printf '%-5s %8.1f %10.3g %10s %s\n' "$seed" "$secs" "$loss" "$energy" "$orbits"
done
echo "all 10 orbits within 0.02 for $passed of $(wc -w <<< "$SEEDS") seeds"
