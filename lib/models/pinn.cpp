#include "models/pinn.hpp"

#include "core/error.hpp"

#include <cmath>

namespace flowkit::models {

IcMode parse_ic_mode(const std::string& name)
{
    for (IcMode m : {IcMode::hard, IcMode::hard_tfc, IcMode::soft})
        if (name == to_string(m))
            return m;
    throw UsageError("--ic-mode must be hard, hard-tfc or soft (got '" + name + "')");
}

std::string to_string(IcMode mode)
{
    switch (mode) {
    case IcMode::hard:
        return "hard";
    case IcMode::hard_tfc:
        return "hard-tfc";
    case IcMode::soft:
        return "soft";
    }
    return "hard";
}

std::string to_string(PinnMode mode) { return mode == PinnMode::ivp ? "ivp" : "flow-map"; }

void PinnArchitecture::check() const
{
    if (state_names.empty())
        throw UsageError("a PINN needs a system with at least one state variable");
    require_option(span > 0 && std::isfinite(span), mode == PinnMode::ivp ? "--t-end" : "--dt",
                   "> 0", span);
    if (mode == PinnMode::ivp && ic.size() != dim())
        throw UsageError("--ic has " + std::to_string(ic.size()) + " values; the system has " +
                         std::to_string(dim()) + " state variables");
    if (mode == PinnMode::flow_map && Index(domain.size()) != dim())
        throw UsageError("--domain must give a range for each state variable (" +
                         std::to_string(dim()) + ")");
    for (Index w : hidden)
        require_option(w >= 1, "--hidden", "whole numbers >= 1", double(w));
}

std::vector<std::string> PinnArchitecture::param_names() const
{
    std::vector<std::string> names;
    for (const io::Range& r : param_domain)
        names.push_back(r.name);
    return names;
}

namespace {

std::vector<Index> widths(const PinnArchitecture& a)
{
    std::vector<Index> w = {a.input_dim()};
    w.insert(w.end(), a.hidden.begin(), a.hidden.end());
    w.push_back(a.dim());
    return w;
}

} // namespace

Pinn::Pinn(PinnArchitecture arch)
    : m_arch((arch.check(), std::move(arch))), m_net(widths(m_arch), m_arch.activation)
{
}

Mat Pinn::scaled(const Mat& v, const std::vector<io::Range>& box)
{
    Mat out(v.rows(), v.cols());
    for (Index j = 0; j < v.cols(); ++j) {
        const io::Range& r = box[std::size_t(j)];
        out.col(j) = ((v.col(j).array() - 0.5 * (r.lo + r.hi)) * (2.0 / (r.hi - r.lo))).matrix();
    }
    return out;
}

Pinn::Nodes Pinn::build(ad::Tape& tape, const std::vector<Id>& params, const Vec& t,
                        const Mat& x0, const Mat& k) const
{
    const Index n = t.size(), d = m_arch.dim(), p = m_arch.num_inputs_params();
    const bool ivp = m_arch.mode == PinnMode::ivp;
    // Ñ(0) is one row for all when it depends on nothing but t
    const bool one_row_at_zero = ivp && p == 0;
    const double t_scale = 2.0 / m_arch.span; // t -> 2 t / span - 1 in [-1, 1]
    // the inputs besides t: scaled x0 and k
    Id rest = -1;
    auto append = [&](Id a, Id b) { return a < 0 ? b : b < 0 ? a : tape.concat_cols(a, b); };
    if (!ivp)
        rest = append(rest, tape.input(scaled(x0, m_arch.domain)));
    if (p > 0)
        rest = append(rest, tape.input(scaled(k, m_arch.param_domain)));
    const Id Z = append(tape.input((t_scale * t.array() - 1.0).matrix()), rest);
    // d/dt is the tangent along the input direction (dt-hat/dt, 0, ..., 0)
    Id V = tape.input(Vec::Constant(n, t_scale));
    if (m_arch.input_dim() > 1)
        V = tape.concat_cols(V, tape.input(Mat::Zero(n, m_arch.input_dim() - 1)));
    const nn::Mlp::Trace tr = m_net.trace(tape, params, Z);
    const Id Nt = tr.out, dNt = m_net.tangent(tape, params, tr, V);
    auto initial_states = [&] {
        return ivp ? tape.input(m_arch.ic.transpose().replicate(n, 1)) : tape.input(x0);
    };
    auto at_time_zero = [&] { // Ñ(0, x0; k)
        if (one_row_at_zero)
            return m_net.forward(tape, params, tape.input(Mat::Constant(1, 1, -1.0)));
        return m_net.forward(tape, params, append(tape.input(Vec::Constant(n, -1.0)), rest));
    };

    Nodes out;
    switch (m_arch.ic_mode) {
    case IcMode::hard: {
        // N = x0 + tau Ñ with tau = t / span (the factor 1/span keeps Ñ of order one; the
        // output layer could absorb it), dN/dt = Ñ / span + tau dÑ/dt
        const Id tau = tape.input((t / m_arch.span).replicate(1, d));
        out.N = tape.add(initial_states(), tape.mul(tau, Nt));
        out.dNdt = tape.add(tape.scale(Nt, 1.0 / m_arch.span), tape.mul(tau, dNt));
        break;
    }
    case IcMode::hard_tfc: {
        // N = x0 + Ñ(t) - Ñ(0), dN/dt = dÑ/dt
        const Id N0 = at_time_zero();
        out.N = one_row_at_zero ? tape.add_row(Nt, tape.sub(tape.input(m_arch.ic.transpose()), N0))
                                : tape.add(tape.sub(Nt, N0), initial_states());
        out.dNdt = dNt;
        break;
    }
    case IcMode::soft:
        out.N = Nt;
        out.dNdt = dNt;
        out.N0 = at_time_zero();
        break;
    }
    return out;
}

void Pinn::evaluate(const Vec& theta, const Vec& t, const Mat& x0, Mat& out, const Mat& k) const
{
    const Index n = t.size(), d = m_arch.dim(), p = m_arch.num_inputs_params();
    const bool ivp = m_arch.mode == PinnMode::ivp;
    Mat Z(n, m_arch.input_dim());
    Z.col(0) = (2.0 / m_arch.span) * t.array() - 1.0;
    if (!ivp)
        Z.middleCols(1, d) = scaled(x0, m_arch.domain);
    if (p > 0)
        Z.rightCols(p) = scaled(k, m_arch.param_domain);
    m_net.evaluate(theta, Z, out);
    switch (m_arch.ic_mode) {
    case IcMode::hard:
        out = (out.array().colwise() * (t / m_arch.span).array()).matrix();
        break;
    case IcMode::hard_tfc: {
        Mat N0;
        Z.col(0).setConstant(-1.0);
        m_net.evaluate(theta, Z, N0);
        out -= N0;
        break;
    }
    case IcMode::soft:
        return;
    }
    if (ivp)
        out.rowwise() += m_arch.ic.transpose();
    else
        out += x0;
}

io::Json Pinn::architecture_json() const
{
    const PinnArchitecture& a = m_arch;
    io::Json j;
    j["mode"] = to_string(a.mode);
    if (a.mode == PinnMode::ivp) {
        j["t_end"] = a.span;
        j["ic"] = std::vector<double>(a.ic.data(), a.ic.data() + a.ic.size());
    } else {
        j["dt"] = a.span;
        j["domain"] = io::Json::object();
        for (const io::Range& r : a.domain)
            j["domain"][r.name] = {r.lo, r.hi};
    }
    if (!a.param_domain.empty()) {
        j["param_domain"] = io::Json::object();
        for (const io::Range& r : a.param_domain)
            j["param_domain"][r.name] = {r.lo, r.hi};
    }
    j["ic_mode"] = to_string(a.ic_mode);
    j["hidden"] = a.hidden;
    j["activation"] = nn::activation_name(a.activation);
    return j;
}

PinnArchitecture Pinn::architecture_from_json(const io::Model& model)
{
    const io::Json& j = io::require_key(model, model.json, "architecture");
    PinnArchitecture a;
    a.state_names = io::read_strings(model, model.json, "state_names");
    try {
        const std::string mode = io::require_key(model, j, "mode").get<std::string>();
        if (mode != "ivp" && mode != "flow-map")
            throw DataError("model's PINN mode '" + mode + "' is unknown", model.source);
        a.mode = mode == "ivp" ? PinnMode::ivp : PinnMode::flow_map;
        if (a.mode == PinnMode::ivp) {
            a.span = io::require_key(model, j, "t_end").get<double>();
            a.ic = io::read_numbers(model, j, "ic", a.dim());
        } else {
            a.span = io::require_key(model, j, "dt").get<double>();
            const io::Json& domain = io::require_key(model, j, "domain");
            for (const std::string& name : a.state_names) {
                const io::Json& r = io::require_key(model, domain, name);
                a.domain.push_back({name, r.at(0).get<double>(), r.at(1).get<double>()});
            }
        }
        if (j.contains("param_domain"))
            for (const auto& [name, r] : j["param_domain"].items())
                a.param_domain.push_back({name, r.at(0).get<double>(), r.at(1).get<double>()});
        a.ic_mode = parse_ic_mode(io::require_key(model, j, "ic_mode").get<std::string>());
        a.hidden = io::require_key(model, j, "hidden").get<std::vector<Index>>();
        a.activation =
            nn::parse_activation(io::require_key(model, j, "activation").get<std::string>());
        a.check();
    } catch (const io::Json::exception& e) {
        throw DataError(std::string("model's PINN architecture is malformed: ") + e.what(),
                        model.source);
    } catch (const UsageError& e) {
        throw DataError(std::string("model's PINN architecture is not valid: ") + e.what(),
                        model.source);
    }
    return a;
}

} // namespace flowkit::models
