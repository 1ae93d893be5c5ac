#include "nn/single_precision_mlp.hpp"

#include "random_params.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

using namespace flowkit;

TEST_CASE("nn: SinglePrecisionMlp agrees with the double kernel to float accuracy")
{
    // 3 -> 16 -> 16 -> 2 with weights scaled up (pre-activations of several units), 130 rows
    // (no multiple of a vector), for every activation.
    Rng rng(7);
    Mat X(130, 3);
    for (Index i = 0; i < X.size(); ++i)
        X(i) = 3.0 * rng.normal();
    for (const nn::Activation act : test::all_activations) {
        CAPTURE(std::string(nn::activation_name(act)));
        const nn::Mlp net({3, 16, 16, 2}, act);
        const nn::MlpKernel kernel(net, test::random_params(net, 11, 2.0));
        nn::MlpKernel::Workspace ws;
        Mat want;
        kernel.forward(X, ws, want, false);

        const nn::SinglePrecisionMlp single(kernel);
        nn::SinglePrecisionMlp::Workspace sws;
        Mat got;
        single.forward(X, sws, got);
        REQUIRE(got.rows() == 130);
        REQUIRE(got.cols() == 2);
        const double scale = want.cwiseAbs().maxCoeff();
        CHECK(scale > 0.5);
        // float rounding through two layers of 16: measured 1.6e-7 to 3.4e-7 of the scale
        CHECK((got - want).cwiseAbs().maxCoeff() < 1e-6 * scale);
    }
}

TEST_CASE("nn: SinglePrecisionMlp's parameter gradient agrees with the double kernel and "
          "with finite differences")
{
    // The gradient of sum_i abar_i . N(X_i) over 130 rows, for every activation: against
    // MlpKernel::backward (float rounding of the products and the row sums), and every entry
    // against a central difference of the double network.
    Rng rng(8);
    Mat X(130, 3), abar(130, 2);
    for (Index i = 0; i < X.size(); ++i)
        X(i) = 2.0 * rng.normal();
    for (Index i = 0; i < abar.size(); ++i)
        abar(i) = rng.normal();
    const MatF Xf = X.cast<float>(), abar_f = abar.cast<float>();
    for (const nn::Activation act : test::all_activations) {
        CAPTURE(std::string(nn::activation_name(act)));
        const nn::Mlp net({3, 16, 16, 2}, act);
        const Vec theta = test::random_params(net, 12, 1.5);
        const nn::MlpKernel kernel(net, theta);
        nn::MlpKernel::Workspace ws;
        Mat out;
        kernel.forward(X, ws, out);
        Vec want = Vec::Zero(net.num_params());
        kernel.backward(abar, nullptr, ws, nullptr, want);

        const nn::SinglePrecisionMlp single(net, theta);
        nn::SinglePrecisionMlp::Workspace sws;
        MatF out_f;
        single.forward_for_gradient(Xf, sws, out_f);
        CHECK((out_f.cast<double>() - out).cwiseAbs().maxCoeff() <
              1e-6 * out.cwiseAbs().maxCoeff());
        Vec got = Vec::Constant(net.num_params(), 1.0); // add_param_gradient adds
        single.add_param_gradient(abar_f, sws, got);
        got.array() -= 1.0;
        const double scale = want.cwiseAbs().maxCoeff();
        CHECK(scale > 1.0);
        // measured 2e-7 to 5e-7 of the largest entry, against the kernel and the differences
        CHECK((got - want).cwiseAbs().maxCoeff() < 4e-6 * scale);

        const auto objective = [&](const Vec& th) {
            const nn::MlpKernel k(net, th);
            nn::MlpKernel::Workspace w;
            Mat o;
            k.forward(X, w, o, false);
            return (o.array() * abar.array()).sum();
        };
        const double h = 1e-6;
        double worst = 0;
        for (Index j = 0; j < theta.size(); ++j) {
            Vec plus = theta, minus = theta;
            plus(j) += h;
            minus(j) -= h;
            const double fd = (objective(plus) - objective(minus)) / (2 * h);
            worst = std::max(worst, std::abs(fd - got(j)));
        }
        CHECK(worst < 4e-6 * scale);
    }
}

TEST_CASE("nn: SinglePrecisionMlp::set_params reads the Mlp's layout")
{
    // set_params(theta) and the constructor from a kernel of theta give the same outputs.
    const nn::Mlp net({2, 5, 3}, nn::Activation::Tanh);
    const Vec theta = test::random_params(net, 13, 1.0);
    const nn::MlpKernel kernel(net, theta);
    nn::SinglePrecisionMlp from_kernel(kernel), from_theta(net, Vec::Zero(net.num_params()));
    from_theta.set_params(theta);
    Mat X(4, 2);
    X << 0.1, -0.2, 1.0, 0.5, -1.5, 2.0, 0.0, 0.3;
    nn::SinglePrecisionMlp::Workspace ws;
    Mat a, b;
    from_kernel.forward(X, ws, a);
    from_theta.forward(X, ws, b);
    CHECK(a == b);
    CHECK(a.cwiseAbs().maxCoeff() > 0.1);
}
