// Poincare sections of trajectory tables: the points where each trajectory crosses a hyperplane
// VAR = VALUE or the zero set of an expression of the columns, located on a cubic Hermite (or
// linear) interpolant between the two bracketing rows and refined by a safeguarded root finder.
// It streams: memory is a few rows per trajectory, whatever the length of the input.
#pragma once

#include "analysis/section_distance.hpp"
#include "core/eigen.hpp"
#include "io/table.hpp"

#include <functional>
#include <string>
#include <vector>

namespace flowkit::analysis {

enum class Direction { up, down, both };
enum class Interpolation { linear, cubic };

struct PoincareParams
{
    std::string plane_var;  ///< the section is plane_var = plane_value ...
    double plane_value = 0;
    std::string surface;    ///< ... or the zero set of this expression of the columns
    Direction direction = Direction::up; ///< up: the section function goes from < 0 to >= 0
    Interpolation interpolation = Interpolation::cubic;

    /// UsageError unless exactly one of plane and surface is given.
    void check() const;
};

/// "up" | "down" | "both"; "linear" | "cubic"; UsageError otherwise.
Direction parse_direction(const std::string& s);
Interpolation parse_interpolation(const std::string& s);
/// "VAR=VALUE" into params.plane_var and params.plane_value (UsageError if malformed).
void parse_plane(const std::string& text, PoincareParams& params);

/// Slopes of some columns from the vector field that made the data (--system, --rhs): rhs(t,
/// x, f) with x the values of `columns` (one row per point). The other columns, and all of
/// them when this is empty, take slopes from neighbouring rows (second-order differences).
struct Slopes
{
    std::vector<std::string> columns;
    std::function<void(const Vec& t, const Mat& x, Mat& f)> rhs;
};

/// Reads trajectory rows (columns traj, t and any others; trajectories may interleave) and
/// writes one row per crossing with every column interpolated at the crossing time, in the
/// order the crossings are found. DataError for a time that does not increase within its
/// trajectory; UsageError for a column named in the params that the table lacks.
/// With `distance`, each row ends with one more value: the crossing's distance to the
/// reference section of its trajectory (UsageError if the input lacks a compared column).
/// Returns the number of crossings written.
long poincare_stream(const PoincareParams& params, const Slopes& slopes, io::TableReader& in,
                     io::TableWriter& out, const SectionDistance* distance = nullptr);

} // namespace flowkit::analysis
