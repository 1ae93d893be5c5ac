#include "ode/ensemble.hpp"

#include "core/error.hpp"
#include "io/table.hpp"
#include "ode/energy_shell.hpp"

#include <algorithm>
#include <cmath>

namespace flowkit::ode {

namespace {

constexpr Index block_rows = 1024;
constexpr Index max_draws_per_accepted = 1000;

std::string join(const std::vector<std::string>& names, const std::string& skip = "")
{
    std::string s;
    for (const auto& n : names)
        if (n != skip)
            s += (s.empty() ? "" : ",") + n;
    return s;
}

bool is_state_variable(const System& system, const std::string& name)
{
    const auto& names = system.names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

const io::Range* find_range(const std::vector<io::Range>& domain, const std::string& name)
{
    for (const auto& r : domain)
        if (r.name == name)
            return &r;
    return nullptr;
}

[[noreturn]] void too_few_on_shell(const EnsembleSpec& spec, Index accepted, Index total)
{
    const std::string e = io::format_number(*spec.energy), v = spec.solve_for;
    const std::string hint =
        "; choose a --domain where H < " + e + " at " + v + " = 0 (or a larger --energy)";
    if (accepted == 0)
        throw ComputeError("--energy " + e + ": none of the first " + std::to_string(total) +
                           " draws has a positive " + v + " with H = " + e + hint);
    throw ComputeError("--energy " + e + ": only " + std::to_string(accepted) + " of the first " +
                       std::to_string(total) + " draws have a positive " + v + " with H = " + e +
                       " (" + std::to_string(spec.count) + " wanted: at least one draw in " +
                       std::to_string(max_draws_per_accepted) + " must have one)" + hint);
}

} // namespace

void EnsembleSpec::check(const System& system) const
{
    using io::format_number;
    if (count < 1)
        throw UsageError("--random-ics must be >= 1 (got " + std::to_string(count) + ")");
    if (energy && solve_for.empty())
        throw UsageError("--energy needs --solve-for VAR, the state variable to solve for");
    if (!energy && !solve_for.empty())
        throw UsageError("--solve-for needs --energy E");
    if (energy && !system.hamiltonian())
        throw UsageError("--energy needs a system with a Hamiltonian; this one has none");
    if (!solve_for.empty() && !is_state_variable(system, solve_for))
        throw UsageError("--solve-for: the system has no variable '" + solve_for + "' (it has " +
                         join(system.names()) + ")");
    for (const auto& r : domain) {
        if (!is_state_variable(system, r.name))
            throw UsageError("--domain: the system has no variable '" + r.name + "' (it has " +
                             join(system.names()) + ")");
        if (find_range(domain, r.name) != &r)
            throw UsageError("--domain: " + r.name + " has two ranges");
        if (!(r.lo <= r.hi) || !std::isfinite(r.hi - r.lo))
            throw UsageError("--domain: " + r.name + "=" + format_number(r.lo) + ":" +
                             format_number(r.hi) + ": LO must not exceed HI");
        if (r.name == solve_for)
            throw UsageError("--domain: " + r.name + " has a range, but --solve-for " + r.name +
                             " computes it; leave it out");
    }
    for (const auto& name : system.names())
        if (name != solve_for && !find_range(domain, name))
            throw UsageError("--domain has no range for " + name + " (give one for each of " +
                             join(system.names(), solve_for) +
                             (solve_for.empty() ? "" : "; --solve-for computes " + solve_for) +
                             ")");
}

Mat random_initial_conditions(const System& system, const EnsembleSpec& spec, Rng& rng,
                              Index* candidates)
{
    spec.check(system);
    const Index dim = system.dim();
    Index var = -1;
    std::vector<Index> drawn;
    Vec lo = Vec::Zero(dim), hi = Vec::Zero(dim);
    for (Index j = 0; j < dim; ++j) {
        const auto& name = system.names()[static_cast<std::size_t>(j)];
        if (name == spec.solve_for) {
            var = j;
            continue;
        }
        const io::Range* r = find_range(spec.domain, name);
        lo(j) = r->lo, hi(j) = r->hi;
        drawn.push_back(j);
    }
    // Row by row, the drawn variables in state order; lo + (hi - lo) u may round up to hi.
    auto draw = [&](Mat& x) {
        for (Index i = 0; i < x.rows(); ++i)
            for (const Index j : drawn)
                x(i, j) = std::min(rng.uniform(lo(j), hi(j)), hi(j));
    };

    if (!spec.energy) {
        Mat x = Mat::Zero(spec.count, dim);
        draw(x);
        if (candidates)
            *candidates = spec.count;
        return x;
    }

    const double energy = *spec.energy;
    Mat out(spec.count, dim), block(block_rows, dim);
    std::vector<bool> found;
    Index accepted = 0, total = 0;
    while (true) {
        block.setZero();
        draw(block);
        solve_energy_shell(system, energy, var, block, found);
        for (Index i = 0; i < block_rows; ++i) {
            ++total;
            if (found[static_cast<std::size_t>(i)]) {
                out.row(accepted++) = block.row(i);
                if (accepted == spec.count) {
                    if (candidates)
                        *candidates = total;
                    return out;
                }
            }
            if (total >= max_draws_per_accepted * (accepted + 1))
                too_few_on_shell(spec, accepted, total);
        }
    }
}

} // namespace flowkit::ode
