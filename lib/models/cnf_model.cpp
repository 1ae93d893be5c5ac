#include "models/cnf_model.hpp"

#include "core/error.hpp"

#include <cmath>
#include <type_traits>

namespace flowkit::models {

NodeArchitecture CnfArchitecture::velocity() const
{
    NodeArchitecture a;
    a.state_names = state_names;
    a.hidden = hidden;
    a.activation = activation;
    a.time_dependent = true;
    return a;
}

void CnfArchitecture::check() const
{
    if (state_names.empty())
        throw UsageError("no data columns: give --vars");
    network(); // checks the widths
}

io::Json CnfArchitecture::json() const
{
    io::Json j;
    j["hidden"] = hidden;
    j["activation"] = nn::activation_name(activation);
    j["inputs"] = "x,t";
    return j;
}

CnfArchitecture CnfArchitecture::from_json(const io::Model& model)
{
    const io::Json& j = io::require_key(model, model.json, "architecture");
    CnfArchitecture a;
    a.state_names = io::read_strings(model, model.json, "state_names");
    try {
        a.hidden = io::require_key(model, j, "hidden").get<std::vector<Index>>();
        a.activation =
            nn::parse_activation(io::require_key(model, j, "activation").get<std::string>());
        if (io::require_key(model, j, "inputs").get<std::string>() != "x,t")
            throw DataError("model's CNF architecture has inputs other than x,t", model.source);
        a.check();
    } catch (const io::Json::exception& e) {
        throw DataError(std::string("model's CNF architecture is malformed: ") + e.what(),
                        model.source);
    } catch (const UsageError& e) {
        throw DataError(std::string("model's CNF architecture is not valid: ") + e.what(),
                        model.source);
    }
    return a;
}

TraceEstimator parse_trace_estimator(const std::string& name)
{
    if (name == "exact")
        return TraceEstimator::exact;
    if (name == "hutchinson")
        return TraceEstimator::hutchinson;
    throw UsageError("--trace must be exact or hutchinson (got '" + name + "')");
}

ProbeDistribution parse_probe_distribution(const std::string& name)
{
    if (name == "rademacher")
        return ProbeDistribution::rademacher;
    if (name == "gaussian")
        return ProbeDistribution::gaussian;
    throw UsageError("--probe must be rademacher or gaussian (got '" + name + "')");
}

void draw_probes(ProbeDistribution kind, Index n, Index d, Rng& rng, Mat& probes)
{
    probes.resize(n, d);
    for (Index i = 0; i < n; ++i) // row by row, so that a row's probe does not depend on n
        for (Index j = 0; j < d; ++j)
            probes(i, j) = kind == ProbeDistribution::gaussian ? rng.normal()
                           : (rng.next_u64() >> 63) ? 1.0
                                                    : -1.0;
}

Vec standard_normal_log_density(const Mat& z)
{
    const double log_2pi = std::log(2.0 * M_PI);
    return -0.5 * (z.rowwise().squaredNorm().array() + double(z.cols()) * log_2pi);
}

namespace {

/// One precision's matrices of a CnfDensityField evaluation.
template <class Scalar>
struct DensityScratch
{
    using Div = nn::BasicMlpDivergence<Scalar>;
    typename Div::Workspace ws;
    typename Div::MatS U, probes, out, ubar;
    typename Div::VecS div, divbar, w; // w: the rows' weights, in float
};

/// The network's input [x, t] and probes from the state x, then N and div; f = [F, div, 0] when
/// f is not null.
template <class Scalar>
void density_forward(const nn::BasicMlpDivergence<Scalar>& divergence, bool probed,
                     const Vec& t, const Mat& x, DensityScratch<Scalar>& s, Mat* f)
{
    const Index n = x.rows(), d = divergence.dim();
    s.U.resize(n, d + 1);
    s.U.leftCols(d) = x.leftCols(d).template cast<Scalar>();
    s.U.col(d) = t.template cast<Scalar>();
    if (probed)
        s.probes = x.rightCols(d).template cast<Scalar>();
    divergence.forward(s.U, probed ? &s.probes : nullptr, s.ws, s.out, s.div);
    if (f) {
        f->setZero(n, x.cols());
        f->leftCols(d) = s.out.template cast<double>();
        f->col(d) = s.div.template cast<double>();
    }
}

/// CnfDensityField::vjp_params in one precision.
template <class Scalar>
void density_vjp(const nn::BasicMlpDivergence<Scalar>& divergence, bool probed, const Vec& t,
                 const Mat& x, const Mat& a, const Vec* w, Mat* f, Mat& xbar,
                 Eigen::Ref<Vec> grad, DensityScratch<Scalar>& s)
{
    const Index d = divergence.dim();
    density_forward(divergence, probed, t, x, s, f);
    s.out = a.leftCols(d).template cast<Scalar>();
    s.divbar = a.col(d).template cast<Scalar>();
    const typename DensityScratch<Scalar>::Div::VecS* row_weights = nullptr;
    if constexpr (std::is_same_v<Scalar, double>) {
        row_weights = w;
    } else if (w) {
        s.w = w->template cast<Scalar>();
        row_weights = &s.w;
    }
    divergence.backward(s.out, s.divbar, row_weights, s.ws, &s.ubar, grad);
    xbar.setZero(x.rows(), x.cols());
    xbar.leftCols(d) = s.ubar.leftCols(d).template cast<double>();
}

} // namespace

struct CnfDensityField::Scratch
{
    DensityScratch<double> in_double;
    DensityScratch<float> in_single;
    Mat v, dout;
    Vec ddiv;
};

CnfDensityField::Scratch& CnfDensityField::scratch()
{
    thread_local Scratch s; // one field is shared by the threads of a batch
    return s;
}

CnfDensityField::CnfDensityField(const CnfArchitecture& arch, const Vec& theta,
                                 TraceEstimator trace)
    : m_trace(trace), m_kernel(arch.network(), theta), m_divergence(m_kernel)
{
    m_names = arch.state_names;
    m_names.push_back("dlogp");
    if (trace == TraceEstimator::hutchinson)
        for (Index k = 1; k <= arch.dim(); ++k)
            m_names.push_back("probe" + std::to_string(k));
}

void CnfDensityField::set_params(const Vec& theta)
{
    m_kernel.set_params(theta);
    if (m_single)
        m_single->read_weights();
}

void CnfDensityField::use_single_precision()
{
    m_single.emplace(m_kernel);
}

nlohmann::ordered_json CnfDensityField::describe() const
{
    nlohmann::ordered_json j;
    j["vars"] = m_names;
    j["params"] = nlohmann::ordered_json::object();
    return j;
}

void CnfDensityField::rhs(const Vec& t, const Mat& x, Mat& f) const
{
    const bool probed = m_trace == TraceEstimator::hutchinson;
    if (m_single)
        density_forward(*m_single, probed, t, x, scratch().in_single, &f);
    else
        density_forward(m_divergence, probed, t, x, scratch().in_double, &f);
}

void CnfDensityField::jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const
{
    Scratch& s = scratch();
    const Index d = data_dim();
    density_forward(m_divergence, m_trace == TraceEstimator::hutchinson, t, x, s.in_double,
                    nullptr);
    s.v.setZero(x.rows(), d + 1);
    s.v.leftCols(d) = v.leftCols(d);
    m_divergence.tangent(s.v, s.in_double.ws, s.dout, s.ddiv);
    out.setZero(x.rows(), x.cols());
    out.leftCols(d) = s.dout;
    out.col(d) = s.ddiv;
}

void CnfDensityField::vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const
{
    Vec none;
    vjp_params(t, x, a, nullptr, nullptr, out, none);
}

void CnfDensityField::vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f,
                                 Mat& xbar, Eigen::Ref<Vec> grad) const
{
    const bool probed = m_trace == TraceEstimator::hutchinson;
    if (m_single)
        density_vjp(*m_single, probed, t, x, a, w, f, xbar, grad, scratch().in_single);
    else
        density_vjp(m_divergence, probed, t, x, a, w, f, xbar, grad, scratch().in_double);
}

} // namespace flowkit::models
