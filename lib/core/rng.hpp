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

    std::uint64_t next_u64();
    /// Uniform on [0, 1) with 53 random bits.
    double uniform();
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
    std::array<std::uint64_t, 4> m_s;
    bool m_has_spare = false;
    double m_spare = 0.0;
};

} // namespace flowkit
