#include "core/rng.hpp"

#include <cmath>

namespace flowkit {

namespace {

std::uint64_t splitmix64(std::uint64_t& x)
{
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

Rng::Rng(std::uint64_t seed)
{
    for (auto& word : m_s)
        word = splitmix64(seed);
}

double Rng::normal()
{
    if (m_has_spare) {
        m_has_spare = false;
        return m_spare;
    }
    double u, v, s;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    m_spare = v * factor;
    m_has_spare = true;
    return u * factor;
}

void Rng::set_state(const State& st)
{
    m_s = st.s;
    m_has_spare = st.has_spare;
    m_spare = st.spare;
}

} // namespace flowkit
