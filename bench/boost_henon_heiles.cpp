// Reference for bench/run.sh: Henon-Heiles with Boost.Odeint's runge_kutta4 on a fixed-size
// state (std::array), N steps of size h from (0, 0.1, 0.5, 0). Prints the final state and the
// seconds spent stepping, so the script can compare with `integrate`. With a third argument
// the coupling lambda is read at run time, as flowkit's --param lambda is; without it the
// field is the classic one with lambda = 1 written in.
#include <boost/numeric/odeint.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>

using State = std::array<double, 4>;

int main(int argc, char** argv)
{
    const long steps = argc > 1 ? std::atol(argv[1]) : 10000000;
    const double h = argc > 2 ? std::atof(argv[2]) : 0.01;
    auto classic = [](const State& s, State& f, double) {
        f[0] = s[2];
        f[1] = s[3];
        f[2] = -s[0] - 2.0 * s[0] * s[1];
        f[3] = -s[1] - (s[0] * s[0] - s[1] * s[1]);
    };
    const double lambda = argc > 3 ? std::atof(argv[3]) : 1.0;
    auto parametric = [lambda](const State& s, State& f, double) {
        f[0] = s[2];
        f[1] = s[3];
        f[2] = -s[0] - 2.0 * lambda * s[0] * s[1];
        f[3] = -s[1] - lambda * (s[0] * s[0] - s[1] * s[1]);
    };
    State x = {0.0, 0.1, 0.5, 0.0};
    boost::numeric::odeint::runge_kutta4<State> rk4;
    const auto start = std::chrono::steady_clock::now();
    if (argc > 3)
        for (long k = 0; k < steps; ++k)
            rk4.do_step(parametric, x, static_cast<double>(k) * h, h);
    else
        for (long k = 0; k < steps; ++k)
            rk4.do_step(classic, x, static_cast<double>(k) * h, h);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.17g,%.17g,%.17g,%.17g,%.6f\n", x[0], x[1], x[2], x[3], seconds);
}
