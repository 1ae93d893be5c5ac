// The one seeded random generator (xoshiro256**, seeded by splitmix64). Its own uniform and
// normal draws, so a fixed --seed gives the same numbers with any compiler or standard library.
#pragma once

#include <array>
#include <cstdint>

namespace flowkit {

class Rng
{
public:
    explicit Rng(std::uint64_t seed = 0);

    // Inline: training draws thousands of numbers an epoch on one thread while the others wait.
    std::uint64_t next_u64()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    /// Uniform on [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Standard normal (Marsaglia's polar method; the spare value is kept in the state).
    double normal();

    /// Everything needed to continue the stream exactly (for model files and resume).
    struct State
    {
        std::array<std::uint64_t, 4> s;
        bool has_spare;
        double spare;
    };
    State state() const { return {m_s, m_has_spare, m_spare}; }
    void set_state(const State& st);

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> m_s;
    bool m_has_spare = false;
    double m_spare = 0.0;
};

} // namespace flowkit
