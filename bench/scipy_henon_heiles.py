#!/usr/bin/env python3
"""Reference for bench/run.sh: Henon-Heiles from (0, 0.1, 0.5, 0) to T with SciPy's
solve_ivp(method="DOP853") at rtol = atol = TOL. Prints the median seconds of solve_ivp over
REPEATS runs and the final state (comma-separated)."""
import sys
import time

from scipy.integrate import solve_ivp


def field(_t, s):
    x, y, px, py = s
    return [px, py, -x - 2 * x * y, -y - (x * x - y * y)]


def main():
    t_end = float(sys.argv[1]) if len(sys.argv) > 1 else 1000.0
    tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-10
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sol = solve_ivp(field, (0, t_end), [0, 0.1, 0.5, 0], method="DOP853", rtol=tol, atol=tol)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"{times[len(times) // 2]:.6f}," + ",".join(repr(float(v)) for v in sol.y[:, -1]))


if __name__ == "__main__":
    main()
