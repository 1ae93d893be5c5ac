#include "models/sympflow.hpp"

#include "core/error.hpp"

#include <cmath>

namespace flowkit::models {

void SympflowArchitecture::check() const
{
    if (state_names.empty() || state_names.size() % 2 != 0)
        throw UsageError("SympFlow needs canonical coordinates (q1..qn, p1..pn): an even number "
                         "of state variables, not " + std::to_string(state_names.size()));
    require_option(dt > 0 && std::isfinite(dt), "--dt", "> 0", dt);
    if (Index(domain.size()) != dim())
        throw UsageError("--domain must give a range for each state variable (" +
                         std::to_string(dim()) + ")");
    require_option(layers >= 1, "--layers", ">= 1", double(layers));
    for (Index w : hidden)
        require_option(w >= 1, "--hidden", "whole numbers >= 1", double(w));
}

namespace {

std::vector<Index> potential_widths(const SympflowArchitecture& a)
{
    std::vector<Index> w = {a.half() + 1};
    w.insert(w.end(), a.hidden.begin(), a.hidden.end());
    w.push_back(1);
    return w;
}

} // namespace

Sympflow::Sympflow(SympflowArchitecture arch)
    : m_arch((arch.check(), std::move(arch))),
      m_potential(potential_widths(m_arch), m_arch.activation)
{
}

void Sympflow::put_params(ad::Tape& tape, const Vec& theta,
                          std::vector<std::vector<Id>>& ids) const
{
    if (theta.size() != num_params())
        throw std::invalid_argument("models::Sympflow: theta has " + std::to_string(theta.size()) +
                                    " entries, the network " + std::to_string(num_params()));
    const Index m = m_potential.num_params();
    ids.resize(std::size_t(2 * m_arch.layers));
    for (std::size_t j = 0; j < ids.size(); ++j)
        m_potential.put_params(tape, theta.segment(Index(j) * m, m), ids[j]);
}

void Sympflow::gather_gradient(const ad::Tape& tape, const std::vector<std::vector<Id>>& ids,
                               Vec& grad) const
{
    const Index m = m_potential.num_params();
    grad.resize(num_params());
    Vec g;
    for (std::size_t j = 0; j < ids.size(); ++j) {
        m_potential.gather_gradient(tape, ids[j], g);
        grad.segment(Index(j) * m, m) = g;
    }
    grad(num_params() - 1) = 0;
}

Sympflow::Nodes Sympflow::build(ad::Tape& tape, const std::vector<std::vector<Id>>& ids,
                                const Vec& t, const Mat& x0) const
{
    const Index rows = t.size(), n = m_arch.half();
    const Id T = tape.input(t), zero = tape.input(Vec::Zero(rows)), one = tape.input(Vec::Ones(rows));
    Id q = tape.input(x0.leftCols(n)), p = tape.input(x0.rightCols(n));
    Id dq = tape.input(Mat::Zero(rows, n)), dp = tape.input(Mat::Zero(rows, n));
    // One map y <- y + sign (grad_y U(t, x) - grad_y U(0, x)) with x the other coordinate, and its
    // tangent dy <- dy + sign [Hess U(t, x) (dx, 1) - Hess U(0, x) (dx, 0)]_x.
    auto update = [&](const std::vector<Id>& U, Id x, Id dx, Id& y, Id& dy, double sign) {
        const nn::Mlp& net = m_potential;
        const nn::Mlp::Trace at_t = net.trace(tape, U, tape.concat_cols(x, T));
        const nn::Mlp::Trace at_0 = net.trace(tape, U, tape.concat_cols(x, zero));
        const Id g = tape.sub(tape.cols(net.input_gradient(tape, U, at_t), 0, n),
                              tape.cols(net.input_gradient(tape, U, at_0), 0, n));
        const Id h = tape.sub(
            tape.cols(net.hessian_vector(tape, U, at_t, tape.concat_cols(dx, one)), 0, n),
            tape.cols(net.hessian_vector(tape, U, at_0, tape.concat_cols(dx, zero)), 0, n));
        y = sign > 0 ? tape.add(y, g) : tape.sub(y, g);
        dy = sign > 0 ? tape.add(dy, h) : tape.sub(dy, h);
    };
    for (Index i = 0; i < m_arch.layers; ++i) {
        update(ids[std::size_t(2 * i)], q, dq, p, dp, -1.0);    // V_i moves p
        update(ids[std::size_t(2 * i + 1)], p, dp, q, dq, 1.0); // K_i moves q
    }
    return {tape.concat_cols(q, p), tape.concat_cols(dq, dp)};
}

Sympflow::Id Sympflow::flow(ad::Tape& tape, const std::vector<std::vector<Id>>& ids,
                            const Vec& t, Id x0) const
{
    const Index rows = t.size(), n = m_arch.half();
    const Id T = tape.input(t), zero = tape.input(Vec::Zero(rows));
    Id q = tape.cols(x0, 0, n), p = tape.cols(x0, n, n);
    auto shift = [&](const std::vector<Id>& U, Id x) {
        return tape.sub(
            tape.cols(m_potential.input_gradient(tape, U, tape.concat_cols(x, T)), 0, n),
            tape.cols(m_potential.input_gradient(tape, U, tape.concat_cols(x, zero)), 0, n));
    };
    for (Index i = 0; i < m_arch.layers; ++i) {
        p = tape.sub(p, shift(ids[std::size_t(2 * i)], q));
        q = tape.add(q, shift(ids[std::size_t(2 * i + 1)], p));
    }
    return tape.concat_cols(q, p);
}

void Sympflow::evaluate(const Vec& theta, const Vec& t, const Mat& x0, Mat& out) const
{
    ad::Tape tape;
    std::vector<std::vector<Id>> ids;
    put_params(tape, theta, ids);
    out = tape.value(flow(tape, ids, t, tape.input(x0)));
}

Sympflow::Id Sympflow::hamiltonian(ad::Tape& tape, const std::vector<std::vector<Id>>& ids,
                                   Id h0, const Vec& t, Id x) const
{
    const Index rows = t.size(), n = m_arch.half();
    const Id T = tape.input(t), zero = tape.input(Vec::Zero(rows));
    Id q = tape.cols(x, 0, n), p = tape.cols(x, n, n), H = -1;
    // Adds d_t U(t, y) to H and returns grad_y U(t, y) - grad_y U(0, y).
    auto peel = [&](const std::vector<Id>& U, Id y) {
        const Id g = m_potential.input_gradient(tape, U, tape.concat_cols(y, T));
        const Id g0 = m_potential.input_gradient(tape, U, tape.concat_cols(y, zero));
        const Id dt = tape.cols(g, n, 1);
        H = H < 0 ? dt : tape.add(H, dt);
        return tape.sub(tape.cols(g, 0, n), tape.cols(g0, 0, n));
    };
    for (Index i = m_arch.layers - 1; i >= 0; --i) {
        q = tape.sub(q, peel(ids[std::size_t(2 * i + 1)], p)); // undo K_i
        p = tape.add(p, peel(ids[std::size_t(2 * i)], q));     // undo V_i
    }
    return tape.add_row(H, tape.tanh(h0));
}

void Sympflow::evaluate_hamiltonian(const Vec& theta, const Vec& t, const Mat& x, Vec& out) const
{
    ad::Tape tape;
    std::vector<std::vector<Id>> ids;
    put_params(tape, theta, ids);
    const Id h0 = tape.input(Mat::Constant(1, 1, theta(num_params() - 1)));
    out = tape.value(hamiltonian(tape, ids, h0, t, tape.input(x))).col(0);
}

io::Json Sympflow::architecture_json() const
{
    const SympflowArchitecture& a = m_arch;
    io::Json j;
    j["dt"] = a.dt;
    j["domain"] = io::Json::object();
    for (const io::Range& r : a.domain)
        j["domain"][r.name] = {r.lo, r.hi};
    j["layers"] = a.layers;
    j["hidden"] = a.hidden;
    j["activation"] = nn::activation_name(a.activation);
    return j;
}

SympflowArchitecture Sympflow::architecture_from_json(const io::Model& model)
{
    const io::Json& j = io::require_key(model, model.json, "architecture");
    SympflowArchitecture a;
    a.state_names = io::read_strings(model, model.json, "state_names");
    try {
        a.dt = io::require_key(model, j, "dt").get<double>();
        const io::Json& domain = io::require_key(model, j, "domain");
        for (const std::string& name : a.state_names) {
            const io::Json& r = io::require_key(model, domain, name);
            a.domain.push_back({name, r.at(0).get<double>(), r.at(1).get<double>()});
        }
        a.layers = io::require_key(model, j, "layers").get<Index>();
        a.hidden = io::require_key(model, j, "hidden").get<std::vector<Index>>();
        a.activation =
            nn::parse_activation(io::require_key(model, j, "activation").get<std::string>());
        a.check();
    } catch (const io::Json::exception& e) {
        throw DataError(std::string("model's SympFlow architecture is malformed: ") + e.what(),
                        model.source);
    } catch (const UsageError& e) {
        throw DataError(std::string("model's SympFlow architecture is not valid: ") + e.what(),
                        model.source);
    }
    return a;
}

} // namespace flowkit::models
