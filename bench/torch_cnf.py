"""Reference for bench/cnf.sh: a continuous normalising flow on 2-D points in plain PyTorch, the
vector field F(t, x) an MLP on (x1, x2, t) (t last) -> hidden tanh layers -> 2, started from the
weights of a flowkit cnf model JSON ("params": layer by layer W (out x in, row-major, i.e.
nn.Linear's weight.flatten()) then b).
Modes:
  fm      flow-matching training: each iteration draws --batch data points with replacement,
          x0 ~ N(0, I), t ~ U[0, 1], x_t = (1 - t) x0 + t x1, loss = mse(F(t, x_t), x1 - x0)
          (mean over the batch and the components), Adam (--lr, PyTorch's defaults otherwise).
  mle     maximum-likelihood training: the ODE [x, l]' = [F(t, x), div_x F(t, x)] solved from
          t = 1 (x = the batch point, l = 0) to t = 0 with --steps equal RK4 steps, the exact
          divergence by autograd (one torch.autograd.grad per dimension, create_graph=True),
          loss = mean of -(log N(x(0); 0, I) + l(0)), backpropagation through the RK4 steps, Adam.
  sample  z ~ N(0, I) (--count points) pushed from t = 0 to 1 with --steps RK4 steps, autograd
          off; times --repeats calls (each: noise, solve).
  push    reads a flowkit `cnf-sample sample --path` CSV (traj,t,x1,x2), pushes its t = 0 rows
          with RK4 (--steps) and prints the largest difference from its t = 1 rows.
  logp    the mean of -log p(x) over the --data points (the mle loss on them), RK4 (--steps).
Output, one line: fm/mle: mode,dtype,threads,iterations,median s/iteration (iterations after
the warm-up ones),final loss (mean over the last --loss-window iterations' losses, each before
its update),first loss,total seconds; sample: mode,dtype,threads,calls timed,median s/call;
push: push,max abs difference; logp: logp,mean -logp (17 digits).
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
ap.add_argument("--mode", choices=["fm", "mle", "sample", "push", "logp"], required=True)
ap.add_argument("--init", required=True, help="flowkit cnf model JSON (the weights)")
ap.add_argument("--data", help="points CSV (fm, mle, logp) or a --path CSV (push)")
ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--iterations", type=int, default=2000)
ap.add_argument("--warmup", type=int, default=-1,
                help="iterations left out of the median (default: min(5, max(1, N / 10)))")
ap.add_argument("--loss-window", type=int, default=200)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--count", type=int, default=2000)
ap.add_argument("--repeats", type=int, default=20)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--max-seconds", type=float, default=0,
                help="fm, mle, sample: stop iterating once this much time has passed (0: never); "
                     "the iteration count printed tells")
args = ap.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
dtype = getattr(torch, args.dtype)

# ---- the network from the model JSON ----------------------------------------------------------
with open(args.init) as fh:
    model = json.load(fh)
arch = model["architecture"]
names = model["state_names"]
D = len(names)
if arch["activation"] != "tanh" or arch.get("inputs", "x,t") != "x,t":
    sys.exit("torch_cnf.py: expected a tanh network on (x, t)")
widths = [D + 1] + list(arch["hidden"]) + [D]
layers = []
for i in range(len(widths) - 1):
    layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
    if i < len(widths) - 2:
        layers.append(torch.nn.Tanh())
net = torch.nn.Sequential(*layers).to(dtype)
theta = model["params"]
lo = 0
with torch.no_grad():
    for lin in (m for m in net if isinstance(m, torch.nn.Linear)):
        for p in (lin.weight, lin.bias):
            p.copy_(torch.tensor(theta[lo:lo + p.numel()], dtype=dtype).view_as(p))
            lo += p.numel()
if lo != len(theta):
    sys.exit(f"torch_cnf.py: {len(theta)} parameters in the model, the network has {lo}")


def field(t, x):
    """F(t, x): the network on the rows [x, t]; t a Python float or a column."""
    if not torch.is_tensor(t):
        t = torch.full((x.shape[0], 1), t, dtype=x.dtype)
    return net(torch.cat([x, t], 1))


field(0.0, torch.zeros(4, D, dtype=dtype))
with open("/proc/self/maps") as maps:
    if "openblas" not in maps.read():
        sys.exit("torch_cnf.py: OpenBLAS is not loaded; set "
                 "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp")


def read_points(path, cols):
    with open(path) as fh:
        rows = [r for r in csv.DictReader(fh)]
    return rows, torch.tensor([[float(r[c]) for c in cols] for r in rows], dtype=dtype)


def rk4(f, t0, t1, y, steps):
    """Equal RK4 steps of y' = f(t, y) from t0 to t1 (f, y may be tuples of tensors)."""
    h = (t1 - t0) / steps

    def axpy(y, a, k):
        return tuple(yi + a * ki for yi, ki in zip(y, k))

    for i in range(steps):
        t = t0 + i * h
        k1 = f(t, y)
        k2 = f(t + h / 2, axpy(y, h / 2, k1))
        k3 = f(t + h / 2, axpy(y, h / 2, k2))
        k4 = f(t + h, axpy(y, h, k3))
        y = tuple(yi + h / 6 * (a + 2 * b + 2 * c + d) for yi, a, b, c, d in zip(y, k1, k2, k3, k4))
    return y


def logdensity_rhs(create_graph):
    def rhs(t, y):
        x = y[0]
        if not x.requires_grad:
            x = x.detach().requires_grad_()
        with torch.enable_grad():
            F = field(t, x)
            div = torch.zeros(x.shape[0], dtype=x.dtype)
            for i in range(D):
                g, = torch.autograd.grad(F[:, i].sum(), x, create_graph=True)
                div = div + g[:, i]
        if not create_graph:
            F, div = F.detach(), div.detach()
        return (F, div)
    return rhs


def neg_logp(x, steps, create_graph):
    """-log p(x) per row: the log-density ODE from t = 1 back to t = 0."""
    z, l0 = rk4(logdensity_rhs(create_graph), 1.0, 0.0, (x, torch.zeros(x.shape[0], dtype=x.dtype)), steps)
    log_n = -0.5 * (z * z).sum(1) - 0.5 * D * math.log(2 * math.pi)
    return -(log_n + l0)


def train(step):
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    seconds, losses = [], []
    start = time.perf_counter()
    for _ in range(args.iterations):
        t_it = time.perf_counter()
        loss = step()
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = loss.item()
        seconds.append(time.perf_counter() - t_it)
        losses.append(value)
        if not math.isfinite(value):
            break
        if args.max_seconds > 0 and time.perf_counter() - start > args.max_seconds:
            break
    total = time.perf_counter() - start
    N = len(seconds)
    warm = args.warmup if args.warmup >= 0 else min(5, max(1, N // 10))
    timed = seconds[warm:] if N > warm else seconds
    window = losses[-min(args.loss_window, N):]
    print(f"{args.mode},{args.dtype},{args.threads},{N},{statistics.median(timed):.6f},"
          f"{sum(window) / len(window):.6e},{losses[0]:.10e},{total:.3f}")


if args.mode in ("fm", "mle"):
    _, data = read_points(args.data, names)
    B = args.batch

    def fm_step():
        x1 = data[torch.randint(data.shape[0], (B,))]
        x0 = torch.randn(B, D, dtype=dtype)
        t = torch.rand(B, 1, dtype=dtype)
        xt = (1 - t) * x0 + t * x1
        return torch.nn.functional.mse_loss(field(t, xt), x1 - x0)

    def mle_step():
        x = data[torch.randint(data.shape[0], (B,))]
        return neg_logp(x, args.steps, True).mean()

    train(fm_step if args.mode == "fm" else mle_step)

elif args.mode == "sample":
    @torch.no_grad()
    def draw():
        z = torch.randn(args.count, D, dtype=dtype)
        x, = rk4(lambda t, y: (field(t, y[0]),), 0.0, 1.0, (z,), args.steps)
        return x

    draw()
    seconds = []
    start = time.perf_counter()
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        draw()
        seconds.append(time.perf_counter() - t0)
        if args.max_seconds > 0 and time.perf_counter() - start > args.max_seconds:
            break
    print(f"sample,{args.dtype},{args.threads},{len(seconds)},{statistics.median(seconds):.6f}")

elif args.mode == "push":
    rows, pts = read_points(args.data, names)
    t = torch.tensor([float(r["t"]) for r in rows], dtype=dtype)
    traj = [int(r["traj"]) for r in rows]
    first = {}
    last = {}
    for i, k in enumerate(traj):
        if t[i] == 0:
            first[k] = i
        if t[i] == 1:
            last[k] = i
    keys = sorted(first)
    if not keys or sorted(last) != keys:
        sys.exit("torch_cnf.py: the --path CSV needs t = 0 and t = 1 rows for every trajectory")
    z = pts[[first[k] for k in keys]]
    with torch.no_grad():
        x, = rk4(lambda s, y: (field(s, y[0]),), 0.0, 1.0, (z,), args.steps)
    diff = (x - pts[[last[k] for k in keys]]).abs().max().item()
    print(f"push,{diff:.3e}")

else:
    _, pts = read_points(args.data, names)
    print(f"logp,{neg_logp(pts, args.steps, False).mean().item():.17g}")
