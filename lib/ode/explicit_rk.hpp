// Explicit Runge-Kutta methods given by a Butcher tableau: euler, midpoint, rk4.
#pragma once

#include "ode/system_stepper.hpp"

namespace flowkit::ode {

struct ButcherTableau
{
    std::string name;
    int order;
    Mat a; ///< s x s, strictly lower triangular
    Vec b; ///< weights
    Vec c; ///< nodes
};

/// The explicit tableaus as compile-time constants (the fast path unrolls them); S stages.
template <int S> struct ExplicitCoefficients
{
    static constexpr int stages = S;
    const char* name;
    int order;
    double a[S][S];
    double b[S];
    double c[S];
};
constexpr ExplicitCoefficients<1> euler_coefficients{"euler", 1, {{0}}, {1}, {0}};
constexpr ExplicitCoefficients<2> midpoint_coefficients{
    "midpoint", 2, {{0, 0}, {0.5, 0}}, {0, 1}, {0, 0.5}};
constexpr ExplicitCoefficients<4> rk4_coefficients{
    "rk4", 4,
    {{0, 0, 0, 0}, {0.5, 0, 0, 0}, {0, 0.5, 0, 0}, {0, 0, 1, 0}},
    {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6},
    {0, 0.5, 0.5, 1}};

template <int S> ButcherTableau make_tableau(const ExplicitCoefficients<S>& k)
{
    ButcherTableau t{k.name, k.order, Mat(S, S), Vec(S), Vec(S)};
    for (int i = 0; i < S; ++i) {
        t.b(i) = k.b[i];
        t.c(i) = k.c[i];
        for (int j = 0; j < S; ++j)
            t.a(i, j) = k.a[i][j];
    }
    return t;
}

inline ButcherTableau euler_tableau() { return make_tableau(euler_coefficients); }
inline ButcherTableau midpoint_tableau() { return make_tableau(midpoint_coefficients); }
inline ButcherTableau rk4_tableau() { return make_tableau(rk4_coefficients); }

class ExplicitRK : public SystemStepper
{
public:
    ExplicitRK(const System& system, ButcherTableau tableau);
    std::string name() const override { return m_tab.name; }
    int order() const override { return m_tab.order; }
    std::unique_ptr<Stepper> clone() const override { return fresh_copy(*this); }

protected:
    void advance(const Vec& t, const Vec& h, Mat& x) override;

    ButcherTableau m_tab;

private:
    std::vector<Mat> m_k; // stage slopes
    Mat m_y;              // stage state
    Vec m_ts;             // stage times
};

} // namespace flowkit::ode
