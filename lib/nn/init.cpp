#include "nn/init.hpp"

#include "core/error.hpp"

#include <cmath>

namespace flowkit::nn {

const char* init_name(Init init)
{
    return init == Init::Glorot ? "glorot" : "torch";
}

Init parse_init(const std::string& name)
{
    for (Init i : {Init::Glorot, Init::Torch})
        if (name == init_name(i))
            return i;
    throw UsageError("--init must be one of glorot, torch (got '" + name + "')");
}

void init_glorot(const Mlp& net, Rng& rng, Vec& theta)
{
    theta.resize(net.num_params());
    const auto& w = net.widths();
    for (Index l = 0; l < net.layers(); ++l) {
        const Index in = w[std::size_t(l)], out = w[std::size_t(l) + 1];
        const Index off = net.weight_offset(l);
        const double a = std::sqrt(6.0 / double(in + out));
        for (Index k = 0; k < out * in; ++k) // row-major W, in theta's order
            theta(off + k) = rng.uniform(-a, a);
        theta.segment(off + out * in, out).setZero();
    }
}

void init_torch(const Mlp& net, Rng& rng, Vec& theta)
{
    theta.resize(net.num_params());
    const auto& w = net.widths();
    for (Index l = 0; l < net.layers(); ++l) {
        const Index in = w[std::size_t(l)], out = w[std::size_t(l) + 1];
        const Index off = net.weight_offset(l);
        const double k = 1.0 / std::sqrt(double(in));
        for (Index j = 0; j < out * (in + 1); ++j) // W row-major, then b
            theta(off + j) = rng.uniform(-k, k);
    }
}

void init_params(const Mlp& net, Init init, Rng& rng, Vec& theta)
{
    if (init == Init::Glorot)
        init_glorot(net, rng, theta);
    else
        init_torch(net, rng, theta);
}

} // namespace flowkit::nn
