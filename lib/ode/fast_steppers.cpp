#include "ode/fast_steppers.hpp"

#include "ode/dissipative_systems.hpp"
#include "ode/dopri5.hpp"
#include "ode/dopri5_coefficients.hpp"
#include "ode/explicit_rk.hpp"
#include "ode/hamiltonian_systems.hpp"
#include "ode/symplectic.hpp"

#include <cmath>

namespace flowkit::ode {

namespace {

template <int D> using Point = Eigen::Matrix<double, D, 1>;

template <int D> void load(const Mat& x, double* state)
{
    for (int d = 0; d < D; ++d)
        state[d] = x(0, d);
}

template <int D> void store(const double* state, Mat& x)
{
    for (int d = 0; d < D; ++d)
        x(0, d) = state[d];
}

/// ExplicitRK's stage_state for one state: x + the sum over j < count with w[j] != 0 of
/// (w[j] h) k[j], component by component.
template <int S, int D>
inline void stage_state(const double* x, const double* w, int count, double h,
                        const double (&k)[S][D], double* out)
{
    // Fully unrolled, so the tableau's coefficients (and its zeros) are compile-time constants.
#pragma GCC unroll 16
    for (int d = 0; d < D; ++d) {
        double v = x[d];
#pragma GCC unroll 16
        for (int j = 0; j < S && j < count; ++j)
            if (w[j] != 0.0)
                v = v + (w[j] * h) * k[j][d];
        out[d] = v;
    }
}

/// Stepper::steps for one row held in a local array across steps (the built-in systems are
/// autonomous: t is not needed); stops after the first step whose result is not finite.
template <int D, class OneStep>
long run_steps(long k_begin, long k_end, double h, double h_last, Mat& x, const OneStep& one_step)
{
    double state[D];
    load<D>(x, state);
    long k = k_begin;
    for (; k < k_end; ++k) {
        one_step(k + 1 == k_end ? h_last : h, state);
        double sum = 0;
        for (int d = 0; d < D; ++d)
            sum += state[d];
        if (!std::isfinite(sum))
            break;
    }
    store<D>(state, x);
    return k;
}

/// Explicit Runge-Kutta on one row, the tableau `C` unrolled at compile time, with the
/// operations, in order, of ExplicitRK::advance.
template <class Sys, const auto& C> class FastExplicitRK final : public ExplicitRK
{
public:
    static constexpr int D = Sys::point_dim;
    static constexpr int S = std::decay_t<decltype(C)>::stages;
    explicit FastExplicitRK(const Sys& sys) : ExplicitRK(sys, make_tableau(C)), m_sys(sys) {}
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

protected:
    void advance(const Vec& t, const Vec& h, Mat& x) override
    {
        if (x.rows() != 1)
            return ExplicitRK::advance(t, h, x);
        double state[D];
        load<D>(x, state);
        one_step(h(0), state);
        store<D>(state, x);
    }

    long steps(double t0, double h, long k_begin, long k_end, double h_last, Mat& x) override
    {
        if (x.rows() != 1 || m_keep_dense)
            return ExplicitRK::steps(t0, h, k_begin, k_end, h_last, x);
        return run_steps<D>(k_begin, k_end, h, h_last, x,
                            [this](double hh, double* state) { one_step(hh, state); });
    }

private:
    // Plain arrays and scalar loops (this file is compiled without auto-vectorisation): the
    // formulas write components one by one, and reading them back as vectors would stall on
    // store forwarding.
    void one_step(double hh, double* x0)
    {
        double k[S][D], y[D];
        m_sys.point_rhs(x0, k[0]);
#pragma GCC unroll 16
        for (int i = 1; i < S; ++i) {
            stage_state(x0, C.a[i], i, hh, k, y);
            m_sys.point_rhs(y, k[i]);
        }
        stage_state(x0, C.b, S, hh, k, y);
        for (int d = 0; d < D; ++d)
            x0[d] = y[d];
        m_evaluations += S;
    }

    const Sys& m_sys;
};

/// Symplectic Euler, Verlet and Yoshida on one row, in the order of SymplecticStepper.
template <class Sys> class FastSymplectic final : public SymplecticStepper
{
public:
    static constexpr int N = Sys::point_dim / 2;
    FastSymplectic(const Sys& sys, Kind kind) : SymplecticStepper(sys, kind), m_sys(sys) {}
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

protected:
    void advance(const Vec& t, const Vec& h, Mat& x) override
    {
        if (x.rows() != 1)
            return SymplecticStepper::advance(t, h, x);
        const double hh = h(0);
        Point<N> q = x.block<1, N>(0, 0).transpose(), p = x.block<1, N>(0, N).transpose(), g;
        auto kick = [&](double w) {
            m_sys.point_grad_V(q.data(), g.data());
            p -= w * (hh * g);
            ++m_evaluations;
        };
        auto drift = [&](double w) {
            m_sys.point_grad_T(p.data(), g.data());
            q += w * (hh * g);
        };
        auto verlet = [&](double w) {
            kick(0.5 * w);
            drift(w);
            kick(0.5 * w);
        };
        switch (m_kind) {
        case Kind::euler:
            kick(1.0);
            drift(1.0);
            break;
        case Kind::verlet: verlet(1.0); break;
        case Kind::yoshida4: {
            const double cbrt2 = std::cbrt(2.0);
            const double w1 = 1.0 / (2.0 - cbrt2);
            const double w0 = -cbrt2 / (2.0 - cbrt2);
            verlet(w1);
            verlet(w0);
            verlet(w1);
            break;
        }
        }
        x.block<1, N>(0, 0) = q.transpose();
        x.block<1, N>(0, N) = p.transpose();
    }

private:
    const Sys& m_sys;
};

/// One dopri5 attempt on one row, in the order of Dopri5::attempt.
template <class Sys> class FastDopri5 final : public Dopri5
{
public:
    static constexpr int D = Sys::point_dim;
    FastDopri5(const Sys& sys, double rtol, double atol) : Dopri5(sys, rtol, atol), m_sys(sys) {}
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

    void attempt(const Vec& t, const Vec& h, const Mat& x, const Mat& k1, Mat& x_new, Mat& k7,
                 Vec& err) override
    {
        if (x.rows() != 1)
            return Dopri5::attempt(t, h, x, k1, x_new, k7, err);
        using namespace dopri5_coefficients;
        const double hh = h(0);
        double x0[D], k[7][D], y[D], x1[D];
        for (int d = 0; d < D; ++d) {
            x0[d] = x(0, d);
            k[0][d] = k1(0, d);
        }
        // y = x0 + h (a_1 k_1 + ... + a_m k_m), the sum left to right as Dopri5::attempt does.
        auto stage = [&](std::initializer_list<std::pair<int, double>> terms, double* out) {
            for (int d = 0; d < D; ++d) {
                double sum = 0;
                bool first = true;
                for (const auto& [j, a] : terms) {
                    sum = first ? a * k[j][d] : sum + a * k[j][d];
                    first = false;
                }
                out[d] = x0[d] + hh * sum;
            }
        };
        stage({{0, a21}}, y);
        m_sys.point_rhs(y, k[1]);
        stage({{0, a31}, {1, a32}}, y);
        m_sys.point_rhs(y, k[2]);
        stage({{0, a41}, {1, a42}, {2, a43}}, y);
        m_sys.point_rhs(y, k[3]);
        stage({{0, a51}, {1, a52}, {2, a53}, {3, a54}}, y);
        m_sys.point_rhs(y, k[4]);
        stage({{0, a61}, {1, a62}, {2, a63}, {3, a64}, {4, a65}}, y);
        m_sys.point_rhs(y, k[5]);
        stage({{0, a71}, {2, a73}, {3, a74}, {4, a75}, {5, a76}}, x1);
        m_sys.point_rhs(x1, k[6]);
        m_evaluations += 6;

        double sum = 0;
        for (int d = 0; d < D; ++d) {
            const double e = hh * (e1 * k[0][d] + e3 * k[2][d] + e4 * k[3][d] + e5 * k[4][d] +
                                   e6 * k[5][d] + e7 * k[6][d]);
            const double scaled = e / (m_atol + m_rtol * std::max(std::abs(x0[d]), std::abs(x1[d])));
            sum = d == 0 ? scaled * scaled : sum + scaled * scaled;
        }
        err.resize(1);
        err(0) = std::sqrt(sum / D);
        x_new.resize(1, D);
        k7.resize(1, D);
        for (int d = 0; d < D; ++d) {
            x_new(0, d) = x1[d];
            k7(0, d) = k[6][d];
        }

        m_h = h;
        if (m_keep_dense) {
            for (int i = 0; i < 7; ++i)
                m_k[static_cast<std::size_t>(i)] =
                    Eigen::Map<const Eigen::Matrix<double, 1, D>>(k[i]);
            m_x0 = x;
            m_x1 = x_new;
        }
    }

private:
    const Sys& m_sys;
};

template <class Sys>
std::unique_ptr<Stepper> fast_for(const Sys& sys, const std::string& method, double rtol, double atol)
{
    if (method == "euler")
        return std::make_unique<FastExplicitRK<Sys, euler_coefficients>>(sys);
    if (method == "midpoint")
        return std::make_unique<FastExplicitRK<Sys, midpoint_coefficients>>(sys);
    if (method == "rk4")
        return std::make_unique<FastExplicitRK<Sys, rk4_coefficients>>(sys);
    if (method == "dopri5")
        return std::make_unique<FastDopri5<Sys>>(sys, rtol, atol);
    if constexpr (std::is_base_of_v<SeparableSystem, Sys>) {
        using Kind = SymplecticStepper::Kind;
        if (method == "symplectic-euler")
            return std::make_unique<FastSymplectic<Sys>>(sys, Kind::euler);
        if (method == "verlet")
            return std::make_unique<FastSymplectic<Sys>>(sys, Kind::verlet);
        if (method == "yoshida4")
            return std::make_unique<FastSymplectic<Sys>>(sys, Kind::yoshida4);
    }
    return nullptr;
}

/// fast_for on the first of Systems that `system` is.
template <class... Systems>
std::unique_ptr<Stepper> dispatch(const System& system, const std::string& method, double rtol,
                                  double atol)
{
    std::unique_ptr<Stepper> stepper;
    ((stepper || !dynamic_cast<const Systems*>(&system)
          ? void()
          : void(stepper = fast_for(static_cast<const Systems&>(system), method, rtol, atol))),
     ...);
    return stepper;
}

} // namespace

std::unique_ptr<Stepper> make_fast_stepper(const std::string& method, const System& system,
                                           double rtol, double atol)
{
    return dispatch<Harmonic, Pendulum, HenonHeiles, Kepler, DoublePendulum, Damped, LotkaVolterra,
                    VanDerPol, Lorenz>(system, method, rtol, atol);
}

} // namespace flowkit::ode
