"""Reference for bench/sympflow.sh: an unsupervised SympFlow of the harmonic oscillator in PyTorch,
the issue's set-up (the paper's architecture, PyTorch's Adam at lr 1e-3).

State x = (q, p), H = (q^2 + p^2) / 2. For i = 1..L (L = 3):
  p <- p - (grad_q V_i(t, q) - grad_q V_i(0, q)),  then  q <- q + (grad_p K_i(t, p) - grad_p K_i(0, p))
with the updated p. V_i, K_i: MLP [q; t] -> 10 -> 10 -> 1 (resp. [p; t]), tanh, PyTorch's default
initialisation. The inner gradients by torch.autograd.grad(create_graph=True). The total time
derivative dN/dt by reverse-mode autograd of each output component with respect to t (one
torch.autograd.grad per component, create_graph=True: row i of N depends only on t_i, so the
gradient of N[:, k].sum() is dN_k/dt row by row). Torch 1.13 has no torch.func, and functorch's jvp
does not compose with torch.autograd.grad inside the function, so forward mode is not used.
Each epoch draws 1000 fresh points x0 ~ U([-1.2, 1.2]^2), t ~ U[-0.1, 1]; loss = mean over them of
|dN/dt - J grad H(N)|^2 summed over both components; Adam, lr 1e-3, constant, no clipping.
Options: --epochs (5000), --dtype (float64), --threads (2), --rollout T (1000; 0: none), --seed.
The roll-out composes N(1, .) T times from (1, 0) in float64 and reports max |H - H0| and the
position error: the max over t = 1, 2, ..., T of the larger of |q - cos t| and |p + sin t| (the
error against (cos t, -sin t), as bench/pinn.sh takes it).
Prints one line: dtype,epochs,seconds,ms per epoch,final loss,energy error,position error; seconds
is the training loop only (no import, no roll-out).
Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (DESIGN.md: Debian's torch
otherwise links the slow reference BLAS); the script stops when no OpenBLAS is mapped.
"""
import argparse
import math
import sys
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--dtype", choices=["float32", "float64"], default="float64")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--epochs", type=int, default=5000)
ap.add_argument("--layers", type=int, default=3)
ap.add_argument("--width", type=int, default=10)
ap.add_argument("--collocation", type=int, default=1000)
ap.add_argument("--rollout", type=int, default=1000)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
dtype = getattr(torch, args.dtype)
n = 1  # degrees of freedom


def potential():
    W = args.width
    return torch.nn.Sequential(torch.nn.Linear(n + 1, W), torch.nn.Tanh(),
                               torch.nn.Linear(W, W), torch.nn.Tanh(),
                               torch.nn.Linear(W, 1))


V = torch.nn.ModuleList([potential() for _ in range(args.layers)]).to(dtype)
K = torch.nn.ModuleList([potential() for _ in range(args.layers)]).to(dtype)
opt = torch.optim.Adam(list(V.parameters()) + list(K.parameters()), lr=1e-3)


def grad_y(net, y, t, create_graph):
    """grad_y net([y; t]) row by row, (m, n); y must require grad."""
    out = net(torch.cat([y, t], dim=1)).sum()
    g, = torch.autograd.grad(out, y, create_graph=create_graph)
    return g


def flow(t, q, p, create_graph=True):
    """N(t, (q, p)); t: (m, 1), q, p: (m, n). With create_graph the result is differentiable."""
    zero = torch.zeros_like(t)
    for i in range(args.layers):
        if not q.requires_grad:
            q = q.requires_grad_()
        p = p - (grad_y(V[i], q, t, create_graph) - grad_y(V[i], q, zero, create_graph))
        if not p.requires_grad:
            p = p.requires_grad_()
        q = q + (grad_y(K[i], p, t, create_graph) - grad_y(K[i], p, zero, create_graph))
    return q, p


def residual_loss(t, q0, p0):
    q, p = flow(t, q0, p0)
    N = torch.cat([q, p], dim=1)
    # one reverse pass per component for the total derivative in t
    dN = torch.cat([torch.autograd.grad(N[:, k].sum(), t, create_graph=True)[0]
                    for k in range(2 * n)], dim=1)
    # J grad H(N) = (p, -q) for H = (q^2 + p^2) / 2
    r = dN - torch.cat([p, -q], dim=1)
    return (r * r).sum(dim=1).mean()


# Fair comparison needs OpenBLAS: check the process has mapped it (after one matrix product).
V[0](torch.zeros(4, n + 1, dtype=dtype))
with open("/proc/self/maps") as maps:
    if "openblas" not in maps.read():
        sys.exit("torch_sympflow.py: OpenBLAS is not loaded; set "
                 "LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp")

C = args.collocation
start = time.perf_counter()
loss_value = math.inf
for epoch in range(args.epochs):
    x0 = 2.4 * torch.rand(C, 2 * n, dtype=dtype) - 1.2
    t = (1.1 * torch.rand(C, 1, dtype=dtype) - 0.1).requires_grad_()
    loss = residual_loss(t, x0[:, :n], x0[:, n:])
    loss_value = loss.item()
    opt.zero_grad()
    loss.backward()
    opt.step()
seconds = time.perf_counter() - start

energy_error, position_error = math.nan, math.nan
if args.rollout > 0:
    V.double()
    K.double()
    one = torch.ones(1, 1, dtype=torch.float64)
    q = torch.tensor([[1.0]], dtype=torch.float64)
    p = torch.tensor([[0.0]], dtype=torch.float64)
    H0 = 0.5
    energy_error = position_error = 0.0
    for step in range(1, args.rollout + 1):
        q, p = flow(one, q, p, create_graph=False)
        q, p = q.detach(), p.detach()
        H = 0.5 * (q.item() ** 2 + p.item() ** 2)
        energy_error = max(energy_error, abs(H - H0))
        position_error = max(position_error, abs(q.item() - math.cos(step)),
                             abs(p.item() + math.sin(step)))
print(f"{args.dtype},{args.epochs},{seconds:.3f},{1000 * seconds / max(args.epochs, 1):.3f},"
      f"{loss_value:.3e},{energy_error:.3e},{position_error:.3e}")
