#include "analysis/section_distance.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace flowkit::analysis {

SectionDistance::SectionDistance(io::TableReader& reference, std::vector<std::string> vars,
                                 const std::string& exclude)
    : m_source(reference.source()), m_vars(std::move(vars))
{
    const auto& cols = reference.columns();
    if (m_vars.empty())
        for (const auto& name : cols)
            if (!io::is_reserved_column(name) && name != exclude)
                m_vars.push_back(name);
    if (m_vars.empty())
        throw UsageError("--distance-vars: the reference " + reference.source() +
                         " has no state columns to compare: name them");
    reference.require_named(m_vars, "--distance-vars");
    std::vector<Index> index;
    for (const auto& name : m_vars)
        index.push_back(*reference.find(name));
    const auto traj = reference.find("traj");

    const std::size_t d = m_vars.size();
    std::vector<double> row;
    while (reference.next(row)) {
        std::vector<double>& points = m_orbits[traj ? row[std::size_t(*traj)] : 0.0];
        for (Index j : index)
            points.push_back(row[std::size_t(j)]);
    }
    for (auto& [id, p] : m_orbits) {
        const std::size_t n = p.size() / d;
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        // The order of ties does not matter: a query's nearest distance is the same either way.
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return p[a * d] < p[b * d]; });
        std::vector<double> sorted;
        sorted.reserve(p.size());
        for (std::size_t i : order)
            sorted.insert(sorted.end(), p.begin() + long(i * d), p.begin() + long((i + 1) * d));
        p = std::move(sorted);
    }
}

double SectionDistance::operator()(double traj, const double* point) const
{
    const auto it = m_orbits.find(traj);
    if (it == m_orbits.end())
        throw DataError("the reference section has no point of traj " + io::format_number(traj),
                        m_source);
    const std::vector<double>& p = it->second;
    const std::size_t d = m_vars.size(), n = p.size() / d;
    double best2 = std::numeric_limits<double>::infinity();
    const auto consider = [&](std::size_t i) {
        double s = 0;
        for (std::size_t k = 0; k < d; ++k)
            s += (p[i * d + k] - point[k]) * (p[i * d + k] - point[k]);
        best2 = std::min(best2, s);
    };
    // The first reference point whose first coordinate is >= the query's, then outward both
    // ways while the first coordinate alone is closer than the best so far.
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (p[mid * d] < point[0])
            lo = mid + 1;
        else
            hi = mid;
    }
    for (std::size_t i = lo; i < n; ++i) {
        const double gap = p[i * d] - point[0];
        if (gap * gap >= best2)
            break;
        consider(i);
    }
    for (std::size_t i = lo; i-- > 0;) {
        const double gap = point[0] - p[i * d];
        if (gap * gap >= best2)
            break;
        consider(i);
    }
    return std::sqrt(best2);
}

} // namespace flowkit::analysis
