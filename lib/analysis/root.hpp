// A safeguarded root finder on a bracket (Brent's method: inverse quadratic interpolation and
// secant steps, bisection whenever they do not make enough progress).
#pragma once

#include <cmath>
#include <utility>

namespace flowkit::analysis {

/// A root of f in [a, b] given fa = f(a) and fb = f(b) of opposite signs (or one of them 0),
/// to within `tol` in x. Never leaves the bracket; converges superlinearly on smooth f.
template <class F> double find_root(const F& f, double a, double b, double fa, double fb, double tol)
{
    if (fa == 0)
        return a;
    if (fb == 0)
        return b;
    double c = a, fc = fa, d = b - a, e = d;
    for (int iteration = 0; iteration < 200; ++iteration) {
        if ((fb > 0) == (fc > 0)) { // keep the root between b and c
            c = a;
            fc = fa;
            d = e = b - a;
        }
        if (std::abs(fc) < std::abs(fb)) { // b is the best guess so far
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        const double tol1 = 2 * 1e-16 * std::abs(b) + 0.5 * tol;
        const double m = 0.5 * (c - b);
        if (std::abs(m) <= tol1 || fb == 0)
            return b;
        if (std::abs(e) >= tol1 && std::abs(fa) > std::abs(fb)) {
            // Interpolate: secant when a == c, else inverse quadratic.
            double p, q;
            const double s = fb / fa;
            if (a == c) {
                p = 2 * m * s;
                q = 1 - s;
            } else {
                const double r = fb / fc, u = fa / fc;
                p = s * (2 * m * u * (u - r) - (b - a) * (r - 1));
                q = (u - 1) * (r - 1) * (s - 1);
            }
            if (p > 0)
                q = -q;
            else
                p = -p;
            if (2 * p < std::min(3 * m * q - std::abs(tol1 * q), std::abs(e * q))) {
                e = d;
                d = p / q;
            } else { // interpolation would not shrink the bracket fast enough: bisect
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += std::abs(d) > tol1 ? d : (m > 0 ? tol1 : -tol1);
        fb = f(b);
    }
    return b;
}

} // namespace flowkit::analysis
