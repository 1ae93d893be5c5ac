#include "nn/shallow_tanh_kernel.hpp"

#include "ad/tanh_chunk.hpp"
#include "core/chunk.hpp"

#include <algorithm>
#include <stdexcept>

namespace flowkit::nn {

namespace {

// The loops for In inputs and Out outputs, on column-major blocks of n rows.
template <class Scalar, int In, int Out>
struct Loops
{
    using V = Chunk<Scalar>;
    using Weights = typename BasicShallowTanhKernel<Scalar>::Weights;
    static constexpr Index lanes = chunk_lanes<Scalar>;
    // Units whose tanh run interleaved (independent chains fill the pipes, as in
    // ad::tanh_values); the reverse pass keeps (In + Out + 1) U sums in registers. Measured
    // (256 rows, one thread, ns a unit and row, forward / VJP): 2 -> 32 -> 2 at U = 1, 2, 4:
    // 0.86 / 1.38, 0.85 / 1.39, 0.84 / 1.32; 3 -> 32 -> 2 at U = 1, 2: 0.90 / 1.72, 0.88 / 1.57.
    static constexpr int U = In + Out <= 4 ? 4 : 2;

    const Weights& w;
    Index n;

    // The chunk of rows [r, r + m) of column c.
    static V at(const Scalar* M, Index n, Index c, Index r, Index m)
    {
        return load(M + c * n + r, m);
    }

    // z = b1_j + sum_c W1(j, c) x_c for units j .. j + N - 1, then tanh.
    template <int N>
    void hidden(Index j, const V* x, V* z) const
    {
        for (int u = 0; u < N; ++u) {
            z[u] = splat(w.b1[std::size_t(j + u)]);
            for (int c = 0; c < In; ++c)
                z[u] += w.W1[std::size_t((j + u) * In + c)] * x[c];
        }
        ad::tanh_chunks<Scalar, N>(z);
    }

    // Chunk by chunk of rows, the outputs in registers across the hidden units.
    void forward(const Scalar* X, Scalar* out) const
    {
        const Index h = w.hidden;
        for (Index r = 0; r < n; r += lanes) {
            const Index m = std::min(lanes, n - r);
            V x[In], o[Out];
            for (int c = 0; c < In; ++c)
                x[c] = in_register(at(X, n, c, r, m));
            for (int k = 0; k < Out; ++k)
                o[k] = splat(w.b2[std::size_t(k)]);
            Index j = 0;
            for (; j + U <= h; j += U)
                add_units<U>(j, x, o);
            for (; j < h; ++j)
                add_units<1>(j, x, o);
            for (int k = 0; k < Out; ++k)
                store(out + k * n + r, o[k], m);
        }
    }

    template <int N>
    void add_units(Index j, const V* x, V* o) const
    {
        V a[N];
        hidden<N>(j, x, a);
        for (int u = 0; u < N; ++u)
            for (int k = 0; k < Out; ++k)
                o[k] += w.W2[std::size_t(k * w.hidden + j + u)] * a[u];
    }

    // Unit by unit (U at a time) over all rows: the weight gradients of the units summed lane
    // by lane in registers; xbar (and out) gather the units' parts in memory, where a block's
    // columns stay in the first-level cache.
    void vjp(const Scalar* X, const Scalar* abar, const Scalar* weights, Scalar* out, Scalar* xbar,
             double* grad) const
    {
        const Index h = w.hidden;
        std::fill(xbar, xbar + In * n, Scalar(0));
        if (out)
            for (int k = 0; k < Out; ++k)
                std::fill(out + k * n, out + (k + 1) * n, w.b2[std::size_t(k)]);
        if (grad) { // b2's gradient: the weighted sum of abar
            V sum[Out] = {};
            for (Index r = 0; r < n; r += lanes) {
                const Index m = std::min(lanes, n - r);
                for (int k = 0; k < Out; ++k)
                    sum[k] += weighted(at(abar, n, k, r, m), weights, r, m);
            }
            for (int k = 0; k < Out; ++k)
                grad[w.W2_offset + Out * h + k] += double(sum_lanes<Scalar>(sum[k]));
        }
        Index j = 0;
        for (; j + U <= h; j += U)
            reverse_units<U>(j, X, abar, weights, out, xbar, grad);
        for (; j < h; ++j)
            reverse_units<1>(j, X, abar, weights, out, xbar, grad);
    }

    static V weighted(V v, const Scalar* weights, Index r, Index m)
    {
        return weights ? v * load(weights + r, m) : v;
    }

    // Units j .. j + N - 1: a = tanh(z), dh_u = sum_k W2(k, j + u) abar_k, dz = dh (1 - a^2);
    // xbar += dz W1(j, :), W2(:, j)bar += sum_rows w abar a, W1(j, :)bar += sum_rows w dz x,
    // b1_jbar += sum_rows w dz. Rows past n load as zero: their abar is zero and adds nothing.
    template <int N>
    void reverse_units(Index j, const Scalar* X, const Scalar* abar, const Scalar* weights,
                       Scalar* out, Scalar* xbar, double* grad) const
    {
        const Index h = w.hidden;
        V sW1[N][In] = {}, sb1[N] = {}, sW2[Out][N] = {};
        for (Index r = 0; r < n; r += lanes) {
            const Index m = std::min(lanes, n - r);
            V x[In], a[N], g[Out];
            for (int c = 0; c < In; ++c)
                x[c] = in_register(at(X, n, c, r, m));
            hidden<N>(j, x, a);
            for (int k = 0; k < Out; ++k)
                g[k] = at(abar, n, k, r, m);
            V dz[N];
            for (int u = 0; u < N; ++u) {
                V dh = V{};
                for (int k = 0; k < Out; ++k)
                    dh += w.W2[std::size_t(k * h + j + u)] * g[k];
                dz[u] = dh * (Scalar(1) - a[u] * a[u]);
            }
            for (int c = 0; c < In; ++c) {
                V xb = at(xbar, n, c, r, m);
                for (int u = 0; u < N; ++u)
                    xb += w.W1[std::size_t((j + u) * In + c)] * dz[u];
                store(xbar + c * n + r, xb, m);
            }
            if (out)
                for (int k = 0; k < Out; ++k) {
                    V o = at(out, n, k, r, m);
                    for (int u = 0; u < N; ++u)
                        o += w.W2[std::size_t(k * h + j + u)] * a[u];
                    store(out + k * n + r, o, m);
                }
            if (!grad)
                continue;
            const V wv = weights ? load(weights + r, m) : V{};
            for (int u = 0; u < N; ++u) {
                const V d = weights ? dz[u] * wv : dz[u];
                for (int c = 0; c < In; ++c)
                    sW1[u][c] += d * x[c];
                sb1[u] += d;
                for (int k = 0; k < Out; ++k)
                    sW2[k][u] += (weights ? g[k] * wv : g[k]) * a[u];
            }
        }
        if (!grad)
            return;
        for (int u = 0; u < N; ++u) {
            for (int c = 0; c < In; ++c)
                grad[w.W1_offset + (j + u) * In + c] += double(sum_lanes<Scalar>(sW1[u][c]));
            grad[w.W1_offset + h * In + j + u] += double(sum_lanes<Scalar>(sb1[u]));
            for (int k = 0; k < Out; ++k)
                grad[w.W2_offset + k * h + j + u] += double(sum_lanes<Scalar>(sW2[k][u]));
        }
    }
};

// One instance of the loops per (In, Out) up to max_side, picked at run time.
template <class Scalar, class Call, int In = 1, int Out = 1>
void dispatch(Index in, Index out, Call&& call)
{
    constexpr int max = int(BasicShallowTanhKernel<Scalar>::max_side);
    if (in == In && out == Out)
        call(static_cast<Loops<Scalar, In, Out>*>(nullptr));
    else if constexpr (Out < max)
        dispatch<Scalar, Call, In, Out + 1>(in, out, std::forward<Call>(call));
    else if constexpr (In < max)
        dispatch<Scalar, Call, In + 1, 1>(in, out, std::forward<Call>(call));
}

} // namespace

template <class Scalar>
bool BasicShallowTanhKernel<Scalar>::fits(const Mlp& net)
{
    return net.layers() == 2 && net.activation() == Activation::Tanh &&
           net.input_dim() <= max_side && net.output_dim() <= max_side;
}

template <class Scalar>
BasicShallowTanhKernel<Scalar>::BasicShallowTanhKernel(const BasicMlpKernel<Scalar>& kernel)
{
    const Mlp& net = kernel.net();
    if (!fits(net))
        throw std::invalid_argument("nn::ShallowTanhKernel: the network is not in -> h -> out "
                                    "with tanh and at most 4 inputs and outputs");
    m_w.in = net.input_dim();
    m_w.hidden = net.widths()[1];
    m_w.out = net.output_dim();
    m_w.W1_offset = net.weight_offset(0);
    m_w.W2_offset = net.weight_offset(1);
    const auto row_major = [](const Matrix& M) {
        std::vector<Scalar> v;
        for (Index i = 0; i < M.rows(); ++i)
            for (Index j = 0; j < M.cols(); ++j)
                v.push_back(M(i, j));
        return v;
    };
    m_w.W1 = row_major(kernel.weight(0));
    m_w.W2 = row_major(kernel.weight(1));
    m_w.b1.assign(kernel.bias(0).data(), kernel.bias(0).data() + m_w.hidden);
    m_w.b2.assign(kernel.bias(1).data(), kernel.bias(1).data() + m_w.out);
}

template <class Scalar>
void BasicShallowTanhKernel<Scalar>::forward(const Matrix& X, Matrix& out) const
{
    if (X.cols() != m_w.in)
        throw std::invalid_argument("nn::ShallowTanhKernel: input has the wrong width");
    out.resize(X.rows(), m_w.out);
    dispatch<Scalar>(m_w.in, m_w.out, [&](auto* loops) {
        using L = std::remove_pointer_t<decltype(loops)>;
        L{m_w, X.rows()}.forward(X.data(), out.data());
    });
}

template <class Scalar>
void BasicShallowTanhKernel<Scalar>::vjp(const Matrix& X, const Matrix& abar, const Vector* w,
                                         Matrix* out, Matrix& xbar, Eigen::Ref<Vec> grad) const
{
    const Index n = X.rows();
    if (X.cols() != m_w.in || abar.rows() != n || abar.cols() != m_w.out ||
        (w && w->size() != n))
        throw std::invalid_argument("nn::ShallowTanhKernel: inputs of the wrong shape");
    const bool params = grad.size() > 0;
    if (params && grad.size() != m_w.W2_offset + m_w.out * (m_w.hidden + 1))
        throw std::invalid_argument("nn::ShallowTanhKernel: gradient has the wrong size");
    xbar.resize(n, m_w.in);
    if (out)
        out->resize(n, m_w.out);
    dispatch<Scalar>(m_w.in, m_w.out, [&](auto* loops) {
        using L = std::remove_pointer_t<decltype(loops)>;
        L{m_w, n}.vjp(X.data(), abar.data(), w ? w->data() : nullptr,
                      out ? out->data() : nullptr, xbar.data(), params ? grad.data() : nullptr);
    });
}

template class BasicShallowTanhKernel<double>;
template class BasicShallowTanhKernel<float>;

} // namespace flowkit::nn
