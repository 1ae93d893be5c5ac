"""Reference for bench/node.sh: the lecture notes' Neural ODE example ("Implementation with
PyTorch": harmonic oscillator, 1000 initial conditions, 50 times on [0, 2 pi], MLP 2-32-2 tanh,
Adam lr 1e-2) in plain PyTorch, mirroring torchdiffeq's dopri5 (torch 1.13 has no torch.func and
torchdiffeq is not installed, so its behaviour is written out here).

Solver (torchdiffeq's RKAdaptiveStepsizeODESolver with the Dormand-Prince 5(4) tableau): the
whole batch shares one step size; error ratio = norm(err / (atol + rtol max(|y0|, |y1|))) with
the RMS norm over all elements (a single tensor, torchdiffeq's default); controller safety 0.9,
ifactor 10, dfactor 0.2 (1 after an accepted step: an accepted step never shrinks the next),
order 5; initial step by Hairer's rule (order 4, under no_grad, 2 evaluations with f(y0));
steps are not clipped to the output times: each output comes from the 4th-order dense output
(torchdiffeq's _interp_fit with the DPS_C_MID coefficients). Step sizes and error ratios are
detached (no_grad), as in torchdiffeq.
Modes:
  backprop  autograd through every accepted step and the interpolation (torchdiffeq's odeint);
  adjoint   torchdiffeq's odeint_adjoint: forward solve without a graph, then interval by
            interval from the last output time to the first a fresh dopri5 solve (own initial
            step) of the augmented state [y, a, g] backward in time, y' = f(y),
            a' = -a^T df/dy, g' = -a^T df/dtheta (vector-Jacobian products by
            torch.autograd.grad with grad_outputs -a, as torchdiffeq); at each output time y is
            reset to the forward solution and a += dL/dy. --adjoint-norm mixed (default, what
            odeint_adjoint does without adjoint_options): max of the RMS norms of y, a and each
            parameter tensor's g separately; seminorm (adjoint_options=dict(norm="seminorm")):
            max of the RMS norms of y and a only.
Loss = mean((Y - Y*)^2) over all 50 times x 1000 trajectories x 2 components (the notes'); Adam
lr 1e-2 (PyTorch's defaults otherwise). Data: flowkit's trajectory CSV (traj,t,q,p[,H]; every
trajectory at the same 50 times, y0 = its first row); initial weights: the "params" of a flowkit
node model JSON (nn::Mlp layout: W1 32x2 row-major, b1 32, W2 2x32 row-major, b2 2).
NFE per iteration: forward = every evaluation of f in the forward solve (initial-step probe and
rejected steps included); backward = backprop: the evaluations the backward pass goes through
(f(y0) and the 6 new stages of every accepted step), adjoint: evaluations of the augmented
dynamics (each one f and one vector-Jacobian product). Means over all iterations.
Prints one line: mode,dtype,iterations,median s/iteration (iterations after the warm-up ones),
NFE forward,NFE backward,final loss (the last iteration's, before its update),total seconds,
first loss (to check that both sides start from the same weights).
Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (Debian's torch otherwise
links the slow reference BLAS); the script stops when no OpenBLAS is mapped.
"""
import argparse
import csv
import json
import math
import statistics
import sys
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True, help="flowkit trajectory CSV")
ap.add_argument("--init", required=True, help="flowkit node model JSON (initial weights)")
ap.add_argument("--mode", choices=["backprop", "adjoint"], default="backprop")
ap.add_argument("--adjoint-norm", choices=["mixed", "seminorm"], default="mixed")
ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
ap.add_argument("--iterations", type=int, default=1000)
ap.add_argument("--warmup", type=int, default=-1,
                help="iterations left out of the median (default: min(5, max(1, N / 10)))")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--rtol", type=float, default=1e-7)
ap.add_argument("--atol", type=float, default=1e-9)
ap.add_argument("--lr", type=float, default=1e-2)
ap.add_argument("--verbose", action="store_true", help="a line per iteration on stderr")
args = ap.parse_args()

torch.set_num_threads(args.threads)
dtype = getattr(torch, args.dtype)
RTOL, ATOL = args.rtol, args.atol

# ---- data: Y*[k, j, :] = trajectory j at time k ------------------------------------------------
rows = {}
with open(args.data) as fh:
    reader = csv.DictReader(fh)
    for r in reader:
        rows.setdefault(int(r["traj"]), []).append((float(r["t"]), float(r["q"]), float(r["p"])))
trajs = sorted(rows)
for j in trajs:
    rows[j].sort()
times = [t for t, _, _ in rows[trajs[0]]]
for j in trajs:
    if [t for t, _, _ in rows[j]] != times:
        sys.exit("torch_node.py: the trajectories do not share their times")
Y_star = torch.tensor([[[rows[j][k][1], rows[j][k][2]] for j in trajs] for k in range(len(times))],
                      dtype=dtype)
Y0 = Y_star[0].clone()
B, D = Y0.shape

# ---- the network, flowkit's initial weights -----------------------------------------------------
with open(args.init) as fh:
    model = json.load(fh)
theta = model["params"]
H = model["architecture"]["hidden"]
if H != [32] or model["architecture"]["activation"] != "tanh" or len(theta) != 32 * 2 + 32 + 2 * 32 + 2:
    sys.exit("torch_node.py: expected the 2-32-2 tanh network")
th = torch.tensor(theta, dtype=dtype)
W1 = th[0:64].view(32, 2).clone().requires_grad_()
b1 = th[64:96].clone().requires_grad_()
W2 = th[96:160].view(2, 32).clone().requires_grad_()
b2 = th[160:162].clone().requires_grad_()
params = (W1, b1, W2, b2)
opt = torch.optim.Adam(params, lr=args.lr)


def field(y):
    """F(y) = W2 tanh(W1 y + b1) + b2, rows = samples (nn.Linear, Tanh, nn.Linear)."""
    return torch.addmm(b2, torch.tanh(torch.addmm(b1, y, W1.t())), W2.t())


# Fair comparison needs OpenBLAS: check the process has mapped it (after one matrix product).
field(Y0)
with open("/proc/self/maps") as maps:
    if "openblas" not in maps.read():
        sys.exit("torch_node.py: OpenBLAS is not loaded; set "
                 "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp")

# ---- Dormand-Prince 5(4), torchdiffeq's tableau and dense output -------------------------------
ALPHA = [1 / 5, 3 / 10, 4 / 5, 8 / 9, 1., 1.]
BETA = [
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
C_ERROR = [35 / 384 - 1951 / 21600, 0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
           -2187 / 6784 - -12231 / 42400, 11 / 84 - 649 / 6300, -1. / 60.]
C_MID = [6025192743 / 30085553152 / 2, 0, 51252292925 / 65400821598 / 2,
         -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
         -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2]
BETA_T = [torch.tensor(b, dtype=dtype) for b in BETA]
C_ERROR_T = torch.tensor(C_ERROR, dtype=dtype)
C_MID_T = torch.tensor(C_MID, dtype=dtype)
SAFETY, IFACTOR, DFACTOR, ORDER = 0.9, 10.0, 0.2, 5


def rms(x):
    return x.pow(2).mean().sqrt()


def segment_norm(bounds):
    """torchdiffeq's _mixed_norm: the max of the RMS norms of the segments [lo, hi) of a flat
    tensor (segments not listed are left out: a seminorm)."""
    def norm(x):
        return max(rms(x[lo:hi]) for lo, hi in bounds)
    return norm


class Counter:
    def __init__(self):
        self.fwd = 0   # evaluations in the forward solve
        self.bwd = 0   # evaluations the gradient goes through


def initial_step(func, y0, f0, norm):
    """torchdiffeq's _select_initial_step (Hairer, Norsett, Wanner II.4), order 4; no_grad."""
    scale = ATOL + y0.abs() * RTOL
    d0 = norm(y0 / scale).item()
    d1 = norm(f0 / scale).item()
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    f1 = func(y0 + h0 * f0)
    d2 = norm((f1 - f0) / scale).item() / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1. / 5.)
    return min(100 * h0, h1)


def optimal_step(dt, ratio):
    """torchdiffeq's _optimal_step_size."""
    if ratio == 0:
        return dt * IFACTOR
    dfactor = 1.0 if ratio < 1 else DFACTOR
    return dt * min(IFACTOR, max(SAFETY / ratio ** (1. / ORDER), dfactor))


def dopri5(func, y0, ts, norm, count):
    """Solutions at the increasing times ts (Python floats), ts[0] the initial time: a list.
    func(y) is autonomous. count.fwd: every evaluation; returns also the accepted steps."""
    f0 = func(y0)
    with torch.no_grad():
        dt = initial_step(func, y0, f0, norm)
    count.fwd += 2
    y, f = y0, f0
    t0 = t1 = ts[0]
    coeff = None
    accepted = 0
    out = [y0]
    for T in ts[1:]:
        while T > t1:
            if not t1 + dt > t1:
                raise RuntimeError(f"underflow in dt {dt}")
            k = [f]
            for beta in BETA_T:
                yi = y + torch.stack(k, -1).matmul(beta * dt)
                k.append(func(yi))
            count.fwd += 6
            K = torch.stack(k, -1)
            with torch.no_grad():
                err = K.matmul(C_ERROR_T * dt)
                ratio = norm(err / (ATOL + RTOL * torch.max(y.abs(), yi.abs()))).item()
            if ratio <= 1:
                # _interp_fit: y = e + d x + c x^2 + b x^3 + a x^4 on x in [0, 1]
                y_mid = y + K.matmul(C_MID_T * dt)
                fa, fb = k[0], k[-1]
                coeff = (y,
                         dt * fa,
                         dt * (fb - 4 * fa) - 11 * y - 5 * yi + 16 * y_mid,
                         dt * (5 * fa - 3 * fb) + 18 * y + 14 * yi - 32 * y_mid,
                         2 * dt * (fb - fa) - 8 * (yi + y) + 16 * y_mid)
                t0, t1 = t1, t1 + dt
                y, f = yi, k[-1]
                accepted += 1
            dt = optimal_step(dt, ratio)
        x = (T - t0) / (t1 - t0)
        e, d, c, b, a = coeff
        out.append(e + x * (d + x * (c + x * (b + x * a))))
    return out, accepted


ts = times
n = B * D
state_norm = rms
if args.adjoint_norm == "mixed":
    bounds, lo = [(0, n), (n, 2 * n)], 2 * n
    for p in params:
        bounds.append((lo, lo + p.numel()))
        lo += p.numel()
    aug_norm = segment_norm(bounds)
else:
    aug_norm = segment_norm([(0, n), (n, 2 * n)])


def iteration_backprop(count):
    out, accepted = dopri5(field, Y0, ts, state_norm, count)
    count.bwd += 1 + 6 * accepted
    Y = torch.stack(out)
    loss = (Y - Y_star).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def iteration_adjoint(count):
    with torch.no_grad():
        out, _ = dopri5(field, Y0, ts, state_norm, count)
    Y = torch.stack(out).requires_grad_()
    with torch.enable_grad():
        loss = (Y - Y_star).pow(2).mean()
        gY, = torch.autograd.grad(loss, Y)

    def backward_field(z):
        # _ReverseFunc of torchdiffeq's augmented dynamics: s = -t, dz/ds = -(f, -a df/dy, -a df/dtheta)
        count.bwd += 1
        y = z[:n].view(B, D).detach().requires_grad_()
        a = z[n:2 * n].view(B, D)
        with torch.enable_grad():
            fy = field(y)
            vjps = torch.autograd.grad(fy, (y,) + params, -a)
        return torch.cat([-fy.detach().reshape(-1)] + [-v.reshape(-1) for v in vjps])

    sizes = [p.numel() for p in params]
    with torch.no_grad():
        z = torch.cat([Y[-1].detach().reshape(-1), gY[-1].reshape(-1),
                       torch.zeros(sum(sizes), dtype=dtype)])
        bcount = Counter()
        for i in range(len(ts) - 1, 0, -1):
            sol, _ = dopri5(backward_field, z, [-ts[i], -ts[i - 1]], aug_norm, bcount)
            z = sol[-1].clone()
            z[:n] = Y[i - 1].detach().reshape(-1)
            z[n:2 * n] += gY[i - 1].reshape(-1)
    g = z[2 * n:]
    lo = 0
    for p, s in zip(params, sizes):
        p.grad = g[lo:lo + s].view_as(p).clone()
        lo += s
    opt.step()
    return loss.item()


step = iteration_backprop if args.mode == "backprop" else iteration_adjoint
seconds, nfe_f, nfe_b = [], [], []
loss_value = first_loss = math.nan
start = time.perf_counter()
for it in range(args.iterations):
    count = Counter()
    t_it = time.perf_counter()
    loss_value = step(count)
    if it == 0:
        first_loss = loss_value
    seconds.append(time.perf_counter() - t_it)
    nfe_f.append(count.fwd)
    nfe_b.append(count.bwd)
    if args.verbose:
        print(f"{it + 1} loss {loss_value:.6e} nfe {count.fwd}/{count.bwd} {seconds[-1]:.3f} s",
              file=sys.stderr)
    if not math.isfinite(loss_value):
        break
total = time.perf_counter() - start
N = len(seconds)
warm = args.warmup if args.warmup >= 0 else min(5, max(1, N // 10))
timed = seconds[warm:] if N > warm else seconds
print(f"{args.mode},{args.dtype},{N},{statistics.median(timed):.5f},{sum(nfe_f) / N:.1f},"
      f"{sum(nfe_b) / N:.1f},{loss_value:.4e},{total:.3f},{first_loss:.12e}")
