// train-toy: the test program of the training loop (issue "learning core, part 2"). It fits an
// MLP to y = sin(2x) + x/2 at --points fixed points of [-2, 2] with every common training option,
// so that tests/cli can check epochs, checkpoints, resume, history and signals before any
// training tool exists. Not installed.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/cli.hpp"
#include "nn/batch.hpp"
#include "nn/init.hpp"
#include "nn/training_options.hpp"

#include <cmath>

using namespace flowkit;

int main(int argc, char** argv)
{
    return io::run_tool("train-toy", argc, argv, [&] {
        cxxopts::Options opts("train-toy",
                              "Fit an MLP to y = sin(2x) + x/2 on [-2, 2] (the training loop's "
                              "test program).");
        io::add_common_options(opts);
        nn::add_training_options(opts, {200, 1e-2, "adam", "constant", 0, "16", "tanh"});
        opts.add_options("Toy")("points", "Fit at N points drawn uniformly.",
                                cxxopts::value<std::string>()->default_value("64"), "N");
        const auto cl = nn::parse_training_command_line(opts, "train-toy", argc, argv, {"toy"});
        const nn::TrainingParams params = nn::training_params(cl, "train-toy");
        const long points = io::integer_option(cl.args, "points");
        require_option(points >= 1, "--points", ">= 1", double(points));

        Rng rng(cl.common.seed);
        Mat X(points, 1), Y(points, 1);
        for (Index i = 0; i < points; ++i) {
            X(i, 0) = rng.uniform(-2.0, 2.0);
            Y(i, 0) = std::sin(2.0 * X(i, 0)) + 0.5 * X(i, 0);
        }
        std::vector<Index> widths = {1};
        for (Index w : nn::hidden_widths(cl.args))
            widths.push_back(w);
        widths.push_back(1);
        const nn::Mlp net(widths, nn::activation_option(cl.args));
        Vec theta0;
        nn::init_params(net, nn::Init::Glorot, rng, theta0);
        nn::MlpRegression loss(net, X, Y, cl.common.threads);

        nn::Training training(params, loss, theta0);
        if (cl.resumed)
            training.resume(*cl.resumed);
        training.run([&](const Vec& theta) {
            io::Json model = io::new_model("toy", {"y"});
            model["architecture"] = {{"widths", net.widths()},
                                     {"activation", nn::activation_name(net.activation())}};
            model["params"] = std::vector<double>(theta.data(), theta.data() + theta.size());
            return model;
        });
    });
}
