// lib/nn Mlp: forward against a hand-written Eigen pass, parameter layout, input gradient,
// tangent and Hessian-vector product against central differences of the forward pass, and the
// theta-gradient of a PINN/SympFlow-shaped loss against central differences in theta.
#include "core/error.hpp"
#include "core/rng.hpp"
#include "random_matrix.hpp"
#include "random_params.hpp"
#include "nn/mlp.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace flowkit;
using ad::Tape;
using nn::Activation;
using nn::Id;
using nn::Mlp;

namespace {

const Activation all_acts[] = {Activation::Tanh,     Activation::Sin,  Activation::Sigmoid,
                               Activation::Softplus, Activation::Silu, Activation::Gelu};

using test::random_mat;

Vec random_theta(const Mlp& net, std::uint64_t seed)
{
    return test::random_params(net, seed, 2.0);
}

double act_ref(Activation a, double z)
{
    switch (a) {
    case Activation::Tanh: return std::tanh(z);
    case Activation::Sin: return std::sin(z);
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Activation::Softplus: return std::log1p(std::exp(z));
    case Activation::Silu: return z / (1.0 + std::exp(-z));
    case Activation::Gelu: return 0.5 * z * std::erfc(-z / std::sqrt(2.0));
    }
    return 0.0;
}

/// Independent forward pass: W_l(i, j) = theta[off + i * in + j], then b_l.
Mat forward_ref(const std::vector<Index>& w, Activation a, const Vec& theta, const Mat& X)
{
    Mat A = X;
    Index off = 0;
    for (std::size_t l = 1; l < w.size(); ++l) {
        const Index in = w[l - 1], out = w[l];
        Mat Z(A.rows(), out);
        for (Index r = 0; r < A.rows(); ++r)
            for (Index i = 0; i < out; ++i) {
                double z = theta(off + out * in + i);
                for (Index j = 0; j < in; ++j)
                    z += theta(off + i * in + j) * A(r, j);
                Z(r, i) = l + 1 < w.size() ? act_ref(a, z) : z;
            }
        off += out * (in + 1);
        A = Z;
    }
    return A;
}

/// N(X) through the tape.
Mat net_value(const Mlp& net, const Vec& theta, const Mat& X)
{
    Tape t;
    const auto p = net.put_params(t, theta);
    return t.value(net.forward(t, p, t.input(X)));
}

double rel_err(const Mat& a, const Mat& b)
{
    return (a - b).norm() / std::max(b.norm(), 1e-300);
}

} // namespace

TEST_CASE("nn mlp: parameter count and layout")
{
    const Mlp net({3, 5, 4, 2}, Activation::Tanh);
    CHECK(net.num_params() == 5 * 4 + 4 * 6 + 2 * 5);
    CHECK(net.layers() == 3);
    CHECK(net.weight_offset(1) == 20);
    CHECK(net.weight_offset(2) == 44);
    Vec theta = Vec::LinSpaced(net.num_params(), 0, double(net.num_params() - 1));
    Mat W, b;
    net.unpack(theta, 1, W, b);
    REQUIRE(W.rows() == 4);
    REQUIRE(W.cols() == 5);
    CHECK(W(0, 1) == 21.0); // row-major
    CHECK(W(1, 0) == 25.0);
    CHECK(b(0, 0) == 40.0);
    CHECK(b.rows() == 1);
    CHECK(b.cols() == 4);

    // put_params / gather_gradient round trip: L = sum(W .* C) gives back C in theta's layout
    Tape t;
    const auto p = net.put_params(t, theta);
    REQUIRE(p.size() == 6);
    Id acc = -1;
    for (std::size_t k = 0; k < p.size(); ++k) {
        const Id s = t.sum(t.mul(p[k], p[k])); // d/dtheta = 2 theta
        acc = k == 0 ? s : t.add(acc, s);
    }
    t.backward(acc);
    Vec g;
    net.gather_gradient(t, p, g);
    CHECK((g - 2.0 * theta).norm() == 0.0);

    CHECK_THROWS_AS(Mlp({3}, Activation::Tanh), UsageError);
    CHECK_THROWS_AS(Mlp({3, 0, 1}, Activation::Tanh), UsageError);
    CHECK_THROWS_AS(nn::parse_activation("relu"), UsageError);
    CHECK(nn::parse_activation("softplus") == Activation::Softplus);
    CHECK(nn::parse_activation("gelu") == Activation::Gelu);
    CHECK_THROWS_AS(net.put_params(t, Vec::Zero(3)), std::invalid_argument);
}

TEST_CASE("nn mlp: forward matches a hand-written Eigen pass")
{
    Rng rng(1);
    const std::vector<Index> w{3, 7, 5, 2};
    const Mat X = random_mat(rng, 9, 3);
    for (Activation a : all_acts) {
        const std::string act_name = nn::activation_name(a);
        CAPTURE(act_name);
        const Mlp net(w, a);
        const Vec theta = random_theta(net, 2);
        const Mat ref = forward_ref(w, a, theta, X);
        const Mat got = net_value(net, theta, X);
        REQUIRE(got.rows() == 9);
        REQUIRE(got.cols() == 2);
        CHECK(rel_err(got, ref) < 1e-13);
        Mat ev;
        net.evaluate(theta, X, ev);
        CHECK(rel_err(ev, ref) < 1e-13);
    }
    // no hidden layer: affine
    const Mlp lin({3, 2}, Activation::Tanh);
    const Vec th = random_theta(lin, 3);
    CHECK(rel_err(net_value(lin, th, X), forward_ref({3, 2}, Activation::Tanh, th, X)) < 1e-13);
}

TEST_CASE("nn mlp: input_gradient, tangent and hessian_vector against finite differences")
{
    // Central differences: first derivatives with h = 1e-5 (error ~ h^2 + eps/h ~ 1e-10), the
    // mixed second difference Richardson-extrapolated from h = 1e-3 and h/2 (error ~ h^4 +
    // eps/h^2 ~ 1e-10): relative 1e-6.
    Rng rng(4);
    const Index n = 6, d = 3;
    const Mat X = random_mat(rng, n, d), V = random_mat(rng, n, d);
    for (const std::vector<Index>& w : {std::vector<Index>{3, 8, 6, 1},
                                        std::vector<Index>{3, 5, 1},
                                        std::vector<Index>{3, 4, 4, 4, 1}}) {
        for (Activation a : all_acts) {
            const std::string act_name = nn::activation_name(a);
            CAPTURE(act_name);
            CAPTURE(w.size());
            const Mlp net(w, a);
            const Vec theta = random_theta(net, 5);
            Tape t;
            const auto p = net.put_params(t, theta);
            const auto tr = net.trace(t, p, t.input(X));
            const Id Vid = t.input(V);
            const Mat g = t.value(net.input_gradient(t, p, tr));
            const Mat tan = t.value(net.tangent(t, p, tr, Vid));
            const Mat hv = t.value(net.hessian_vector(t, p, tr, Vid));
            // the X-only overloads give the same
            CHECK(rel_err(t.value(net.input_gradient(t, p, t.input(X))), g) == 0.0);

            const double h1 = 1e-5, h2 = 1e-3;
            Mat g_fd(n, d), hv_fd(n, d);
            for (Index j = 0; j < d; ++j) {
                Mat E = Mat::Zero(n, d);
                E.col(j).setOnes();
                g_fd.col(j) =
                    (net_value(net, theta, X + h1 * E) - net_value(net, theta, X - h1 * E)) /
                    (2 * h1);
                auto mixed = [&](double h) {
                    return Mat((net_value(net, theta, X + h * V + h * E) -
                                net_value(net, theta, X + h * V - h * E) -
                                net_value(net, theta, X - h * V + h * E) +
                                net_value(net, theta, X - h * V - h * E)) /
                               (4 * h * h));
                };
                hv_fd.col(j) = (4.0 * mixed(h2 / 2) - mixed(h2)) / 3.0; // Richardson
            }
            const Mat tan_fd =
                (net_value(net, theta, X + h1 * V) - net_value(net, theta, X - h1 * V)) /
                (2 * h1);
            CHECK(rel_err(g, g_fd) < 1e-6);
            CHECK(rel_err(tan, tan_fd) < 1e-6);
            CHECK(rel_err(hv, hv_fd) < 1e-6);
        }
    }
}

TEST_CASE("nn mlp: tangent of a vector-valued net - time derivative with V = e_t")
{
    Rng rng(6);
    const Index n = 5;
    const Mat X = random_mat(rng, n, 3); // columns t, q, p
    Mat Et = Mat::Zero(n, 3);
    Et.col(0).setOnes();
    for (Activation a : all_acts) {
        const std::string act_name = nn::activation_name(a);
        CAPTURE(act_name);
        const Mlp net({3, 6, 6, 2}, a);
        const Vec theta = random_theta(net, 7);
        Tape t;
        const auto p = net.put_params(t, theta);
        const Mat dNdt = t.value(net.tangent(t, p, t.input(X), t.input(Et)));
        const double h = 1e-5;
        const Mat fd =
            (net_value(net, theta, X + h * Et) - net_value(net, theta, X - h * Et)) / (2 * h);
        REQUIRE(dNdt.cols() == 2);
        CHECK(rel_err(dNdt, fd) < 1e-6);
    }
    const Mlp vec({3, 4, 2}, Activation::Tanh);
    Tape t;
    const auto p = vec.put_params(t, random_theta(vec, 1));
    CHECK_THROWS_AS(vec.input_gradient(t, p, t.input(X)), std::invalid_argument);
    CHECK_THROWS_AS(vec.hessian_vector(t, p, t.input(X), t.input(X)), std::invalid_argument);
}

TEST_CASE("nn mlp: affine scalar net has gradient w and zero Hessian")
{
    Rng rng(8);
    const Mlp net({3, 1}, Activation::Sin);
    const Vec theta = random_theta(net, 9);
    const Mat X = random_mat(rng, 4, 3);
    Tape t;
    const auto p = net.put_params(t, theta);
    const Id Xid = t.input(X);
    const Mat g = t.value(net.input_gradient(t, p, Xid));
    for (Index i = 0; i < 4; ++i)
        CHECK((g.row(i).transpose() - theta.head(3)).norm() == 0.0);
    CHECK(t.value(net.hessian_vector(t, p, Xid, Xid)).norm() == 0.0);
}

TEST_CASE("nn mlp: theta-gradient of mean ||dN/dX||^2 + (dN/dX . V)^2 (+ ||H V||^2)")
{
    // L(theta) = mean_i ||grad_x N(x_i)||^2 + mean_i (d/ds N(x_i + s v_i))^2, the shape of the
    // PINN/SympFlow losses; a second loss adds mean_i ||H(x_i) v_i||^2 (third derivatives of the
    // activation). Central differences in theta, h = 1e-5: relative 1e-6.
    Rng rng(10);
    const Index n = 7, d = 2;
    const Mat X = random_mat(rng, n, d), V = random_mat(rng, n, d);
    for (bool with_hv : {false, true}) {
        for (Activation a : all_acts) {
            const std::string act_name = nn::activation_name(a);
            CAPTURE(act_name);
            CAPTURE(with_hv);
            const Mlp net({2, 6, 5, 1}, a);
            const Vec theta = random_theta(net, 11);
            Tape t;
            auto loss = [&](const Vec& th, std::vector<Id>& p) {
                t.clear();
                p = net.put_params(t, th);
                const auto tr = net.trace(t, p, t.input(X));
                const Id Vid = t.input(V);
                const Id g = net.input_gradient(t, p, tr);
                const Id tan = net.tangent(t, p, tr, Vid);
                Id L = t.add(t.mean(t.sum_cols(t.square(g))), t.mean(t.sum_cols(t.square(tan))));
                if (with_hv)
                    L = t.add(L, t.mean(t.sum_cols(t.square(net.hessian_vector(t, p, tr, Vid)))));
                return L;
            };
            std::vector<Id> p;
            const Id L = loss(theta, p);
            t.backward(L);
            Vec grad;
            net.gather_gradient(t, p, grad);

            Vec fd(theta.size());
            const double h = 1e-5;
            for (Index k = 0; k < theta.size(); ++k) {
                Vec tp = theta, tm = theta;
                tp(k) += h;
                tm(k) -= h;
                const double lp = t.value(loss(tp, p))(0, 0);
                const double lm = t.value(loss(tm, p))(0, 0);
                fd(k) = (lp - lm) / (2 * h);
            }
            CHECK(rel_err(grad, fd) < 1e-6);
        }
    }
}
