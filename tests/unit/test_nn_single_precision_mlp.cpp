#include "nn/single_precision_mlp.hpp"

#include "random_params.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace flowkit;

TEST_CASE("nn: SinglePrecisionMlp agrees with the double kernel to float accuracy")
{
    // 3 -> 16 -> 16 -> 2 with weights scaled up (pre-activations of several units), 130 rows
    // (no multiple of a vector), for every activation.
    const nn::Activation acts[] = {nn::Activation::Tanh,     nn::Activation::Sin,
                                   nn::Activation::Sigmoid,  nn::Activation::Softplus,
                                   nn::Activation::Silu,     nn::Activation::Gelu};
    Rng rng(7);
    Mat X(130, 3);
    for (Index i = 0; i < X.size(); ++i)
        X(i) = 3.0 * rng.normal();
    for (const nn::Activation act : acts) {
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
