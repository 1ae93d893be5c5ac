"""Reference for bench/pinn.sh: an IVP PINN of the harmonic oscillator in PyTorch, set up as
the notes' Figure 1 and as flowkit's pinn-train builds it.

q' = p, p' = -q, x0 = (1, 0), t in [0, T] (T = 10). MLP 1 -> 50 -> 50 -> 2, tanh, PyTorch's
default initialisation. The network sees t scaled to [-1, 1] over [0, T] and the initial
condition is hard: N(t) = x0 + (t / T) net(2 t / T - 1) (flowkit's --ic-mode hard). Each epoch
draws 1000 fresh uniform points of [0, T]; loss = mean over them of |dN/dt - F(N)|^2 summed over
both components, dN/dt by torch.autograd.grad (create_graph=True); Adam, lr 1e-3, constant.
Training stops at the first epoch whose loss is below --target-loss (that epoch takes no step)
or after --epochs epochs.
Prints one line: dtype,epochs,seconds,ms per epoch,final loss,max error; seconds is the
training loop only (no import, no evaluation); max error is the largest |N - (cos t, -sin t)|
over both components on 1001 equally spaced points of [0, T].
Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (DESIGN.md: Debian's torch
otherwise links the slow reference BLAS); the script stops when no OpenBLAS is mapped.
"""
import argparse
import math
import sys
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--epochs", type=int, default=7500)
ap.add_argument("--target-loss", type=float, default=1e-5)
ap.add_argument("--t-end", type=float, default=10.0)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
dtype = getattr(torch, args.dtype)
T, C = args.t_end, 1000
x0 = torch.tensor([1.0, 0.0], dtype=dtype)

net = torch.nn.Sequential(torch.nn.Linear(1, 50), torch.nn.Tanh(),
                          torch.nn.Linear(50, 50), torch.nn.Tanh(),
                          torch.nn.Linear(50, 2)).to(dtype)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)


def solution(t):  # t: (n, 1) -> N(t): (n, 2)
    return x0 + (t / T) * net(2.0 * t / T - 1.0)


def residual_loss(t):
    N = solution(t)
    # one reverse pass per component: each row of N depends only on its own t
    dq, = torch.autograd.grad(N[:, 0].sum(), t, create_graph=True)
    dp, = torch.autograd.grad(N[:, 1].sum(), t, create_graph=True)
    rq = dq[:, 0] - N[:, 1]   # q' - p
    rp = dp[:, 0] + N[:, 0]   # p' + q
    return (rq * rq + rp * rp).mean()


# Fair comparison needs OpenBLAS: check the process has mapped it (after one matrix product).
net(torch.zeros(4, 1, dtype=dtype))
with open("/proc/self/maps") as maps:
    if "openblas" not in maps.read():
        sys.exit("torch_pinn.py: OpenBLAS is not loaded; set "
                 "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp")

start = time.perf_counter()
epochs, loss_value = 0, math.inf
while epochs < args.epochs:
    t = (T * torch.rand(C, 1, dtype=dtype)).requires_grad_()
    loss = residual_loss(t)
    epochs += 1
    loss_value = loss.item()
    if loss_value < args.target_loss:
        break
    opt.zero_grad()
    loss.backward()
    opt.step()
seconds = time.perf_counter() - start

with torch.no_grad():
    t = torch.linspace(0.0, T, 1001, dtype=torch.float64).unsqueeze(1)
    N = solution(t.to(dtype)).double()
    exact = torch.cat([torch.cos(t), -torch.sin(t)], dim=1)
    max_error = (N - exact).abs().max().item()
print(f"{args.dtype},{epochs},{seconds:.3f},{1000 * seconds / epochs:.3f},{loss_value:.3e},{max_error:.3e}")
