#!/usr/bin/env bash
# Forward + backward of MLP losses: flowkit's ad::Tape (bench/mlp_loss.cpp, one thread, the tape
# rebuilt every step) against PyTorch autograd (bench/torch_mlp_loss.py, float64 and, for
# information, float32; torch.set_num_threads(2), OpenBLAS-OpenMP as DESIGN.md asks).
# Batch 1000, tanh, widths 32/64/128 with 2 hidden layers: the MSE of a 2 -> W -> W -> 1 net and
# the SympFlow-shaped loss mean_rows || d/dt grad_x V(t, x) ||^2 of a 3 -> W -> W -> 1 net.
# Same weights and inputs on both sides (fixed formulas); "loss agreement" is the relative
# difference of the float64 losses and of the gradient norms. GFLOP/s counts only the matrix
# products of flowkit's step; "peak" is a 2000 x 2000 Eigen product on one core.
# Medians of REPEATS steps (default 40). Needs g++, Eigen, build/libflowkit.a (built if missing)
# and python3-torch for /usr/bin/python3. Takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
REPEATS=${REPEATS:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -f "$root/build/libflowkit.a" ] || cmake --build "$root/build" -j1 --target flowkit
g++ -std=c++17 -O3 -march=native -DNDEBUG -DEIGEN_FAST_MATH=0 -I "$root/lib" -isystem /usr/include/eigen3 \
    -o "$work/mlp_loss" "$here/mlp_loss.cpp" "$root/build/libflowkit.a"
torch_ref() {
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 \
        "$here/torch_mlp_loss.py" "$@"
}

peak=$("$work/mlp_loss" peak 0 "$REPEATS" | cut -d, -f6)

printf '%-20s %10s %12s %9s %12s %12s %12s %12s %8s %6s %s\n' case 'flowkit ms' 'torch f64 ms' ratio \
    target 'f64 fastest' 'ratio to it' 'torch f32 ms' 'GFLOP/s' 'peak' 'loss agreement (rel. loss, rel. |grad|)'
for spec in "mse 32 5" "mse 64 -" "mse 128 1.5" "symp 32 10" "symp 64 -" "symp 128 -"; do
    read -r kind width target <<< "$spec"
    IFS=, read -r _ ms_f loss_f gn_f _ gflops <<< "$("$work/mlp_loss" "$kind" "$width" "$REPEATS")"
    IFS=, read -r _ ms_t loss_t gn_t ms_32 _ best_t <<< "$(torch_ref "$kind" "$width" "$REPEATS")"
    [ "$kind" = mse ] && name="MSE, width $width" || name="SympFlow, width $width"
    awk -v n="$name" -v f="$ms_f" -v t="$ms_t" -v b="$best_t" -v g="$target" -v s="$ms_32" -v gf="$gflops" \
        -v p="$peak" -v lf="$loss_f" -v lt="$loss_t" -v af="$gn_f" -v at="$gn_t" 'BEGIN {
        r = t / f; tgt = g == "-" ? "-" : sprintf(">= %gx", g)
        if (g != "-") tgt = tgt (r >= g ? " ok" : " MISS")
        dl = lf - lt; if (dl < 0) dl = -dl; da = af - at; if (da < 0) da = -da
        printf "%-20s %10.3f %12.3f %8.2fx %12s %12.3f %11.2fx %12.3f %8.2f %6.1f %.1e, %.1e\n", n, f, t, r,
            tgt, b, b / f, s, gf, p, dl / (lt < 0 ? -lt : lt), da / at }'
done
echo "(medians of $REPEATS steps; ratio = torch f64 median / flowkit median, 'ratio to it' uses torch's fastest step (the machine is shared: PyTorch's two OpenMP threads suffer most from other load); $(nproc) cores;" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
