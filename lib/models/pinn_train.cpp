#include "models/pinn_train.hpp"

#include "core/error.hpp"
#include "io/table.hpp"
#include "nn/init.hpp"
#include "ode/dopri5.hpp"
#include "ode/integrate.hpp"

#include <cmath>
#include <iostream>

namespace flowkit::models {

io::Json pinn_model_json(const Pinn& pinn, const ode::System& system, const Vec& theta)
{
    io::Json m = io::new_model("pinn", pinn.arch().state_names);
    m["system"] = system.describe();
    m["architecture"] = pinn.architecture_json();
    m["params"] = std::vector<double>(theta.data(), theta.data() + theta.size());
    return m;
}

PinnValidation validate_pinn(const Pinn& pinn, const Vec& theta, const ode::System& system,
                             std::uint64_t seed)
{
    const PinnArchitecture& a = pinn.arch();
    const Index d = a.dim();
    const bool ivp = a.mode == PinnMode::ivp;

    // Initial states: the IVP's, or 64 drawn from the domain.
    Mat x0;
    if (ivp) {
        x0 = a.ic.transpose();
    } else {
        Rng rng(seed ^ 0x76616c6964617465); // "validate"
        x0.resize(64, d);
        for (Index i = 0; i < x0.rows(); ++i)
            for (Index j = 0; j < d; ++j)
                x0(i, j) = rng.uniform(a.domain[std::size_t(j)].lo, a.domain[std::size_t(j)].hi);
    }
    const Index n = x0.rows();

    // Reference at t_k = k span / 100 by dopri5, rows = (k, i).
    constexpr Index grid = 100;
    const double h = a.span / double(grid);
    Mat reference((grid + 1) * n, d);
    ode::Dopri5 dopri(system, 1e-12, 1e-12);
    ode::IntegrateSettings settings;
    settings.t0 = 0;
    settings.t1 = a.span;
    settings.dt = h;
    settings.output.output_dt = h;
    Mat x = x0;
    ode::integrate_adaptive(dopri, x, settings,
                            [&](const std::vector<Index>& rows, const Vec& t, const Mat& xs) {
                                for (Index k = 0; k < xs.rows(); ++k) {
                                    const Index step = Index(std::lround(t(k) / h));
                                    reference.row(step * n + rows[std::size_t(k)]) = xs.row(k);
                                }
                            });
    Vec t((grid + 1) * n);
    Mat states((grid + 1) * n, d), N;
    for (Index k = 0; k <= grid; ++k) {
        t.segment(k * n, n).setConstant(double(k) * h);
        states.middleRows(k * n, n) = x0;
    }
    pinn.evaluate(theta, t, ivp ? Mat() : states, N);
    const Vec errors = (N - reference).rowwise().norm();

    PinnValidation v;
    v.points = errors.size();
    v.max_error = errors.maxCoeff();
    v.rms_error = std::sqrt(errors.squaredNorm() / double(errors.size()));

    // Residual at 5 Gauss-Legendre nodes (on [-1, 1]) in each of 50 parts of [0, span].
    const double nodes[5] = {-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831,
                             0.9061798459386640};
    constexpr Index parts = 50;
    Vec tg(parts * 5 * n);
    Mat xg(parts * 5 * n, d);
    for (Index p = 0; p < parts; ++p)
        for (Index q = 0; q < 5; ++q) {
            const Index row = (p * 5 + q) * n;
            tg.segment(row, n).setConstant(a.span * (double(p) + 0.5 * (1.0 + nodes[q])) /
                                           double(parts));
            xg.middleRows(row, n) = x0;
        }
    ad::Tape tape;
    std::vector<ad::Tape::Id> params;
    pinn.net().put_params(tape, theta, params);
    const Pinn::Nodes out = pinn.build(tape, params, tg, ivp ? Mat() : xg);
    Mat F;
    system.rhs(tg, tape.value(out.N), F);
    v.max_residual = (tape.value(out.dNdt) - F).rowwise().norm().maxCoeff();
    return v;
}

void run_pinn_training(const PinnTrainJob& job, const ode::System& system, std::ostream& out)
{
    const Pinn pinn(job.arch);
    Rng rng(job.training.seed);
    Vec theta0;
    nn::init_params(pinn.net(), nn::Init::Glorot, rng, theta0);
    PinnLoss loss(pinn, system, job.loss);
    nn::Training training(job.training, loss, theta0);
    if (job.resumed)
        training.resume(*job.resumed);
    training.run([&](const Vec& theta) { return pinn_model_json(pinn, system, theta); });
    if (!job.validate)
        return;
    const PinnValidation v = validate_pinn(pinn, training.best_params(), system, job.training.seed);
    std::ostream& to = job.training.output.empty() ? std::cerr : out;
    to << "max_error,rms_error,max_residual\n"
       << io::format_number(v.max_error) << ',' << io::format_number(v.rms_error) << ','
       << io::format_number(v.max_residual) << '\n';
}

} // namespace flowkit::models
