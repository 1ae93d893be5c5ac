#!/usr/bin/env python3
"""The coefficients of ad::tanh_values (activation_values.cpp): e^r = 1 + 2r / (R - r) on
|r| <= ln2/2 with R(r^2) = r coth(r/2) = 2 + z (P0 + P1 z + ... + P(N-1) z^(N-1)), z = r^2.

S(z) = (R - 2) / z = 2 sum_{n>=1} B_2n z^(n-1) / (2n)! (Bernoulli numbers; the series converges
fast on 0 <= z <= (ln2/2)^2), its truncated Chebyshev series on that interval (computed in
long double at 64 Chebyshev nodes) to 5 terms for double and 2 for float. Prints each set with
R's largest relative error on a fine grid. Needs numpy (python3-numpy)."""
from fractions import Fraction
from math import factorial

import numpy as np

L = np.longdouble
ZMAX = (np.log(L(2)) / 2) ** 2

# B_2, B_4, ..., B_20
BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
             Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
             Fraction(-174611, 330)]
SERIES = [2 * b / factorial(2 * n) for n, b in enumerate(BERNOULLI, start=1)]


def S(z):
    s = np.zeros_like(z)
    for c in reversed(SERIES):
        s = s * z + L(c.numerator) / L(c.denominator)
    return s


def chebyshev_coefficients(n, nodes=64):
    theta = (np.arange(nodes, dtype=L) + L(0.5)) * (4 * np.arctan(L(1))) / nodes
    u = np.cos(theta)
    f = S(ZMAX * (u + 1) / 2)
    cheb = np.array([L(2) / nodes * np.sum(f * np.cos(j * theta)) for j in range(n)])
    cheb[0] /= 2
    # Chebyshev polynomials T_j(u) in the monomial basis, u = 2 z / ZMAX - 1
    T = [np.array([L(1)]), np.array([L(0), L(1)])]
    for _ in range(2, n):
        T.append(np.concatenate([[L(0)], 2 * T[-1]]) - np.concatenate([T[-2], [L(0), L(0)]]))
    in_u = np.zeros(n, dtype=L)
    for j in range(n):
        in_u[: len(T[j])] += cheb[j] * T[j]
    # substitute u = a z + b
    a, b = 2 / ZMAX, L(-1)
    in_z = np.zeros(n, dtype=L)
    for k, c in enumerate(in_u):
        for i in range(k + 1):  # (a z + b)^k = sum_i C(k, i) a^i z^i b^(k - i)
            in_z[i] += c * L(factorial(k) // (factorial(i) * factorial(k - i))) * a**i * b ** (k - i)
    return in_z


def relative_error(coef, z):
    p = np.full_like(z, L(coef[-1]))
    for c in coef[-2::-1]:
        p = p * z + L(c)
    return float(np.max(np.abs(z * (p - S(z)) / (2 + z * S(z)))))


if __name__ == "__main__":
    z = np.linspace(0, ZMAX, 200001, dtype=L)
    for name, n, dtype in (("double", 5, np.float64), ("float", 2, np.float32)):
        coef = chebyshev_coefficients(n).astype(dtype)
        print(f"{name}: relative error of R {relative_error(coef, z):.2e}")
        for k, c in enumerate(coef):
            print(f"  P{k} = {c:.17g}" if name == "double" else f"  P{k} = {c:.10g}")
