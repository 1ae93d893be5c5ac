#!/usr/bin/env bash
# Continuous normalising flows on three of FFJORD's 2-D toy sets (moons, 8gaussians,
# checkerboard) with cnf-sample: 20000 training points each (--seed 1), one flow trained by
# flow matching (the defaults: an MLP (x, t) -> 64 -> 64 -> 2, tanh, 20000 Adam steps of 256
# points, lr 1e-3 on a cosine schedule) and one by maximum likelihood (400 steps of 256 points,
# lr 3e-3, dopri5 at 1e-5, exact trace, backprop). For each set and objective it prints the
# held-out NLL (mean -logp over 2000 fresh points, --seed 2) and the energy distance of 2000
# samples to those fresh points, beside the energy distance between two fresh data sets
# (--seed 2 and 3: what sampling noise alone gives). Writes docs/cnf-toys.png: per set, the
# data, then the samples and the learned density exp(logp) on [-4.5, 4.5]^2 of each objective
# (needs gnuplot; `make deps` installs gnuplot-nox). The checkerboard's flows are wider,
# (x, t) -> 128 -> 128 -> 128 -> 2: its sharp edges are beyond 64,64 at these budgets. About two
# minutes on 2 cores, most of it in the maximum-likelihood trainings.
#   usage: examples/cnf-toys.sh [OUTPUT.png]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../docs/cnf-toys.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sets="moons 8gaussians checkerboard"

# The density grid: 91 x 91 points, step 0.1, on [-4.5, 4.5]^2.
awk 'BEGIN { print "x1,x2"; for (i = -45; i <= 45; i++) for (j = -45; j <= 45; j++) print i / 10 "," j / 10 }' \
    > "$work/grid.csv"

printf '%-13s %-10s %12s %16s %22s\n' "data set" objective "held-out NLL" "energy distance" \
    "(two fresh data sets)" > "$work/table.txt"
for s in $sets; do
    w=$work/$s
    mkdir -p "$w"
    cnf-sample toy "$s" -n 20000 --seed 1 > "$w/d.csv"
    cnf-sample toy "$s" -n 2000 --seed 2 > "$w/test.csv"
    base=$(cnf-sample toy "$s" -n 2000 --seed 3 | cnf-sample distance --data "$w/test.csv" |
               awk 'NR == 2')
    awk -F, 'NR > 1 && NR <= 2001 { print $1, $2 }' "$w/d.csv" > "$w/data.dat"
    for obj in fm mle; do
        if [ "$obj" = fm ]; then
            opts=()
        else
            opts=(--objective mle --epochs 400 --lr 3e-3)
        fi
        # The checkerboard's sharp edges need a larger network than the default 64,64.
        [ "$s" = checkerboard ] && opts+=(--hidden 128,128,128)
        echo "$s, $obj:" >&2
        cnf-sample train --data "$w/d.csv" "${opts[@]}" --threads 2 --stats -o "$w/$obj.json"
        cnf-sample sample --model "$w/$obj.json" -n 2000 --threads 2 > "$w/$obj-samples.csv"
        awk -F, 'NR > 1 { print $1, $2 }' "$w/$obj-samples.csv" > "$w/$obj-samples.dat"
        cnf-sample logp --model "$w/$obj.json" --threads 2 < "$work/grid.csv" |
            awk -F, 'NR > 1 { print $1, $2, exp($3) }' > "$w/$obj-density.dat"
        nll=$(cnf-sample logp --model "$w/$obj.json" --threads 2 < "$w/test.csv" |
                  awk -F, 'NR > 1 { s -= $3; n++ } END { printf "%.3f", s / n }')
        ed=$(cnf-sample distance --data "$w/test.csv" < "$w/$obj-samples.csv" | awk 'NR == 2')
        printf '%-13s %-10s %12s %16.2e %22.2e\n' "$s" "$obj" "$nll" "$ed" "$base" >> "$work/table.txt"
    done
done
cat "$work/table.txt"

# 3 rows (data sets) x 5 columns: data | fm samples | fm density | mle samples | mle density.
{
    cat <<GP
set terminal pngcairo size 1400,860 font ",12"
set output "$out"
set multiplot layout 3,5 title "continuous normalising flows on toy data (cnf-sample): flow matching (fm) and maximum likelihood (mle)" \
    margins 0.035,0.995,0.01,0.92 spacing 0.006,0.012
set size ratio -1
set xrange [-4.5:4.5]
set yrange [-4.5:4.5]
unset xtics
unset ytics
unset key
unset colorbox
set palette defined (0 "#ffffff", 0.15 "#c6dbef", 0.4 "#4292c6", 0.7 "#08519c", 1 "#08306b")
GP
    row=0
    for s in $sets; do
        w=$work/$s
        for panel in data fm-samples fm-density mle-samples mle-density; do
            if [ $row -eq 0 ]; then
                case $panel in
                    data) title="data (2000 of 20000)" ;;
                    *-samples) title="${panel%-samples} samples" ;;
                    *-density) title="${panel%-density} density exp(logp)" ;;
                esac
                echo "set title \"$title\""
            else
                echo "unset title"
            fi
            if [ $panel = data ]; then echo "set ylabel \"$s\""; else echo "unset ylabel"; fi
            case $panel in
                data) echo "plot \"$w/data.dat\" using 1:2 with points pt 7 ps 0.15 lc rgb \"#444444\"" ;;
                *-samples) echo "plot \"$w/$panel.dat\" using 1:2 with points pt 7 ps 0.15 lc rgb \"#c0392b\"" ;;
                *-density) echo "plot \"$w/$panel.dat\" using 1:2:3 with image" ;;
            esac
        done
        row=$((row + 1))
    done
    echo "unset multiplot"
} > "$work/plot.gp"
gnuplot "$work/plot.gp"
echo "wrote $out"
