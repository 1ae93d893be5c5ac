#include "models/pinn_train.hpp"

#include "core/error.hpp"
#include "models/field_on_tape.hpp"
#include "io/table.hpp"
#include "nn/init.hpp"
#include "ode/dopri5.hpp"
#include "ode/integrate.hpp"
#include "ode/params_as_state.hpp"

#include <cmath>
#include <iostream>

namespace flowkit::models {

io::Json pinn_model_json(const Pinn& pinn, const ode::System& system, const Vec& theta)
{
    return learned_model_json("pinn", system, pinn.architecture_json(), theta);
}

PinnValidation validate_pinn(const Pinn& pinn, const Vec& theta, const ode::System& system,
                             std::uint64_t seed)
{
    const PinnArchitecture& a = pinn.arch();
    const Index d = a.dim(), p = a.num_inputs_params();
    const bool ivp = a.mode == PinnMode::ivp;

    // Initial states and parameter values: the IVP's one, or 64 drawn from the boxes.
    const Index n = ivp && p == 0 ? 1 : 64;
    Rng rng(seed ^ 0x76616c6964617465); // "validate"
    auto draws = [&](const std::vector<io::Range>& box) {
        Mat m(n, Index(box.size()));
        for (Index i = 0; i < n; ++i)
            for (Index j = 0; j < m.cols(); ++j)
                m(i, j) = rng.uniform(box[std::size_t(j)].lo, box[std::size_t(j)].hi);
        return m;
    };
    const Mat x0 = ivp ? Mat(a.ic.transpose().replicate(n, 1)) : draws(a.domain);
    const Mat k = draws(a.param_domain);
    // With parameters as inputs the reference solves the system of (x, k).
    std::unique_ptr<ode::System> with_params;
    if (p > 0)
        with_params = ode::params_as_state(system, a.param_names());
    const ode::System& field = with_params ? *with_params : system;
    Mat z0(n, d + p);
    z0 << x0, k;

    // Reference at t_k = k span / 100 by dopri5, rows = (k, i).
    constexpr Index grid = 100;
    const double h = a.span / double(grid);
    Mat reference((grid + 1) * n, d);
    ode::Dopri5 dopri(field, 1e-12, 1e-12);
    ode::IntegrateSettings settings;
    settings.t0 = 0;
    settings.t1 = a.span;
    settings.dt = h;
    settings.output.output_dt = h;
    Mat z = z0;
    ode::integrate_adaptive(dopri, z, settings,
                            [&](const std::vector<Index>& rows, const Vec& t, const Mat& zs) {
                                for (Index r = 0; r < zs.rows(); ++r) {
                                    const Index step = Index(std::lround(t(r) / h));
                                    reference.row(step * n + rows[std::size_t(r)]) =
                                        zs.row(r).head(d);
                                }
                            });

    // The network on the same grid and, for the residual, at 5 Gauss-Legendre nodes (on
    // [-1, 1]) in each of 50 parts of [0, span]; rows = (time, i) as above.
    auto on_times = [&](const Vec& times, Vec& t, Mat& xs, Mat& ks) {
        const Index m = times.size();
        t.resize(m * n);
        xs.resize(m * n, d);
        ks.resize(m * n, p);
        for (Index j = 0; j < m; ++j) {
            t.segment(j * n, n).setConstant(times(j));
            xs.middleRows(j * n, n) = x0;
            ks.middleRows(j * n, n) = k;
        }
    };
    Vec t;
    Mat xs, ks, N;
    on_times(Vec::LinSpaced(grid + 1, 0.0, a.span), t, xs, ks);
    t.segment(grid * n, n).setConstant(a.span); // exactly, as the reference
    pinn.evaluate(theta, t, ivp ? Mat() : xs, N, ks);
    const Vec errors = (N - reference).rowwise().norm();

    PinnValidation v;
    v.points = errors.size();
    v.max_error = errors.maxCoeff();
    v.rms_error = std::sqrt(errors.squaredNorm() / double(errors.size()));

    const double nodes[5] = {-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831,
                             0.9061798459386640};
    constexpr Index parts = 50;
    Vec gauss(parts * 5);
    for (Index part = 0; part < parts; ++part)
        for (Index q = 0; q < 5; ++q)
            gauss(part * 5 + q) = a.span * (double(part) + 0.5 * (1.0 + nodes[q])) / double(parts);
    on_times(gauss, t, xs, ks);
    ad::Tape tape;
    std::vector<ad::Tape::Id> params;
    pinn.net().put_params(tape, theta, params);
    const Pinn::Nodes out = pinn.build(tape, params, t, ivp ? Mat() : xs, ks);
    Mat zg(t.size(), d + p), F;
    zg << tape.value(out.N), ks;
    field.rhs(t, zg, F);
    v.max_residual = (tape.value(out.dNdt) - F.leftCols(d)).rowwise().norm().maxCoeff();
    return v;
}

void run_pinn_training(const PinnTrainJob& job, const ode::System& system, std::ostream& out)
{
    const Pinn pinn(job.arch);
    Rng rng(job.training.seed);
    Vec theta0;
    nn::init_params(pinn.net(), nn::Init::Torch, rng, theta0);
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
