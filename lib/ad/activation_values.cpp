// tanh by its own exp: Eigen's vectorised exp for doubles is a Pade form with a division of its
// own, so tanh through it costs two divisions per entry; here tanh is one quotient of
// polynomials. Measured on 2560 entries (a 256 x 10 layer): 0.60 ns per entry against 1.3 ns
// through Eigen's exp (the file is compiled for 512-bit vectors where the CPU has them, see
// CMakeLists.txt).
#include "ad/activation_values.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace flowkit::ad {

void tanh_values(const Mat& x, Mat& t)
{
    t.resize(x.rows(), x.cols());
    tanh_values(x.size(), x.data(), t.data());
}

namespace {

// tanh |x| = (1 - e^y) / (1 + e^y) with y = -2|x| <= 0: no overflow; y below -cap, where
// tanh = 1 to the precision, gives 1; a NaN fails every comparison and propagates. e^y = s e^r
// with s = 2^k, k = round(y / ln 2), r = y - k ln 2 in [-ln2/2, ln2/2], and e^r = 1 + 2r / (R - r),
// R = r coth(r/2) = 2 + z P(z), z = r^2 (R is even: a polynomial in z has half the degree of
// one in r for e^r; lib/ad/tanh_coefficients.py computes P). Then
//   tanh |x| = ((1 - s) R - (1 + s) r) / ((R - r) + s (R + r)),
// one division, and no cancellation as x -> 0 (s = 1: -2r / 2R, exact terms). The loop is bound
// by its multiply-adds (two pipes; additions have two more): 11 a vector against 15 for the
// Taylor-like e^r - 1 = r P(r) of degree 10 this replaced (0.76 -> 0.60 ns an entry in double,
// 0.25 -> 0.23 in float; within 2.9 and 2.5 ulps against long double's tanh, as before; 3.1
// in float built without FMA).
template <class Scalar>
struct TanhConstants;

// r in one step: the rounding of k ln 2 (|k| <= 58) moves e^y by about |k| 2^-53 relative, and
// tanh by about 2 e^y |k| 2^-53 with e^y < 2^(k + 1/2), k <= 0: below an ulp for every k.
// P: R to 3.5e-18.
template <>
struct TanhConstants<double>
{
    using Bits = std::uint64_t;
    static constexpr double cap = 40.0, log2e = 1.4426950408889634, ln2 = 0.69314718055994531;
    static constexpr double shifter = 0x1.8p52; // adding it rounds to an integer, kept in the low bits
    static constexpr int exponent_bias = 1023, mantissa_bits = 52, degree = 4;
    static constexpr double P[degree + 1] = {0.1666666666666666, -0.002777777777756472,
                                             6.613756471765356e-05, -1.6534060240198815e-06,
                                             4.1437755944338909e-08};
};

// P: R to 6.8e-9.
template <>
struct TanhConstants<float>
{
    using Bits = std::uint32_t;
    static constexpr float cap = 20.0f, log2e = 1.44269504f, ln2 = 0.693147182f; // tanh 10 = 1
    static constexpr float shifter = 0x1.8p23f;
    static constexpr int exponent_bias = 127, mantissa_bits = 23, degree = 1;
    static constexpr float P[degree + 1] = {0.1666665524f, -0.002769856015f};
};

// One entry: the definition. The loops below run it on what tanh_two_chunks leaves over.
template <class Scalar>
Scalar tanh_entry(Scalar x)
{
    using C = TanhConstants<Scalar>;
    const Scalar minus_y = std::fabs(x) + std::fabs(x);
    if (minus_y > C::cap)
        return std::copysign(Scalar(1), x);
    const Scalar kd = minus_y * -C::log2e + C::shifter;
    const Scalar k = kd - C::shifter;
    const Scalar r = -(k * C::ln2) - minus_y;
    const Scalar z = r * r;
    Scalar p = C::P[C::degree];
    for (int j = C::degree - 1; j >= 0; --j)
        p = p * z + C::P[j];
    const Scalar R = p * z + Scalar(2);
    typename C::Bits bits; // unsigned: the shift below drops kd's high bits on purpose
    std::memcpy(&bits, &kd, sizeof bits);
    bits = (bits + C::exponent_bias) << C::mantissa_bits; // 2^k: k sits in the low bits of kd
    Scalar s;
    std::memcpy(&s, &bits, sizeof s);
    const Scalar num = (Scalar(1) - s) * R - (Scalar(1) + s) * r;
    const Scalar den = (R - r) + s * (R + r);
    return std::copysign(num / den, x);
}

// tanh_entry on two 64-byte chunks at a time, in GCC's vector extension, the same arithmetic
// (the same bits): the loop GCC makes of tanh_entry, a vector an iteration, waits on one chain of
// dependent multiply-adds; two independent chains fill the pipes. y's cap becomes a blend at the
// end and y's sign is folded into the constants (exact). Returns how many entries it did; out
// may be in.
template <class Scalar>
Index tanh_two_chunks(Index n, const Scalar* in, Scalar* out)
{
    using C = TanhConstants<Scalar>;
    typedef Scalar Chunk __attribute__((vector_size(64)));
    typedef typename C::Bits Bits __attribute__((vector_size(64)));
    using Mask = decltype(Chunk{} > Chunk{});
    constexpr Index lanes = 64 / sizeof(Scalar), chunks = 2;
    const Bits sign = Bits{} + (typename C::Bits(1) << (8 * sizeof(Scalar) - 1));
    Index i = 0;
    for (; i + chunks * lanes <= n; i += chunks * lanes) {
        Chunk x[chunks], kd[chunks], r[chunks], z[chunks], p[chunks];
        Mask capped[chunks];
        for (Index u = 0; u < chunks; ++u) {
            std::memcpy(&x[u], in + i + u * lanes, sizeof(Chunk));
            const Chunk a = Chunk((Bits)x[u] & ~sign);
            const Chunk minus_y = a + a;
            capped[u] = minus_y > C::cap;
            kd[u] = minus_y * -C::log2e + C::shifter;
            const Chunk k = kd[u] - C::shifter;
            r[u] = -(k * C::ln2) - minus_y;
            z[u] = r[u] * r[u];
            p[u] = Chunk{} + C::P[C::degree];
        }
        for (int j = C::degree - 1; j >= 0; --j)
            for (Index u = 0; u < chunks; ++u)
                p[u] = p[u] * z[u] + C::P[j];
        for (Index u = 0; u < chunks; ++u) {
            const Chunk R = p[u] * z[u] + Scalar(2);
            const Chunk s = Chunk(((Bits)kd[u] + C::exponent_bias) << C::mantissa_bits);
            const Chunk num = (Scalar(1) - s) * R - (Scalar(1) + s) * r[u];
            const Chunk den = (R - r[u]) + s * (R + r[u]);
            const Chunk t = capped[u] ? Chunk{} + Scalar(1) : num / den;
            const Chunk value = Chunk(((Bits)t & ~sign) | ((Bits)x[u] & sign)); // copysign
            std::memcpy(out + i + u * lanes, &value, sizeof(Chunk));
        }
    }
    return i;
}

// The vectorised part, then the entries left over one at a time; out may be in.
template <class Scalar>
void tanh_loop(Index n, const Scalar* in, Scalar* out)
{
    for (Index i = tanh_two_chunks(n, in, out); i < n; ++i)
        out[i] = tanh_entry(in[i]);
}

} // namespace

void tanh_values(Index n, const double* in, double* out)
{
    tanh_loop(n, in, out);
}

void tanh_values(Index n, const float* in, float* out)
{
    tanh_loop(n, in, out);
}

void tanh_in_place(Index n, double* x)
{
    tanh_loop(n, x, x);
}

void tanh_in_place(Index n, float* x)
{
    tanh_loop(n, x, x);
}

void sigmoid_values(const Mat& x, Mat& s)
{
    s = (1.0 / (1.0 + (-x.array()).exp())).matrix();
}

} // namespace flowkit::ad
