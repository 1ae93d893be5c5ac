// lib/models PINN: dN/dt and N on the tape against central differences of Pinn::evaluate, the
// loss gradient against central differences of the loss (every ic mode, ivp and flow map, an
// autonomous and a non-autonomous system), the loss value against an independent recomputation,
// the exact initial condition of the hard modes, thread independence of the loss, the checks of
// PinnLoss, collocation resampling (resume safety), the architecture's JSON round trip,
// PinnStepper, and a short training run on the harmonic oscillator.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/model_json.hpp"
#include "models/pinn.hpp"
#include "models/pinn_loss.hpp"
#include "models/pinn_stepper.hpp"
#include "models/pinn_train.hpp"
#include "nn/init.hpp"
#include "nn/training.hpp"
#include "ode/builtin_systems.hpp"
#include "ode/expression_systems.hpp"
#include "problems.hpp"
#include "temp_files.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace flowkit;
using models::IcMode;
using models::Pinn;
using models::PinnArchitecture;
using models::PinnLoss;
using models::PinnLossParams;
using models::PinnMode;

namespace {
const IcMode all_ic_modes[] = {IcMode::hard, IcMode::hard_tfc, IcMode::soft};

/// ivp: x0 = (0.3, -0.7) on [0, 1.5]; flow map: dt = 0.4 on Omega = [-1.2, 1.2]^2.
PinnArchitecture make_arch(PinnMode mode, IcMode ic_mode, std::vector<std::string> names,
                           nn::Activation act = nn::Activation::Tanh,
                           std::vector<Index> hidden = {8, 8})
{
    PinnArchitecture a;
    a.mode = mode;
    a.state_names = names;
    a.ic_mode = ic_mode;
    a.hidden = std::move(hidden);
    a.activation = act;
    if (mode == PinnMode::ivp) {
        a.span = 1.5;
        a.ic = (Vec(2) << 0.3, -0.7).finished();
    } else {
        a.span = 0.4;
        for (const std::string& n : names)
            a.domain.push_back({n, -1.2, 1.2});
    }
    return a;
}

/// Glorot weights plus U(-0.3, 0.3) on every entry, so the biases are not zero.
Vec random_theta(const Pinn& pinn, std::uint64_t seed)
{
    Rng rng(seed);
    Vec theta;
    nn::init_params(pinn.net(), nn::Init::Glorot, rng, theta);
    for (Index i = 0; i < theta.size(); ++i)
        theta(i) += rng.uniform(-0.3, 0.3);
    return theta;
}

/// n random states in [-1.2, 1.2]^d.
Mat random_states(Index n, Index d, Rng& rng)
{
    Mat x(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j)
            x(i, j) = rng.uniform(-1.2, 1.2);
    return x;
}

struct TapeValues
{
    Mat N, dNdt, N0;
};

TapeValues tape_values(const Pinn& pinn, const Vec& theta, const Vec& t, const Mat& x0)
{
    ad::Tape tape;
    std::vector<ad::Tape::Id> params;
    pinn.net().put_params(tape, theta, params);
    const Pinn::Nodes nodes = pinn.build(tape, params, t, x0);
    TapeValues v;
    v.N = tape.value(nodes.N);
    v.dNdt = tape.value(nodes.dNdt);
    if (nodes.N0 >= 0)
        v.N0 = tape.value(nodes.N0);
    return v;
}

Mat eval(const Pinn& pinn, const Vec& theta, const Vec& t, const Mat& x0)
{
    Mat out;
    pinn.evaluate(theta, t, x0, out);
    return out;
}

double loss_value(PinnLoss& loss, const Vec& theta)
{
    Vec g;
    return loss.evaluate_with_gradient(theta, g);
}

/// One configuration of the derivative tests.
struct Case
{
    const char* label;
    PinnMode mode;
    const ode::System* system;
    nn::Activation act;
};

void check_derivatives(const Case& c, IcMode ic_mode, std::uint64_t seed)
{
    CAPTURE(c.label);
    CAPTURE(models::to_string(ic_mode));
    const bool ivp = c.mode == PinnMode::ivp;
    const Pinn pinn(make_arch(c.mode, ic_mode, c.system->names(), c.act));
    const Vec theta = random_theta(pinn, seed);
    Rng rng(seed + 100);
    const Index n = 9;
    Vec t(n);
    for (Index i = 0; i < n; ++i)
        t(i) = rng.uniform(0, pinn.arch().span);
    t(0) = 0; // the ends of the span too
    t(1) = pinn.arch().span;
    const Mat x0 = ivp ? Mat() : random_states(n, 2, rng);
    const TapeValues tv = tape_values(pinn, theta, t, x0);

    // (b) The tape's N is Pinn::evaluate: the same operations in the same order up to the
    // association of a sum or two, so agreement to a few ulps of O(1) values.
    const Mat N = eval(pinn, theta, t, x0);
    REQUIRE(tv.N.rows() == n);
    REQUIRE(tv.N.cols() == 2);
    CHECK((tv.N - N).cwiseAbs().maxCoeff() <= 1e-13);

    // (a) dN/dt against a central difference of evaluate with h = 1e-5: truncation
    // h^2 |d3N/dt3| / 6 ~ 1e-10 (d3N/dt3 = O(1) to O(10) for these weights and spans), rounding
    // eps |N| / h ~ 1e-11, so 1e-7 relative to max(1, |dN/dt|) has a large margin yet is far
    // below any error in a chain-rule factor (1/span, 2/span, tau). Measured worst over all
    // cases: 7e-10; |tape N - evaluate| 2e-16.
    const double h = 1e-5;
    const Mat fd = (eval(pinn, theta, (t.array() + h).matrix(), x0) -
                    eval(pinn, theta, (t.array() - h).matrix(), x0)) /
                   (2 * h);
    REQUIRE(tv.dNdt.rows() == n);
    const double scale = std::max(1.0, tv.dNdt.cwiseAbs().maxCoeff());
    CHECK((tv.dNdt - fd).cwiseAbs().maxCoeff() <= 1e-7 * scale);

    // soft mode: N0 is Ñ(0, x0), one row for an ivp
    if (ic_mode == IcMode::soft) {
        const Mat N0 = eval(pinn, theta, Vec::Zero(ivp ? 1 : n), x0);
        REQUIRE(tv.N0.rows() == N0.rows());
        CHECK((tv.N0 - N0).cwiseAbs().maxCoeff() <= 1e-13);
    } else {
        CHECK(tv.N0.size() == 0);
    }

    // (c) The loss: collocation 50, threads 1; ic_weight 3 so the soft penalty has its weight.
    PinnLossParams lp;
    lp.collocation = 50;
    lp.threads = 1;
    lp.ic_weight = 3;
    lp.seed = seed;
    PinnLoss loss(pinn, *c.system, lp);
    Vec grad;
    const double L = loss.evaluate_with_gradient(theta, grad);
    REQUIRE(grad.size() == pinn.num_params());

    // The value, recomputed independently: the residual with dN/dt from the tape (checked in
    // (a)) and F from the system at the unscaled times, plus 3 mean |Ñ(0) - x0|^2 (soft).
    {
        const Vec& tc = loss.times();
        const Mat& xc = loss.initial_states();
        REQUIRE(tc.size() == 50);
        const TapeValues c_tv = tape_values(pinn, theta, tc, xc);
        Mat F;
        c.system->rhs(tc, eval(pinn, theta, tc, xc), F);
        double expect = (c_tv.dNdt - F).squaredNorm() / 50.0;
        if (ic_mode == IcMode::soft) {
            const Mat N0 = eval(pinn, theta, Vec::Zero(ivp ? 1 : 50), xc);
            const Mat X0 = ivp ? Mat(pinn.arch().ic.transpose()) : xc;
            expect += 3.0 * (N0 - X0).squaredNorm() / double(N0.rows());
        }
        // sums of 50 O(1) terms in another order: 1e-12 relative is many ulps
        CHECK(L == doctest::Approx(expect).epsilon(1e-12));
    }

    // Gradient: central differences with step 1e-5 at 10 random coordinates. Truncation
    // h^2 |L'''| / 6 ~ 1e-10 |L|, rounding eps |L| / h ~ 1e-11 |L|; the tolerance is 1e-6
    // relative to max(|g_i|, 1e-3 ||g||_inf) (the floor keeps a near-zero component from
    // demanding an absolute accuracy the differences cannot give). Measured worst over all
    // cases: 2.2e-9 relative to |g_i| itself; the loss value agrees with its recomputation
    // to 2e-16.
    const double gmax = grad.cwiseAbs().maxCoeff();
    REQUIRE(gmax > 0);
    for (int k = 0; k < 10; ++k) {
        const Index i = Index(rng.next_u64() % std::uint64_t(theta.size()));
        CAPTURE(i);
        Vec tp = theta, tm = theta;
        tp(i) += h;
        tm(i) -= h;
        const double g_fd = (loss_value(loss, tp) - loss_value(loss, tm)) / (2 * h);
        CAPTURE(g_fd);
        CAPTURE(grad(i));
        CHECK(std::abs(g_fd - grad(i)) <= 1e-6 * std::max(std::abs(grad(i)), 1e-3 * gmax));
    }
}

} // namespace

TEST_CASE("models pinn: dN/dt, N and the loss gradient against central differences")
{
    const auto pendulum = ode::make_builtin_system("pendulum");
    const auto lotka = ode::make_builtin_system("lotka-volterra");
    const ode::RhsSystem forced("p; -q + sin(t)", {"q", "p"}, {});
    REQUIRE(!forced.autonomous());
    const Case cases[] = {
        {"ivp pendulum tanh", PinnMode::ivp, pendulum.get(), nn::Activation::Tanh},
        {"flow map pendulum tanh", PinnMode::flow_map, pendulum.get(), nn::Activation::Tanh},
        {"flow map lotka-volterra silu", PinnMode::flow_map, lotka.get(), nn::Activation::Silu},
        {"ivp forced oscillator sin", PinnMode::ivp, &forced, nn::Activation::Sin},
        {"ivp forced oscillator tanh", PinnMode::ivp, &forced, nn::Activation::Tanh},
    };
    std::uint64_t seed = 11;
    for (const Case& c : cases)
        for (IcMode m : all_ic_modes)
            check_derivatives(c, m, seed++);
}

TEST_CASE("models pinn: the hard modes satisfy the initial condition exactly, soft does not")
{
    const auto sys = ode::make_builtin_system("damped");
    Rng rng(5);
    for (IcMode m : all_ic_modes) {
        CAPTURE(models::to_string(m));
        // N(0) - x0 is x0 + 0 Ñ - x0 (hard) or x0 + (Ñ(0) - Ñ(0)) ... up to one rounding of
        // O(1) numbers (hard-tfc): 1e-14. Soft mode has Ñ(0) - x0 = O(1) for random weights, so
        // "differs by more than 1e-6" shows the check can tell the difference.
        const bool hard = m != IcMode::soft;
        for (std::uint64_t s = 0; s < 3; ++s) {
            // flow map: random x0 in Omega, evaluate and the tape
            const Pinn fm(make_arch(PinnMode::flow_map, m, sys->names()));
            const Vec theta = random_theta(fm, 40 + s);
            const Mat x0 = random_states(6, 2, rng);
            const Mat N = eval(fm, theta, Vec::Zero(6), x0);
            const Mat Nt = tape_values(fm, theta, Vec::Zero(6), x0).N;
            if (hard) {
                CHECK((N - x0).cwiseAbs().maxCoeff() <= 1e-14);
                CHECK((Nt - x0).cwiseAbs().maxCoeff() <= 1e-14);
            } else {
                CHECK((N - x0).rowwise().norm().minCoeff() > 1e-6);
            }
            // ivp: N(0) = ic, also when t = 0 is not the first row
            const Pinn iv(make_arch(PinnMode::ivp, m, sys->names()));
            const Vec th2 = random_theta(iv, 50 + s);
            const Vec t = (Vec(3) << 0.7, 0.0, 1.1).finished();
            const Mat Ni = eval(iv, th2, t, Mat());
            const Mat Nit = tape_values(iv, th2, t, Mat()).N;
            const Eigen::RowVectorXd ic = iv.arch().ic.transpose();
            if (hard) {
                CHECK((Ni.row(1) - ic).cwiseAbs().maxCoeff() <= 1e-14);
                CHECK((Nit.row(1) - ic).cwiseAbs().maxCoeff() <= 1e-14);
            } else {
                CHECK((Ni.row(1) - ic).norm() > 1e-6);
            }
        }
    }
}

TEST_CASE("models pinn: the loss and its gradient do not depend on the number of threads")
{
    // The batch is cut into fixed blocks whose sums are added in a fixed order, so the result
    // is bitwise the same for any thread count.
    const auto sys = ode::make_builtin_system("pendulum");
    for (PinnMode mode : {PinnMode::ivp, PinnMode::flow_map})
        for (IcMode m : all_ic_modes) {
            CAPTURE(models::to_string(mode));
            CAPTURE(models::to_string(m));
            const Pinn pinn(make_arch(mode, m, sys->names()));
            const Vec theta = random_theta(pinn, 3);
            PinnLossParams lp;
            lp.collocation = 1000;
            lp.ic_weight = 2.5;
            lp.seed = 9;
            lp.threads = 1;
            PinnLoss one(pinn, *sys, lp);
            lp.threads = 2;
            PinnLoss two(pinn, *sys, lp);
            Vec g1, g2;
            const double l1 = one.evaluate_with_gradient(theta, g1);
            const double l2 = two.evaluate_with_gradient(theta, g2);
            CHECK(l1 == l2);
            REQUIRE(g1.size() == g2.size());
            CHECK((g1 == g2));
            CHECK(l1 > 0);
        }
}

TEST_CASE("models pinn: PinnLoss refuses a non-autonomous flow map and a dimension mismatch")
{
    const ode::RhsSystem forced("p; -q + sin(t)", {"q", "p"}, {});
    const Pinn fm(make_arch(PinnMode::flow_map, IcMode::hard, {"q", "p"}));
    CHECK_THROWS_AS(PinnLoss(fm, forced, PinnLossParams{}), UsageError);
    // the same system is fine for an ivp
    const Pinn iv(make_arch(PinnMode::ivp, IcMode::hard, {"q", "p"}));
    CHECK_NOTHROW(PinnLoss(iv, forced, PinnLossParams{}));

    const ode::RhsSystem three("y; z; -x", {"x", "y", "z"}, {});
    CHECK_THROWS_AS(PinnLoss(iv, three, PinnLossParams{}), UsageError);
    CHECK_THROWS_AS(PinnLoss(fm, three, PinnLossParams{}), UsageError);

    PinnLossParams bad;
    bad.collocation = 0;
    const auto harmonic = ode::make_builtin_system("harmonic");
    CHECK_THROWS_AS(PinnLoss(iv, *harmonic, bad), UsageError);
}

TEST_CASE("models pinn: collocation points are redrawn every resample_every epochs, resumably")
{
    const auto sys = ode::make_builtin_system("harmonic");
    const Pinn pinn(make_arch(PinnMode::flow_map, IcMode::hard, sys->names()));
    PinnLossParams lp;
    lp.collocation = 20;
    lp.resample_every = 3;
    lp.seed = 17;
    PinnLoss loss(pinn, *sys, lp);
    Rng rng(1);
    std::vector<Vec> t(8);
    std::vector<Mat> x(8);
    for (long e = 1; e <= 7; ++e) {
        loss.shuffle(rng, e);
        t[std::size_t(e)] = loss.times();
        x[std::size_t(e)] = loss.initial_states();
        REQUIRE(loss.times().size() == 20);
        REQUIRE(loss.initial_states().rows() == 20);
        CHECK(loss.times().minCoeff() >= 0);
        CHECK(loss.times().maxCoeff() <= pinn.arch().span);
        CHECK(loss.initial_states().cwiseAbs().maxCoeff() <= 1.2);
    }
    // blocks {1, 2, 3}, {4, 5, 6}, {7}
    CHECK((t[1] == t[2]));
    CHECK((t[2] == t[3]));
    CHECK((x[1] == x[3]));
    CHECK((t[4] != t[3]));
    CHECK((x[4] != x[3]));
    CHECK((t[4] == t[6]));
    CHECK((x[4] == x[6]));
    CHECK((t[7] != t[4]));

    // Resume safety: a fresh PinnLoss (a resumed run), whose first epoch may be any epoch,
    // sees the points the uninterrupted run saw, whatever generator the loop passes.
    for (long e = 1; e <= 7; ++e) {
        CAPTURE(e);
        PinnLoss fresh(pinn, *sys, lp);
        Rng other(1000 + std::uint64_t(e));
        fresh.shuffle(other, e);
        CHECK((fresh.times() == t[std::size_t(e)]));
        CHECK((fresh.initial_states() == x[std::size_t(e)]));
    }

    // another seed, other points
    PinnLossParams lp2 = lp;
    lp2.seed = 18;
    PinnLoss other(pinn, *sys, lp2);
    other.shuffle(rng, 1);
    CHECK((other.times() != t[1]));

    // L-BFGS's fixed set: 4 x collocation by default, or lbfgs_collocation; the same each time
    loss.use_full_batch();
    CHECK(loss.times().size() == 80);
    CHECK(loss.initial_states().rows() == 80);
    const Vec full = loss.times();
    PinnLoss again(pinn, *sys, lp);
    again.use_full_batch();
    CHECK((again.times() == full));
    lp.lbfgs_collocation = 37;
    PinnLoss sized(pinn, *sys, lp);
    sized.use_full_batch();
    CHECK(sized.times().size() == 37);
    CHECK(sized.initial_states().rows() == 37);
}

TEST_CASE("models pinn: the architecture survives a JSON round trip - malformed ones are refused")
{
    for (PinnMode mode : {PinnMode::ivp, PinnMode::flow_map})
        for (IcMode m : all_ic_modes) {
            CAPTURE(models::to_string(mode));
            CAPTURE(models::to_string(m));
            PinnArchitecture a =
                make_arch(mode, m, {"x", "y"}, nn::Activation::Silu, {7, 5, 3});
            if (mode == PinnMode::flow_map)
                a.domain[1] = {"y", -0.5, 2.25};
            const Pinn pinn(a);
            io::Json j = io::new_model("pinn", a.state_names);
            j["architecture"] = pinn.architecture_json();
            const PinnArchitecture b = Pinn::architecture_from_json(io::Model{j, "test"});
            CHECK(b.mode == a.mode);
            CHECK(b.state_names == a.state_names);
            CHECK(b.span == a.span);
            CHECK((b.ic == a.ic));
            CHECK(b.domain == a.domain);
            CHECK(b.ic_mode == a.ic_mode);
            CHECK(b.hidden == a.hidden);
            CHECK(b.activation == a.activation);

            // malformed
            io::Json no_mode = j;
            no_mode["architecture"].erase("mode");
            CHECK_THROWS_AS(Pinn::architecture_from_json(io::Model{no_mode, "test"}), DataError);
            io::Json bad_ic = j;
            bad_ic["architecture"]["ic_mode"] = "hardest";
            CHECK_THROWS_AS(Pinn::architecture_from_json(io::Model{bad_ic, "test"}), DataError);
            io::Json bad_mode = j;
            bad_mode["architecture"]["mode"] = "flowmap";
            CHECK_THROWS_AS(Pinn::architecture_from_json(io::Model{bad_mode, "test"}), DataError);
            io::Json bad_hidden = j;
            bad_hidden["architecture"]["hidden"] = "8,8";
            CHECK_THROWS_AS(Pinn::architecture_from_json(io::Model{bad_hidden, "test"}),
                            DataError);
            io::Json no_arch = j;
            no_arch.erase("architecture");
            CHECK_THROWS_AS(Pinn::architecture_from_json(io::Model{no_arch, "test"}), DataError);
        }
}

TEST_CASE("models pinn: PinnStepper steps and dense output are evaluations of the network")
{
    Rng rng(23);
    {
        // flow map: x -> N(h; x), dense output N(theta h; x_start)
        auto pinn = std::make_shared<const Pinn>(
            make_arch(PinnMode::flow_map, IcMode::hard_tfc, {"q", "p"}));
        const Vec theta = random_theta(*pinn, 31);
        models::PinnStepper st(pinn, theta);
        st.keep_dense(true);
        const Mat x0 = random_states(4, 2, rng);
        const Vec t = (Vec(4) << 0.0, 0.3, 1.7, -2.0).finished(); // a flow map ignores t
        const Vec h = (Vec(4) << 0.4, 0.1, 0.25, 0.4 * (1 + 1e-13)).finished();
        Mat x = x0;
        st.step(t, h, x);
        // the same function on the same inputs: bitwise equal is expected, 1e-15 allowed
        CHECK((x - eval(*pinn, theta, h, x0)).cwiseAbs().maxCoeff() <= 1e-15);
        CHECK((x - x0).cwiseAbs().maxCoeff() > 1e-6); // it moved
        CHECK(st.evaluations() == 4);
        Mat d;
        st.dense({0, 1, 2, 3}, Vec::Constant(4, 0.5), d);
        CHECK((d - eval(*pinn, theta, 0.5 * h, x0)).cwiseAbs().maxCoeff() <= 1e-15);
        // one row of the step, at theta 1: the step's end
        st.dense({2}, Vec::Constant(1, 1.0), d);
        CHECK((d - x.row(2)).cwiseAbs().maxCoeff() <= 1e-15);

        Mat y = x0;
        CHECK_THROWS_AS(st.step(t, (Vec(4) << 0.1, 0.41, 0.1, 0.1).finished(), y),
                        std::invalid_argument);
        CHECK_THROWS_AS(models::PinnStepper(pinn, Vec::Zero(theta.size() + 1)),
                        std::invalid_argument);
    }
    {
        // ivp: N(t + h) whatever x is
        auto pinn =
            std::make_shared<const Pinn>(make_arch(PinnMode::ivp, IcMode::hard, {"q", "p"}));
        const Vec theta = random_theta(*pinn, 32);
        models::PinnStepper st(pinn, theta);
        st.keep_dense(true);
        const Vec t = (Vec(3) << 0.0, 0.2, 0.5).finished();
        const Vec h = (Vec(3) << 0.3, 0.1, 1.0).finished();
        Mat x = random_states(3, 2, rng);
        st.step(t, h, x);
        CHECK((x - eval(*pinn, theta, t + h, Mat())).cwiseAbs().maxCoeff() <= 1e-15);
        Mat d;
        st.dense({0, 1, 2}, Vec::Constant(3, 0.5), d);
        CHECK((d - eval(*pinn, theta, t + 0.5 * h, Mat())).cwiseAbs().maxCoeff() <= 1e-15);
    }
}

TEST_CASE("models pinn: a short training run solves the harmonic oscillator")
{
    // x0 = (1, 0) on [0, 1], exact (cos t, -sin t). Adam (lr 1e-2) for 450 epochs, then L-BFGS
    // for 150 on 4 x 200 fixed points.
    // Measured (-O3, this machine): final loss 6.6e-7, validate_pinn max_error 1.3e-4 (rms
    // 7.2e-5), max_residual 2.6e-3, training 0.09 s. The thresholds (1e-5, 1e-3) leave a
    // factor ~8-15 for other compilers and libm; an untrained network is O(1) off.
    const auto sys = ode::make_builtin_system("harmonic");
    PinnArchitecture a;
    a.mode = PinnMode::ivp;
    a.state_names = sys->names();
    a.ic = (Vec(2) << 1, 0).finished();
    a.span = 1;
    a.hidden = {16, 16};
    const Pinn pinn(a);
    PinnLossParams lp;
    lp.collocation = 200;
    lp.seed = 1;
    PinnLoss loss(pinn, *sys, lp);
    Rng rng(1);
    Vec theta0;
    nn::init_params(pinn.net(), nn::Init::Glorot, rng, theta0);

    const auto dir = test::fresh_dir("models-pinn-train");
    nn::TrainingParams tp;
    tp.tool = "pinn-train";
    tp.epochs = 600;
    tp.optimizer = nn::OptimizerKind::adam_lbfgs;
    tp.adam.lr = 1e-2;
    tp.quiet = true;
    tp.seed = 1;
    tp.output = (dir / "pinn.json").string();
    nn::Training training(tp, loss, theta0);
    const nn::TrainingResult r =
        training.run([&](const Vec& theta) { return models::pinn_model_json(pinn, *sys, theta); });
    const models::PinnValidation v =
        models::validate_pinn(pinn, training.best_params(), *sys, 1);
    MESSAGE("loss " << r.loss << " best " << r.best_loss << " epochs " << r.epochs
                    << " max_error " << v.max_error << " rms " << v.rms_error
                    << " max_residual " << v.max_residual << " s " << r.seconds);
    CHECK(r.best_loss < 1e-5);
    CHECK(v.max_error < 1e-3);
    CHECK(v.points == 101);
    // the validation's reference is the exact solution
    const Mat end = eval(pinn, training.best_params(), Vec::Constant(1, 1.0), Mat());
    CHECK((end - test::harmonic_exact(1.0)).norm() <= v.max_error + 1e-9);

    // and the model file reads back into the same network
    const io::Model m = io::read_model(tp.output, {"pinn"});
    const Pinn back(Pinn::architecture_from_json(m));
    CHECK(back.num_params() == pinn.num_params());
}

TEST_CASE("models pinn: parametric networks — loss against a row-by-row recomputation, gradient "
          "against central differences, exact initial condition")
{
    const auto damped = ode::make_builtin_system("damped");
    // The same field as an --rhs system: params_as_state takes the vectorised path for it.
    const ode::RhsSystem as_rhs("p; -k*q + gamma*p", {"q", "p"}, {{"k", 1.0}, {"gamma", -0.1}});
    for (PinnMode mode : {PinnMode::ivp, PinnMode::flow_map})
        for (IcMode ic_mode : all_ic_modes)
            for (const ode::System* system :
                 std::vector<const ode::System*>{damped.get(), &as_rhs}) {
                INFO(models::to_string(mode), " ", models::to_string(ic_mode), " ",
                     system->describe().dump());
                PinnArchitecture a = make_arch(mode, ic_mode, {"q", "p"});
                a.param_domain = {{"k", 0.5, 2.0}, {"gamma", -0.2, 0.0}};
                const Pinn pinn(a);
                const Vec theta = random_theta(pinn, 11);
                PinnLossParams lp;
                lp.collocation = 40;
                lp.ic_weight = 3;
                PinnLoss loss(pinn, *system, lp);
                REQUIRE(loss.parameters().rows() == 40);
                REQUIRE(loss.parameters().cols() == 2);

                // The residual part of the loss, F from a system built for each row's k, gamma.
                const Vec& t = loss.times();
                const Mat& x0 = loss.initial_states();
                const Mat& k = loss.parameters();
                ad::Tape tape;
                std::vector<ad::Tape::Id> ids;
                pinn.net().put_params(tape, theta, ids);
                const Pinn::Nodes nodes = pinn.build(tape, ids, t, x0, k);
                double residual = 0;
                for (Index i = 0; i < t.size(); ++i) {
                    CHECK(k(i, 0) >= 0.5);
                    CHECK(k(i, 0) <= 2.0);
                    const auto row_system = ode::make_builtin_system(
                        "damped", {{"k", k(i, 0)}, {"gamma", k(i, 1)}});
                    Mat f;
                    row_system->rhs(t.segment(i, 1), tape.value(nodes.N).row(i), f);
                    residual += (tape.value(nodes.dNdt).row(i) - f.row(0)).squaredNorm();
                }
                residual /= double(t.size());
                Vec g;
                const double value = loss.evaluate_with_gradient(theta, g);
                if (ic_mode == IcMode::soft)
                    CHECK(value > residual); // the penalty comes on top
                else
                    CHECK(value == doctest::Approx(residual).epsilon(1e-12));

                // The gradient against central differences at 8 coordinates (relative 1e-6;
                // measured errors are about 1e-9).
                Rng pick(5);
                for (int c = 0; c < 8; ++c) {
                    const Index i = Index(pick.next_u64() % std::uint64_t(theta.size()));
                    const double h = 1e-6;
                    Vec up = theta, down = theta;
                    up(i) += h;
                    down(i) -= h;
                    const double fd = (loss_value(loss, up) - loss_value(loss, down)) / (2 * h);
                    CHECK(std::abs(fd - g(i)) <= 1e-6 * std::max(std::abs(g(i)), 1e-3 * g.cwiseAbs().maxCoeff()));
                }

                // Hard modes: N(0; x0, k) = x0 for every k.
                if (ic_mode != IcMode::soft) {
                    Mat N;
                    pinn.evaluate(theta, Vec::Zero(t.size()), x0, N, k);
                    const Mat expected =
                        mode == PinnMode::ivp ? Mat(a.ic.transpose().replicate(t.size(), 1)) : x0;
                    CHECK((N - expected).cwiseAbs().maxCoeff() <= 1e-14);
                }
            }
}
