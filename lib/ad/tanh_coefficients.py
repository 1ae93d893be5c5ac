#!/usr/bin/env python3
"""The polynomial coefficients of ad::tanh_values (activation_values.cpp): e^r - 1 = r P(r) on
|r| <= ln2/2, P(r) = 1 + c1 r + ... + cN r^N.

double: a Chebyshev economisation of (e^r - 1)/r to degree 10 (the truncated Chebyshev series,
computed in long double at 64 Chebyshev nodes); float: c1 = 1/2 fixed and c2..c5 minimax for
the relative error (Lawson's iteratively reweighted least squares). Prints each set with its
largest relative error on a fine grid. Needs numpy (python3-numpy)."""
import numpy as np

L = np.longdouble
H = np.log(L(2)) / 2


def relative_error(coef, r, f):
    p = np.full_like(r, L(coef[-1]))
    for c in coef[-2::-1]:
        p = p * r + L(c)
    return float(np.max(np.abs(p / f - 1)))


def double_coefficients(n=10, nodes=64):
    theta = (np.arange(nodes, dtype=L) + L(0.5)) * (4 * np.arctan(L(1))) / nodes
    r = H * np.cos(theta)
    f = np.expm1(r) / r
    cheb = np.array([L(2) / nodes * np.sum(f * np.cos(j * theta)) for j in range(n + 1)])
    cheb[0] /= 2
    # Chebyshev polynomials T_j(u) in the monomial basis, u = r / H
    T = [np.array([L(1)]), np.array([L(0), L(1)])]
    for _ in range(2, n + 1):
        T.append(np.concatenate([[L(0)], 2 * T[-1]]) - np.concatenate([T[-2], [L(0), L(0)]]))
    mono = np.zeros(n + 1, dtype=L)
    for j in range(n + 1):
        mono[: len(T[j])] += cheb[j] * T[j]
    return np.array([mono[i] / H**i for i in range(n + 1)]).astype(np.float64)


def float_coefficients(n=5):
    r = np.linspace(-float(H), float(H), 40001)
    r = r[r != 0]
    f = np.expm1(r) / r
    A = np.stack([r**k for k in range(2, n + 1)], 1)
    b = f - 1 - r / 2
    w = np.ones_like(r)
    for _ in range(300):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(A / f[:, None] * sw[:, None], b / f * sw, rcond=None)
        e = (1 + r / 2 + A @ c) / f - 1
        w = w * np.abs(e)
        w /= w.sum()
    return np.concatenate([[1.0, 0.5], c]).astype(np.float32)


if __name__ == "__main__":
    r = np.linspace(-H, H, 200001, dtype=L)
    r = r[r != 0]
    f = np.expm1(r) / r
    for name, coef in (("double", double_coefficients()), ("float", float_coefficients())):
        print(f"{name}: relative error {relative_error(coef, r, f):.2e}")
        for k, c in enumerate(coef[1:], start=1):
            print(f"  c{k} = {c:.17g}" if name == "double" else f"  c{k} = {c:.9e}")
