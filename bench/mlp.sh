#!/usr/bin/env bash
# Forward + backward of MLP losses: flowkit's ad::Tape (bench/mlp_loss.cpp, the tape rebuilt every
# step; one tape on one thread, and nn::BatchEvaluator with 2 threads over blocks of rows), and
# the SympFlow-shaped loss also in closed form (nn::HessianVectorKernel, rows "closed")
# against PyTorch autograd (bench/torch_mlp_loss.py, float64 and, for information, float32;
# torch.set_num_threads(2), OpenBLAS-OpenMP as DESIGN.md asks).
# Batch 1000, tanh, widths 32/64/128 with 2 hidden layers: the MSE of a 2 -> W -> W -> 1 net and
# the SympFlow-shaped loss mean_rows || d/dt grad_x V(t, x) ||^2 of a 3 -> W -> W -> 1 net.
# Same weights and inputs on both sides (fixed formulas); "loss agreement" is the relative
# difference of the float64 losses and of the gradient norms (1-thread flowkit vs torch).
# GFLOP/s counts only the matrix products of flowkit's 1-thread step; "peak" is a 2000 x 2000
# Eigen product on one core.
# "ratio", the target and "ratio to it" use the better (lower) of flowkit's 1- and 2-thread
# medians; the letter after the ratio says which (1t / 2t). The 2-thread loss must equal the
# 1-thread one (block sums reduced in block order): the footer gives the largest relative
# difference of loss and |grad| over the cases.
# Medians of REPEATS steps (default 40) after 300 ms of warm-up. Needs g++, Eigen, the build
# directory's libflowkit.a (the directory of the integrate on PATH; make bench sets it) and
# python3-torch for /usr/bin/python3. Takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
REPEATS=${REPEATS:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v integrate > /dev/null || { echo "mlp.sh: integrate is not on PATH" >&2; exit 1; }
build=$(dirname "$(command -v integrate)")
[ -f "$build/libflowkit.a" ] || { echo "mlp.sh: no libflowkit.a in $build" >&2; exit 1; }
nice g++ -std=c++17 -O3 -march=native -DNDEBUG -DEIGEN_FAST_MATH=0 -I "$root/lib" -isystem /usr/include/eigen3 -pthread \
    -o "$work/mlp_loss" "$here/mlp_loss.cpp" "$build/libflowkit.a"
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 \
        "$here/torch_mlp_loss.py" "$@"
}

peak=$("$work/mlp_loss" peak 0 "$REPEATS" | cut -d, -f6)

THREADS=2
# Each case's block size for the 2-thread run is that of the training loss it stands for: 128
# rows on the tape (pinn-train), 64 for the closed form (sympflow-train's fused residual).
maxdiff=0
declare -A torch_symp # PyTorch's line for the SympFlow-shaped loss, by width
printf '%-20s %10s %16s %12s %13s %12s %12s %12s %12s %8s %6s %s\n' case 'flowkit ms' "flowkit $THREADS thr ms" 'torch f64 ms' ratio \
    target 'f64 fastest' 'ratio to it' 'torch f32 ms' 'GFLOP/s' 'peak' 'loss agreement (rel. loss, rel. |grad|)'
for spec in "mse 32 5 128" "mse 64 - 128" "mse 128 1.5 128" "symp 32 10 128" "symp 64 - 128" "symp 128 - 128" \
    "sympk 32 10 64" "sympk 64 - 64" "sympk 128 - 64"; do
    read -r kind width target BLOCK_ROWS <<< "$spec"
    IFS=, read -r _ ms_f loss_f gn_f _ gflops <<< "$("$work/mlp_loss" "$kind" "$width" "$REPEATS")"
    IFS=, read -r _ ms_f2 loss_f2 gn_f2 _ _ <<< "$("$work/mlp_loss" "$kind" "$width" "$REPEATS" "$THREADS" "$BLOCK_ROWS")"
    maxdiff=$(awk -v m="$maxdiff" -v a="$loss_f" -v b="$loss_f2" -v c="$gn_f" -v d="$gn_f2" 'BEGIN {
        x = (a - b) / a; if (x < 0) x = -x; if (x > m) m = x
        x = (c - d) / c; if (x < 0) x = -x; if (x > m) m = x
        printf "%.1e", m }')
    # the closed form computes the same loss as the tape: the symp case's PyTorch run serves both
    if [ "$kind" = sympk ]; then
        torch_line=${torch_symp[$width]}
    else
        torch_line=$(torch_ref "$kind" "$width" "$REPEATS")
        [ "$kind" = symp ] && torch_symp[$width]=$torch_line
    fi
    IFS=, read -r _ ms_t loss_t gn_t ms_32 _ best_t <<< "$torch_line"
    case $kind in
    mse) name="MSE, width $width" ;;
    symp) name="SympFlow, width $width" ;;
    sympk) name="SympFlow closed, w $width" ;;
    esac
    awk -v n="$name" -v f1="$ms_f" -v f2="$ms_f2" -v t="$ms_t" -v b="$best_t" -v g="$target" -v s="$ms_32" -v gf="$gflops" \
        -v p="$peak" -v lf="$loss_f" -v lt="$loss_t" -v af="$gn_f" -v at="$gn_t" 'BEGIN {
        if (f2 < f1) { f = f2; which = "2t" } else { f = f1; which = "1t" }
        r = t / f; tgt = g == "-" ? "-" : sprintf(">= %gx", g)
        if (g != "-") tgt = tgt (r >= g ? " ok" : " MISS")
        dl = lf - lt; if (dl < 0) dl = -dl; da = af - at; if (da < 0) da = -da
        printf "%-20s %10.3f %16.3f %12.3f %9.2fx %2s %12s %12.3f %11.2fx %12.3f %8.2f %6.1f %.1e, %.1e\n", n, f1, f2, t, r, which,
            tgt, b, b / f, s, gf, p, dl / (lt < 0 ? -lt : lt), da / at }'
done
echo "(medians of $REPEATS steps; ratio = torch f64 median / the better flowkit median (1t = the whole batch on one thread; $THREADS""t = nn::BatchEvaluator, $THREADS threads, blocks of 128 rows on the tape, 64 in closed form), GFLOP/s from the 1-thread step; 'ratio to it' uses torch's fastest step (the machine is shared: PyTorch's two OpenMP threads suffer most from other load); $(nproc) cores;" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo "($THREADS-thread vs 1-thread flowkit: largest relative difference of loss and |grad| over the cases $maxdiff)"
