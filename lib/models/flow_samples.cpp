#include "models/flow_samples.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <map>

namespace flowkit::models {

FlowSamples read_flow_samples(io::TableReader& reader, const std::vector<std::string>& names,
                              double dt)
{
    FlowSamples out;
    if (names.empty()) {
        for (const std::string& c : reader.columns())
            if (!io::is_reserved_column(c))
                out.names.push_back(c);
    } else {
        out.names = names;
    }
    std::vector<Index> state;
    for (const std::string& name : out.names)
        state.push_back(reader.require(name));
    const Index t_col = reader.require("t");
    const std::optional<Index> traj_col = reader.find("traj");
    const Index d = Index(out.names.size());

    struct Trajectory
    {
        Vec x0;
        double t0 = 0, last = 0;
    };
    std::map<double, Trajectory> seen;
    std::vector<double> row, x0, s, y;
    while (reader.next(row)) {
        const double t = row[std::size_t(t_col)];
        const double id = traj_col ? row[std::size_t(*traj_col)] : 0.0;
        Vec x(d);
        for (Index j = 0; j < d; ++j)
            x(j) = row[std::size_t(state[std::size_t(j)])];
        auto [it, first] = seen.try_emplace(id);
        Trajectory& tr = it->second;
        if (first) {
            tr.x0 = x;
            tr.t0 = tr.last = t;
            continue;
        }
        if (t <= tr.last)
            reader.fail("times must increase within a trajectory", t_col);
        tr.last = t;
        if (t - tr.t0 > dt * (1 + 1e-12))
            continue;
        x0.insert(x0.end(), tr.x0.data(), tr.x0.data() + d);
        s.push_back(t - tr.t0);
        y.insert(y.end(), x.data(), x.data() + d);
    }
    if (seen.empty())
        throw DataError("no data rows", reader.source());
    if (s.empty())
        throw DataError("no trajectory has a row within --dt " + io::format_number(dt) +
                            " of its first",
                        reader.source());
    const Index m = Index(s.size());
    out.x0 = Eigen::Map<const RowMajorMat>(x0.data(), m, d);
    out.y = Eigen::Map<const RowMajorMat>(y.data(), m, d);
    out.s = Eigen::Map<const Vec>(s.data(), m);
    out.trajectories = Index(seen.size());
    return out;
}

std::vector<io::Range> bounding_box(const FlowSamples& samples)
{
    std::vector<io::Range> box;
    for (Index j = 0; j < samples.x0.cols(); ++j) {
        double lo = std::min(samples.x0.col(j).minCoeff(), samples.y.col(j).minCoeff());
        double hi = std::max(samples.x0.col(j).maxCoeff(), samples.y.col(j).maxCoeff());
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
        box.push_back({samples.names[std::size_t(j)], lo, hi});
    }
    return box;
}

} // namespace flowkit::models
