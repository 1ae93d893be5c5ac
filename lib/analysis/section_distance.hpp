// How far the points of a Poincare section lie from a reference section, orbit by orbit: the
// distance from a point of trajectory k to the nearest reference point of trajectory k (for
// example a learned flow's section against a classical integrator's). The reference is read
// whole; each query scans the reference points of its orbit in order of their first compared
// coordinate, outward from the query's, and stops once that coordinate alone is too far.
#pragma once

#include "io/table.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace flowkit::analysis {

class SectionDistance
{
public:
    /// Reads the reference section (columns traj, if the trajectories are told apart, and
    /// `vars`). Empty `vars`: every reference column that is not reserved (traj, t, H, ...;
    /// DESIGN.md "Data formats") nor `exclude` (the section plane's variable, constant on the
    /// section). UsageError naming --distance-vars for a name the reference lacks.
    SectionDistance(io::TableReader& reference, std::vector<std::string> vars,
                    const std::string& exclude);

    /// The compared columns, in order.
    const std::vector<std::string>& vars() const { return m_vars; }

    /// The Euclidean distance from `point` (the values of vars(), in order) to the nearest
    /// reference point of trajectory `traj`. DataError naming the reference if it has none.
    double operator()(double traj, const double* point) const;

private:
    std::string m_source;
    std::vector<std::string> m_vars;
    // Each orbit's points, row-major, sorted by their first coordinate.
    std::unordered_map<double, std::vector<double>> m_orbits;
};

} // namespace flowkit::analysis
