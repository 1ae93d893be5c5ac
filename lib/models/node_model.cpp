#include "models/node_model.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace flowkit::models {

namespace {

/// Offsets of A, a, B, b in theta.
struct EdgeLayout
{
    Index A, a, B, b, h, d;
    explicit EdgeLayout(const NodeArchitecture& arch)
    {
        d = arch.data_dim();
        h = arch.ode_dim();
        A = arch.network().num_params();
        a = A + h * d;
        B = a + h;
        b = B + d * h;
    }
};

} // namespace

Index NodeArchitecture::ode_dim() const
{
    return second_order ? 2 * data_dim() : data_dim() + augment;
}

std::vector<std::string> NodeArchitecture::ode_names() const
{
    std::vector<std::string> names = state_names;
    if (second_order)
        names.insert(names.end(), velocity_names.begin(), velocity_names.end());
    for (Index k = 1; k <= augment; ++k)
        names.push_back("aug" + std::to_string(k));
    return names;
}

nn::Mlp NodeArchitecture::network() const
{
    std::vector<Index> widths{ode_dim() + (time_dependent ? 1 : 0)};
    widths.insert(widths.end(), hidden.begin(), hidden.end());
    widths.push_back(second_order ? data_dim() : ode_dim());
    return nn::Mlp(widths, activation);
}

Index NodeArchitecture::num_params() const
{
    const Index h = ode_dim(), d = data_dim();
    return network().num_params() + (augment > 0 ? 2 * h * d + h + d : 0);
}

void NodeArchitecture::check() const
{
    if (state_names.empty())
        throw UsageError("no state columns: give --vars");
    require_option(augment >= 0, "--augment", ">= 0", double(augment));
    if (second_order && augment > 0)
        throw UsageError("--second-order and --augment cannot be combined");
    if (second_order && velocity_names.size() != state_names.size())
        throw UsageError("--velocity-vars must name one velocity per state column (" +
                         std::to_string(state_names.size()) + ")");
    network(); // checks the widths
}

io::Json NodeArchitecture::json() const
{
    io::Json j;
    j["hidden"] = hidden;
    j["activation"] = nn::activation_name(activation);
    j["time_dependent"] = time_dependent;
    j["augment"] = augment;
    j["second_order"] = second_order;
    if (second_order)
        j["velocity_names"] = velocity_names;
    return j;
}

NodeArchitecture NodeArchitecture::from_json(const io::Model& model)
{
    const io::Json& j = io::require_key(model, model.json, "architecture");
    NodeArchitecture a;
    a.state_names = io::read_strings(model, model.json, "state_names");
    try {
        a.hidden = io::require_key(model, j, "hidden").get<std::vector<Index>>();
        a.activation =
            nn::parse_activation(io::require_key(model, j, "activation").get<std::string>());
        a.time_dependent = io::require_key(model, j, "time_dependent").get<bool>();
        a.augment = io::require_key(model, j, "augment").get<Index>();
        a.second_order = io::require_key(model, j, "second_order").get<bool>();
        if (a.second_order)
            a.velocity_names = io::read_strings(model, j, "velocity_names");
        a.check();
    } catch (const io::Json::exception& e) {
        throw DataError(std::string("model's Neural ODE architecture is malformed: ") + e.what(),
                        model.source);
    } catch (const UsageError& e) {
        throw DataError(std::string("model's Neural ODE architecture is not valid: ") + e.what(),
                        model.source);
    }
    return a;
}

Vec initial_node_params(const NodeArchitecture& arch, const Vec& network_params)
{
    Vec theta = Vec::Zero(arch.num_params());
    theta.head(network_params.size()) = network_params;
    if (arch.augment > 0) {
        const EdgeLayout e(arch);
        Eigen::Map<RowMajorMat>(theta.data() + e.A, e.h, e.d).setIdentity();
        Eigen::Map<RowMajorMat>(theta.data() + e.B, e.d, e.h).setIdentity();
    }
    return theta;
}

struct NeuralField::Scratch
{
    nn::MlpKernel::Workspace ws;
    nn::SinglePrecisionMlp::Workspace single;
    Mat in, out, v, g;
    MatF in_f, out_f, abar_f, xbar_f;
    VecF w_f;
};

NeuralField::Scratch& NeuralField::scratch()
{
    // Per thread: one NeuralField is shared by the threads of an ensemble or a batch.
    thread_local Scratch s;
    return s;
}

NeuralField::NeuralField(NodeArchitecture arch, const Vec& theta)
    : m_arch(std::move(arch)), m_kernel(m_arch.network(), theta.head(m_arch.network().num_params()))
{
    m_names = m_arch.ode_names();
    if (nn::ShallowTanhKernel::fits(m_kernel.net()))
        m_shallow.emplace(m_kernel);
}

void NeuralField::set_params(const Vec& theta)
{
    m_kernel.set_params(theta.head(m_kernel.net().num_params()));
    if (m_single)
        m_single->set_params(theta.head(m_kernel.net().num_params()));
    if (m_shallow)
        m_shallow.emplace(m_kernel);
    if (m_shallow_single)
        m_shallow_single.emplace(*m_single);
}

void NeuralField::use_single_precision()
{
    m_single.emplace(m_kernel);
    if (m_shallow)
        m_shallow_single.emplace(*m_single);
}

nlohmann::ordered_json NeuralField::describe() const
{
    nlohmann::ordered_json j;
    j["vars"] = m_names;
    j["params"] = nlohmann::ordered_json::object();
    return j;
}

template <class Matrix>
void NeuralField::input(const Vec& t, const Mat& x, Matrix& in) const
{
    using Scalar = typename Matrix::Scalar;
    const Index n = x.rows(), m = m_arch.ode_dim();
    in.resize(n, m + (m_arch.time_dependent ? 1 : 0));
    in.leftCols(m) = x.cast<Scalar>();
    if (m_arch.time_dependent)
        in.col(m) = t.cast<Scalar>();
}

void NeuralField::forward(const Vec& t, const Mat& x, Scratch& s, Pass pass, bool single) const
{
    const bool derivatives = pass != Pass::value, value = pass != Pass::reverse;
    if (!single) {
        // The reverse pass reads the input again: x itself unless there is a time column.
        if (m_arch.time_dependent)
            input(t, x, s.in);
        const Mat& in = m_arch.time_dependent ? s.in : x;
        if (pass == Pass::value && m_shallow)
            m_shallow->forward(in, s.out);
        else if (value)
            m_kernel.forward(in, s.ws, s.out, derivatives);
        else
            m_kernel.forward_hidden(in, s.ws);
        return;
    }
    input(t, x, s.in_f);
    if (pass == Pass::value && m_shallow_single) {
        m_shallow_single->forward(s.in_f, s.out_f);
        s.out = s.out_f.cast<double>();
        return;
    }
    if (!value) {
        m_single->forward_hidden(s.in_f, s.single);
        return;
    }
    m_single->forward(s.in_f, s.single, s.out_f, derivatives);
    s.out = s.out_f.cast<double>();
}

void NeuralField::field_value(const Mat& x, Scratch& s, Mat& f) const
{
    if (!m_arch.second_order) {
        f.swap(s.out); // s.out is scratch: a swap instead of a copy
        return;
    }
    const Index d = m_arch.data_dim();
    f.resize(x.rows(), 2 * d);
    f.leftCols(d) = x.rightCols(d);
    f.rightCols(d) = s.out;
}

// Second order, F = (v, N(x, v)): (dF/d(x, v))^T (a_x, a_v) = N_(x,v)^T a_v + (0, a_x).
const Mat& NeuralField::network_cotangent(const Mat& a, Scratch& s) const
{
    if (!m_arch.second_order)
        return a;
    s.v = a.rightCols(m_arch.data_dim());
    return s.v;
}

const VecF* NeuralField::float_cotangent(const Mat& a, const Vec* w, Scratch& s) const
{
    s.abar_f = network_cotangent(a, s).cast<float>();
    if (!w)
        return nullptr;
    s.w_f = w->cast<float>();
    return &s.w_f;
}

void NeuralField::input_adjoint(const Mat& a, Scratch& s, Mat& xbar) const
{
    const Index m = m_arch.ode_dim(), d = m_arch.data_dim();
    if (s.g.cols() == m)
        xbar.swap(s.g); // as in field_value
    else
        xbar = s.g.leftCols(m);
    if (m_arch.second_order)
        xbar.rightCols(d) += a.leftCols(d);
}

void NeuralField::backward(const Mat& a, const Vec* w, Scratch& s, Mat& xbar,
                           Eigen::Ref<Vec> grad) const
{
    m_kernel.backward(network_cotangent(a, s), w, s.ws, &s.g, grad);
    input_adjoint(a, s, xbar);
}

void NeuralField::shallow_vjp(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f,
                              Mat& xbar, Eigen::Ref<Vec> grad) const
{
    Scratch& s = scratch();
    if (!m_shallow_single) {
        if (m_arch.time_dependent)
            input(t, x, s.in);
        m_shallow->vjp(m_arch.time_dependent ? s.in : x, network_cotangent(a, s), w,
                       f ? &s.out : nullptr, s.g, grad);
    } else {
        input(t, x, s.in_f);
        const VecF* w_f = float_cotangent(a, w, s);
        m_shallow_single->vjp(s.in_f, s.abar_f, w_f, f ? &s.out_f : nullptr, s.xbar_f, grad);
        s.g = s.xbar_f.cast<double>();
        if (f)
            s.out = s.out_f.cast<double>();
    }
    if (f)
        field_value(x, s, *f);
    input_adjoint(a, s, xbar);
}

void NeuralField::rhs(const Vec& t, const Mat& x, Mat& f) const
{
    Scratch& s = scratch();
    forward(t, x, s, Pass::value, m_single.has_value());
    field_value(x, s, f);
}

void NeuralField::jvp(const Vec& t, const Mat& x, const Mat& v, Mat& out) const
{
    Scratch& s = scratch();
    forward(t, x, s, Pass::reverse, false);
    const Index n = x.rows(), m = m_arch.ode_dim();
    s.v.setZero(n, m_kernel.net().input_dim());
    s.v.leftCols(m) = v;
    m_kernel.tangent(s.v, s.ws, s.g);
    if (!m_arch.second_order) {
        out = s.g;
        return;
    }
    const Index d = m_arch.data_dim();
    out.resize(n, 2 * d);
    out.leftCols(d) = v.rightCols(d);
    out.rightCols(d) = s.g;
}

void NeuralField::vjp(const Vec& t, const Mat& x, const Mat& a, Mat& out) const
{
    Vec none; // no parameter gradient
    vjp_params(t, x, a, nullptr, nullptr, out, none);
}

void NeuralField::vjp_params(const Vec& t, const Mat& x, const Mat& a, const Vec* w, Mat* f,
                             Mat& xbar, Eigen::Ref<Vec> grad) const
{
    if (m_shallow) {
        shallow_vjp(t, x, a, w, f, xbar, grad);
        return;
    }
    Scratch& s = scratch();
    const Pass pass = f ? Pass::both : Pass::reverse;
    if (!m_single) {
        forward(t, x, s, pass, false);
        if (f)
            field_value(x, s, *f);
        backward(a, w, s, xbar, grad);
        return;
    }
    // In float: the network's input, its output, the cotangent and the row weights; the
    // parameter gradient is summed in float over the rows and added in double.
    forward(t, x, s, pass, true);
    if (f)
        field_value(x, s, *f);
    m_single->backward(s.abar_f, float_cotangent(a, w, s), s.single, &s.xbar_f, grad);
    s.g = s.xbar_f.cast<double>();
    input_adjoint(a, s, xbar);
}

void node_lift(const NodeArchitecture& arch, const Vec& theta, const Mat& x0, const Mat& v0,
               Mat& y0)
{
    if (arch.second_order) {
        y0.resize(x0.rows(), 2 * arch.data_dim());
        y0 << x0, v0;
        return;
    }
    if (arch.augment == 0) {
        y0 = x0;
        return;
    }
    const EdgeLayout e(arch);
    const Eigen::Map<const RowMajorMat> A(theta.data() + e.A, e.h, e.d);
    y0.noalias() = x0 * A.transpose();
    y0.rowwise() += theta.segment(e.a, e.h).transpose();
}

void node_lift_backward(const NodeArchitecture& arch, const Mat& x0, const Mat& ybar,
                        Eigen::Ref<Vec> grad)
{
    if (arch.augment == 0)
        return;
    const EdgeLayout e(arch);
    Eigen::Map<RowMajorMat>(grad.data() + e.A, e.h, e.d).noalias() += ybar.transpose() * x0;
    grad.segment(e.a, e.h) += ybar.colwise().sum().transpose();
}

void node_readout(const NodeArchitecture& arch, const Vec& theta, const Mat& y, Mat& p)
{
    if (arch.augment == 0) {
        p = y.leftCols(arch.data_dim());
        return;
    }
    const EdgeLayout e(arch);
    const Eigen::Map<const RowMajorMat> B(theta.data() + e.B, e.d, e.h);
    p.noalias() = y * B.transpose();
    p.rowwise() += theta.segment(e.b, e.d).transpose();
}

void node_readout_backward(const NodeArchitecture& arch, const Vec& theta, const Mat& y,
                           const Mat& pbar, Mat& ybar, Eigen::Ref<Vec> grad)
{
    const Index d = arch.data_dim();
    if (arch.augment == 0) {
        ybar.setZero(y.rows(), y.cols());
        ybar.leftCols(d) = pbar;
        return;
    }
    const EdgeLayout e(arch);
    const Eigen::Map<const RowMajorMat> B(theta.data() + e.B, e.d, e.h);
    ybar.noalias() = pbar * B;
    Eigen::Map<RowMajorMat>(grad.data() + e.B, e.d, e.h).noalias() += pbar.transpose() * y;
    grad.segment(e.b, e.d) += pbar.colwise().sum().transpose();
}

} // namespace flowkit::models
