"""Reference for bench/mlp.sh: the losses of bench/mlp_loss.cpp with PyTorch autograd.

Same weights and inputs (the formulas in mlp_loss.cpp): theta[k] = sin(0.7 k + 0.3)/sqrt(fan_in),
laid out layer by layer as W (out x in, row-major) then b; X(i, j) = sin(0.37 i + 1.1 j + 0.5),
y(i) = cos(0.13 i), 1000 rows.
  mse W  : MSE of a 2 -> W -> W -> 1 tanh MLP, loss.backward().
  symp W : V(t, x), 3 -> W -> W -> 1 tanh; g = dV/dX (create_graph), d/dt grad_x V taken as
           grad_x (dV/dt) (the Hessian is symmetric: one extra reverse pass, PyTorch's cheapest
           way), L = mean_rows || . ||^2, loss.backward().
Usage: torch_mlp_loss.py case width repeats
Prints: case,f64 median ms,f64 loss,f64 |grad|,f32 median ms,f32 loss,f64 fastest ms
Run with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (DESIGN.md).
"""
import math
import sys
import time

import torch

torch.set_num_threads(2)
ROWS = 1000


def formula_params(widths, dtype):
    params, k = [], 0
    for l in range(len(widths) - 1):
        fin, fout = widths[l], widths[l + 1]
        vals = [math.sin(0.7 * (k + e) + 0.3) / math.sqrt(fin) for e in range(fout * (fin + 1))]
        k += fout * (fin + 1)
        W = torch.tensor(vals[: fout * fin], dtype=dtype).reshape(fout, fin)
        b = torch.tensor(vals[fout * fin:], dtype=dtype)
        params += [W.requires_grad_(), b.requires_grad_()]
    return params


def formula_inputs(cols, dtype):
    return torch.tensor([[math.sin(0.37 * i + 1.1 * j + 0.5) for j in range(cols)]
                         for i in range(ROWS)], dtype=dtype)


def mlp(params, X):
    A = X
    nl = len(params) // 2
    for l in range(nl):
        Z = torch.nn.functional.linear(A, params[2 * l], params[2 * l + 1])
        A = torch.tanh(Z) if l + 1 < nl else Z
    return A


def make_step(case, width, dtype):
    if case == "mse":
        params = formula_params([2, width, width, 1], dtype)
        X = formula_inputs(2, dtype)
        y = torch.tensor([math.cos(0.13 * i) for i in range(ROWS)], dtype=dtype).reshape(ROWS, 1)

        def step():
            for p in params:
                p.grad = None
            loss = ((mlp(params, X) - y) ** 2).mean()
            loss.backward()
            return loss
    else:
        params = formula_params([3, width, width, 1], dtype)
        X0 = formula_inputs(3, dtype)

        def step():
            for p in params:
                p.grad = None
            X = X0.clone().requires_grad_()
            V = mlp(params, X)
            (g,) = torch.autograd.grad(V.sum(), X, create_graph=True)
            (h,) = torch.autograd.grad(g[:, 0].sum(), X, create_graph=True)
            loss = (h[:, 1:] ** 2).sum(dim=1).mean()
            loss.backward()
            return loss
    return step, params


def median_ms(step, repeats):
    for _ in range(3):
        loss = step()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        loss = step()
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    return t[len(t) // 2], t[0], loss


def main():
    case, width, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    step, params = make_step(case, width, torch.float64)
    ms64, best64, loss64 = median_ms(step, repeats)
    gnorm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in params if p.grad is not None))
    step, _ = make_step(case, width, torch.float32)
    ms32, _, loss32 = median_ms(step, repeats)
    print(f"{case}{width},{ms64:.4f},{float(loss64):.17g},{gnorm:.17g},{ms32:.4f},{float(loss32):.9g},{best64:.4f}")


if __name__ == "__main__":
    main()
