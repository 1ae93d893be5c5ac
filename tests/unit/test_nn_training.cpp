// lib/nn training loop: resume after an interrupt equals one uninterrupted run (Adam with a
// schedule and minibatches, L-BFGS, Adam then L-BFGS), divergence names its epoch and writes
// nothing, checkpoints, history kept and continued, best parameters, stop reasons.
#include "core/error.hpp"
#include "io/model_json.hpp"
#include "nn/batch.hpp"
#include "nn/init.hpp"
#include "nn/training.hpp"
#include "temp_files.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <limits>
#include <memory>
#include <sstream>
#include <numeric>

using namespace flowkit;
namespace fs = std::filesystem;

namespace {

/// f = 1/(2|B|) sum_{i in B} (a_i . theta - b_i)^2 over minibatch B of a row order that is
/// reshuffled every epoch from the loop's generator; the whole set under L-BFGS.
struct MinibatchLeastSquares : nn::Objective
{
    Mat A;
    Vec b;
    Index batch_size;
    std::vector<Index> order;
    Index current = 0;
    bool full = false;

    MinibatchLeastSquares(Index rows, Index cols, Index batch) : batch_size(batch)
    {
        Rng rng(7);
        A.resize(rows, cols);
        b.resize(rows);
        for (Index i = 0; i < rows; ++i) {
            for (Index j = 0; j < cols; ++j)
                A(i, j) = rng.normal();
            b(i) = rng.normal();
        }
        order.resize(std::size_t(rows));
        std::iota(order.begin(), order.end(), Index(0));
    }
    Index num_batches() const override { return full ? 1 : A.rows() / batch_size; }
    void select_batch(Index k) override { current = k; }
    void shuffle(Rng& rng, long) override
    {
        // A function of the generator alone (not of earlier shuffles), as Objective requires.
        std::iota(order.begin(), order.end(), Index(0));
        for (std::size_t i = order.size() - 1; i > 0; --i)
            std::swap(order[i], order[rng.next_u64() % (i + 1)]);
    }
    void use_full_batch() override { full = true; }
    double evaluate_with_gradient(const Vec& theta, Vec& grad) override
    {
        const Index first = full ? 0 : current * batch_size;
        const Index count = full ? A.rows() : batch_size;
        grad = Vec::Zero(theta.size());
        double f = 0;
        for (Index k = first; k < first + count; ++k) {
            const Index i = order[std::size_t(k)];
            const double r = A.row(i).dot(theta) - b(i);
            f += 0.5 * r * r / double(count);
            grad += (r / double(count)) * A.row(i).transpose();
        }
        return f;
    }
};

/// Forwards to `inner`, raising SIGINT at evaluation `raise_at` and returning NaN from
/// evaluation `nan_at` on (1-based; 0 = never).
struct Faulty : nn::Objective
{
    nn::Objective& inner;
    long long raise_at = 0, nan_at = 0, calls = 0;
    explicit Faulty(nn::Objective& o) : inner(o) {}
    Index num_batches() const override { return inner.num_batches(); }
    void select_batch(Index k) override { inner.select_batch(k); }
    void shuffle(Rng& rng, long epoch) override { inner.shuffle(rng, epoch); }
    void use_full_batch() override { inner.use_full_batch(); }
    double evaluate_with_gradient(const Vec& theta, Vec& grad) override
    {
        ++calls;
        if (calls == raise_at)
            std::raise(SIGINT);
        const double f = inner.evaluate_with_gradient(theta, grad);
        return nan_at > 0 && calls >= nan_at ? std::numeric_limits<double>::quiet_NaN() : f;
    }
};

io::Json toy_model(const Vec& theta)
{
    io::Json m = io::new_model("test", {"y"});
    m["params"] = std::vector<double>(theta.data(), theta.data() + theta.size());
    return m;
}

/// The model file without its "training" record (which holds wall times).
io::Json without_training(const fs::path& file)
{
    io::Json j = io::read_model(file.string()).json;
    j.erase("training");
    return j;
}

/// The history without its seconds column.
std::string history_without_seconds(const fs::path& file)
{
    std::string text = test::slurp(file), out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        out += line.substr(0, line.rfind(',')) + "\n";
        start = end + 1;
    }
    return out;
}

nn::TrainingParams quiet_params(long epochs, const fs::path& output)
{
    nn::TrainingParams p;
    p.epochs = epochs;
    p.output = output.string();
    p.quiet = true;
    return p;
}

/// Trains once without interruption, then again interrupted by SIGINT at evaluation
/// `interrupt_at` and resumed from the model the interrupt wrote; both model files (less their
/// training records) and histories (less seconds) must agree. make_objective() gives a fresh
/// objective in its initial state.
template <class MakeObjective>
void check_resume_equals_uninterrupted(nn::TrainingParams p, const Vec& theta0,
                                       MakeObjective make_objective, long long interrupt_at,
                                       const std::string& name)
{
    const fs::path dir = test::fresh_dir("resume-" + name);
    p.output = (dir / "whole.json").string();
    p.history = (dir / "whole.csv").string();
    {
        auto f = make_objective();
        nn::Training(p, *f, theta0).run(toy_model);
    }
    p.output = (dir / "parts.json").string();
    p.history = (dir / "parts.csv").string();
    {
        auto f = make_objective();
        Faulty faulty(*f);
        faulty.raise_at = interrupt_at;
        nn::Training t(p, faulty, theta0);
        CHECK_THROWS_AS(t.run(toy_model), Interrupted);
    }
    const io::Model saved = io::read_model(p.output);
    const long stopped_at = saved.json["state"]["epoch"].get<long>();
    CHECK(stopped_at > 0);
    CHECK(stopped_at < p.epochs);
    CHECK(saved.json["training"]["stop"] == "interrupted");
    {
        auto f = make_objective();
        nn::Training t(p, *f, Vec::Zero(theta0.size())); // theta0 is ignored on resume
        t.resume(saved);
        t.run(toy_model);
    }
    CHECK(without_training(dir / "whole.json") == without_training(dir / "parts.json"));
    CHECK(history_without_seconds(dir / "whole.csv") == history_without_seconds(dir / "parts.csv"));
}

} // namespace

TEST_CASE("nn training: resume after SIGINT equals one run (Adam, cosine schedule, minibatches)")
{
    nn::TrainingParams p;
    p.epochs = 30;
    p.adam.lr = 0.05;
    p.schedule.kind = nn::ScheduleKind::cosine;
    p.quiet = true;
    auto make = [] { return std::make_unique<MinibatchLeastSquares>(40, 5, 10); };
    // 4 minibatches per epoch: evaluation 46 is in epoch 12, which is finished before stopping.
    check_resume_equals_uninterrupted(p, Vec::Constant(5, 0.3), make, 46, "adam");
}

TEST_CASE("nn training: resume after SIGINT equals one run (L-BFGS, and Adam then L-BFGS)")
{
    const nn::Mlp net({1, 8, 1}, nn::Activation::Tanh);
    Mat X(32, 1), Y(32, 1);
    for (Index i = 0; i < 32; ++i) {
        X(i, 0) = -2.0 + 4.0 * double(i) / 31.0;
        Y(i, 0) = std::sin(2.0 * X(i, 0));
    }
    Rng rng(3);
    Vec theta0;
    nn::init_params(net, nn::Init::Glorot, rng, theta0);
    auto make = [&] { return std::make_unique<nn::MlpRegression>(net, X, Y); };

    nn::TrainingParams p;
    p.epochs = 40;
    p.quiet = true;
    p.optimizer = nn::OptimizerKind::lbfgs;
    check_resume_equals_uninterrupted(p, theta0, make, 30, "lbfgs");

    p.optimizer = nn::OptimizerKind::adam_lbfgs;
    p.lbfgs_epochs = 20;
    p.adam.lr = 0.01;
    check_resume_equals_uninterrupted(p, theta0, make, 12, "adam-phase");
    check_resume_equals_uninterrupted(p, theta0, make, 35, "lbfgs-phase");
}

TEST_CASE("nn training: a NaN loss stops with its epoch, writes no model, keeps the checkpoint and "
          "the history - resuming from the checkpoint continues the history as one run")
{
    const fs::path dir = test::fresh_dir("diverge");
    nn::TrainingParams p = quiet_params(20, dir / "m.json");
    p.history = (dir / "h.csv").string();
    MinibatchLeastSquares ls(40, 5, 40); // one batch: evaluation k is epoch k
    Faulty faulty(ls);
    faulty.nan_at = 13;
    const Vec theta0 = Vec::Constant(5, 0.3);
    {
        nn::Training t(p, faulty, theta0);
        CHECK_THROWS_WITH_AS(t.run(toy_model),
                             doctest::Contains("training diverged at epoch 13"), ComputeError);
    }
    CHECK_FALSE(fs::exists(dir / "m.json"));
    CHECK(history_without_seconds(dir / "h.csv").find("\n12,") != std::string::npos);
    CHECK(history_without_seconds(dir / "h.csv").find("\n13,") == std::string::npos);

    p.checkpoint_every = 5;
    MinibatchLeastSquares fresh(40, 5, 40);
    Faulty faulty2(fresh);
    faulty2.nan_at = 13;
    {
        nn::Training t(p, faulty2, theta0);
        CHECK_THROWS_WITH_AS(t.run(toy_model),
                             doctest::Contains("the checkpoint of epoch 10 stays in"), ComputeError);
    }
    const io::Model checkpoint = io::read_model((dir / "m.json").string());
    CHECK(checkpoint.json["state"]["epoch"] == 10);
    CHECK(history_without_seconds(dir / "h.csv").find("\n12,") != std::string::npos);

    // Resume from the checkpoint with a healthy objective: rows 11 and 12 are written again, and
    // everything equals a run that never failed.
    {
        MinibatchLeastSquares healthy(40, 5, 40);
        nn::Training t(p, healthy, theta0);
        t.resume(checkpoint);
        t.run(toy_model);
    }
    nn::TrainingParams q = quiet_params(20, dir / "whole.json");
    q.history = (dir / "whole.csv").string();
    {
        MinibatchLeastSquares healthy(40, 5, 40);
        nn::Training(q, healthy, theta0).run(toy_model);
    }
    CHECK(without_training(dir / "m.json") == without_training(dir / "whole.json"));
    CHECK(history_without_seconds(dir / "h.csv") == history_without_seconds(dir / "whole.csv"));
}

TEST_CASE("nn training: params are the best parameters seen, and their loss is the best loss")
{
    const fs::path dir = test::fresh_dir("best");
    nn::TrainingParams p = quiet_params(60, dir / "m.json");
    p.adam.lr = 0.5; // too large: the loss oscillates, so the last parameters are not the best
    p.history = (dir / "h.csv").string();
    MinibatchLeastSquares ls(40, 5, 40);
    nn::Training t(p, ls, Vec::Constant(5, 2.0));
    const nn::TrainingResult r = t.run(toy_model);
    Vec g;
    const io::Model m = io::read_model(p.output);
    Vec best(5);
    for (Index i = 0; i < 5; ++i)
        best(i) = m.json["params"][std::size_t(i)].get<double>();
    // (summed in another row order than during training)
    CHECK(ls.evaluate_with_gradient(best, g) == doctest::Approx(r.best_loss).epsilon(1e-14));
    CHECK(ls.evaluate_with_gradient(t.last_params(), g) > r.best_loss);
    // The best loss is the smallest in the history (a loss at epoch e is that of the parameters
    // after e - 1 epochs, as Adam reports it before its step).
    std::istringstream h(test::slurp(p.history));
    std::string line;
    std::getline(h, line);
    CHECK(line == "epoch,loss,lr,evaluations,seconds");
    double smallest = std::numeric_limits<double>::infinity();
    while (std::getline(h, line))
        smallest = std::min(smallest, std::stod(line.substr(line.find(',') + 1)));
    CHECK(smallest == r.best_loss);
    CHECK(r.best_epoch + 1 < 60);
}

TEST_CASE("nn training: stop reasons — target loss, L-BFGS convergence, epoch limit")
{
    const fs::path dir = test::fresh_dir("stops");
    MinibatchLeastSquares ls(40, 5, 40);
    nn::TrainingParams p = quiet_params(1000, dir / "m.json");
    p.adam.lr = 0.05;
    p.target_loss = 0.5;
    nn::TrainingResult r = nn::Training(p, ls, Vec::Zero(5)).run(toy_model);
    CHECK(r.stop == "target loss");
    CHECK(r.epochs < 1000);
    CHECK(r.loss < 0.5);

    p.target_loss.reset();
    p.optimizer = nn::OptimizerKind::lbfgs;
    nn::Training lbfgs(p, ls, Vec::Zero(5));
    r = lbfgs.run(toy_model);
    // A 5-dimensional quadratic: a few iterations to its minimum, where f stalls (its minimum is
    // not 0, so "no progress" may come before the gradient test).
    INFO("stop: ", r.stop, " after ", r.epochs);
    CHECK((r.stop == "gradient tolerance" || r.stop == "no progress"));
    CHECK(r.epochs < 30);
    CHECK(io::read_model(p.output).json["training"]["stop"] == r.stop);
    const Vec exact = ls.A.colPivHouseholderQr().solve(ls.b);
    CHECK((lbfgs.last_params() - exact).norm() < 1e-7);

    p.optimizer = nn::OptimizerKind::adam;
    p.epochs = 3;
    r = nn::Training(p, ls, Vec::Zero(5)).run(toy_model);
    CHECK(r.stop == "epoch limit");
    CHECK(r.epochs == 3);
    CHECK(r.evaluations == 3);
}

TEST_CASE("nn training: parameter checks")
{
    MinibatchLeastSquares ls(40, 5, 40);
    nn::TrainingParams p;
    p.checkpoint_every = 10; // without an output file
    CHECK_THROWS_WITH_AS(nn::Training(p, ls, Vec::Zero(5)),
                         "--checkpoint-every needs -o FILE to write the checkpoints to", UsageError);
    p = nn::TrainingParams();
    p.epochs = -1;
    CHECK_THROWS_AS(nn::Training(p, ls, Vec::Zero(5)), UsageError);
    CHECK(nn::parse_optimizer("adam+lbfgs") == nn::OptimizerKind::adam_lbfgs);
    CHECK_THROWS_AS(nn::parse_optimizer("sgd"), UsageError);
    p = nn::TrainingParams();
    p.optimizer = nn::OptimizerKind::adam_lbfgs;
    p.epochs = 100;
    CHECK(p.adam_epochs() == 75); // a quarter for L-BFGS by default
    p.lbfgs_epochs = 10;
    CHECK(p.adam_epochs() == 90);
}
