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
        const MatF Xf = X.cast<float>();
        MatF got_f;
        single.forward(Xf, sws, got_f, false);
        const Mat got = got_f.cast<double>();
        REQUIRE(got.rows() == 130);
        REQUIRE(got.cols() == 2);
        const double scale = want.cwiseAbs().maxCoeff();
        CHECK(scale > 0.5);
        // float rounding through two layers of 16: measured 1.6e-7 to 3.4e-7 of the scale
        CHECK((got - want).cwiseAbs().maxCoeff() < 1e-6 * scale);
    }
}

TEST_CASE("nn: SinglePrecisionMlp's gradients agree with the double kernel and with finite "
          "differences")
{
    // The gradients of sum_i w_i abar_i . N(X_i) over 130 rows, for every activation, with and
    // without row weights w: against MlpKernel::backward (float rounding of the products and
    // the row sums), and every entry against a central difference of the double network; the
    // input gradient (unweighted, as the kernel's) likewise.
    Rng rng(8);
    Mat X(130, 3), abar(130, 2);
    Vec w(130);
    for (Index i = 0; i < X.size(); ++i)
        X(i) = 2.0 * rng.normal();
    for (Index i = 0; i < abar.size(); ++i)
        abar(i) = rng.normal();
    for (Index i = 0; i < w.size(); ++i)
        w(i) = rng.uniform() - 0.3;
    const MatF Xf = X.cast<float>(), abar_f = abar.cast<float>();
    const VecF wf = w.cast<float>();
    for (const nn::Activation act : test::all_activations) {
        for (const bool weighted : {false, true}) {
            CAPTURE(std::string(nn::activation_name(act)));
            CAPTURE(weighted);
            const nn::Mlp net({3, 16, 16, 2}, act);
            const Vec theta = test::random_params(net, 12, 1.5);
            const nn::MlpKernel kernel(net, theta);
            nn::MlpKernel::Workspace ws;
            Mat out, want_xbar;
            kernel.forward(X, ws, out);
            Vec want = Vec::Zero(net.num_params());
            kernel.backward(abar, weighted ? &w : nullptr, ws, &want_xbar, want);

            const nn::SinglePrecisionMlp single(net, theta);
            nn::SinglePrecisionMlp::Workspace sws;
            MatF out_f, xbar_f;
            single.forward(Xf, sws, out_f);
            CHECK((out_f.cast<double>() - out).cwiseAbs().maxCoeff() <
                  1e-6 * out.cwiseAbs().maxCoeff());
            Vec got = Vec::Constant(net.num_params(), 1.0); // backward adds
            single.backward(abar_f, weighted ? &wf : nullptr, sws, &xbar_f, got);
            got.array() -= 1.0;
            const double scale = want.cwiseAbs().maxCoeff();
            CHECK(scale > 1.0);
            // measured 2e-7 to 5e-7 of the largest entry, against the kernel and the differences
            CHECK((got - want).cwiseAbs().maxCoeff() < 4e-6 * scale);
            const double xscale = want_xbar.cwiseAbs().maxCoeff();
            CHECK(xscale > 0.05);
            CHECK((xbar_f.cast<double>() - want_xbar).cwiseAbs().maxCoeff() < 4e-6 * xscale);

            const auto objective = [&](const Vec& th, const Mat& x, bool weigh) {
                const nn::MlpKernel k(net, th);
                nn::MlpKernel::Workspace wsp;
                Mat o;
                k.forward(x, wsp, o, false);
                const Eigen::ArrayXXd terms = o.array() * abar.array();
                return weigh ? (terms.rowwise().sum() * w.array()).sum() : terms.sum();
            };
            const double h = 1e-6;
            double worst = 0;
            for (Index j = 0; j < theta.size(); ++j) {
                Vec plus = theta, minus = theta;
                plus(j) += h;
                minus(j) -= h;
                const double fd = (objective(plus, X, weighted) - objective(minus, X, weighted)) /
                                  (2 * h);
                worst = std::max(worst, std::abs(fd - got(j)));
            }
            CHECK(worst < 4e-6 * scale);
            double worst_x = 0;
            for (const Index i : {Index(0), Index(57), Index(129)})
                for (Index c = 0; c < X.cols(); ++c) {
                    Mat plus = X, minus = X;
                    plus(i, c) += h;
                    minus(i, c) -= h;
                    const double fd =
                        (objective(theta, plus, false) - objective(theta, minus, false)) / (2 * h);
                    worst_x = std::max(worst_x, std::abs(fd - double(xbar_f(i, c))));
                }
            CHECK(worst_x < 4e-6 * xscale);
        }
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
    MatF X(4, 2);
    X << 0.1f, -0.2f, 1.0f, 0.5f, -1.5f, 2.0f, 0.0f, 0.3f;
    nn::SinglePrecisionMlp::Workspace ws;
    MatF a, b;
    from_kernel.forward(X, ws, a);
    from_theta.forward(X, ws, b);
    CHECK(a == b);
    CHECK(a.cwiseAbs().maxCoeff() > 0.1f);
}
