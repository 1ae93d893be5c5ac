#include "models/trajectory_data.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <map>

namespace flowkit::models {

TrajectoryData read_trajectories(io::TableReader& reader, const std::vector<std::string>& names,
                                 const std::vector<std::string>& velocity_names)
{
    TrajectoryData out;
    auto is = [](const std::vector<std::string>& v, const std::string& c) {
        return std::find(v.begin(), v.end(), c) != v.end();
    };
    out.names = names;
    if (names.empty())
        for (const std::string& c : reader.columns())
            if (!io::is_reserved_column(c) && !is(velocity_names, c))
                out.names.push_back(c);
    out.velocity_names = velocity_names;
    if (out.names.empty())
        throw DataError("no state columns besides traj and t", reader.source());
    const Index t_col = reader.require("t");
    std::vector<Index> cols;
    for (const std::string& name : out.names)
        cols.push_back(reader.require(name));
    for (const std::string& name : velocity_names)
        cols.push_back(reader.require(name));
    const std::optional<Index> traj_col = reader.find("traj");
    const Index d = Index(out.names.size()), w = Index(cols.size());

    struct Trajectory
    {
        std::vector<double> t, x; // x: w values per row
        long line = 0;            // of the first row
    };
    std::map<double, std::size_t> index;
    std::vector<Trajectory> trajs;
    std::vector<double> row;
    while (reader.next(row)) {
        const double id = traj_col ? row[std::size_t(*traj_col)] : 0.0;
        const auto [it, first] = index.try_emplace(id, trajs.size());
        if (first) {
            trajs.emplace_back();
            trajs.back().line = reader.line();
            out.ids.push_back(id);
        }
        Trajectory& tr = trajs[it->second];
        const double t = row[std::size_t(t_col)];
        if (!tr.t.empty() && t <= tr.t.back())
            reader.fail("times must increase within a trajectory (traj " +
                            io::format_number(id) + ": " + io::format_number(t) + " after " +
                            io::format_number(tr.t.back()) + ")",
                        t_col);
        tr.t.push_back(t);
        for (Index c : cols)
            tr.x.push_back(row[std::size_t(c)]);
    }
    if (trajs.empty())
        throw DataError("no data rows", reader.source());

    Index total = 0;
    out.times.start.push_back(0);
    for (std::size_t k = 0; k < trajs.size(); ++k) {
        if (trajs[k].t.size() < 2)
            throw DataError("traj " + io::format_number(out.ids[k]) +
                                " has a single row: a trajectory needs two times at least",
                            reader.source(), trajs[k].line);
        total += Index(trajs[k].t.size());
        out.times.start.push_back(total);
    }
    out.times.t.resize(total);
    Mat all(total, w);
    for (std::size_t k = 0; k < trajs.size(); ++k) {
        const Index n = Index(trajs[k].t.size()), at = out.times.start[k];
        out.times.t.segment(at, n) = Eigen::Map<const Vec>(trajs[k].t.data(), n);
        all.middleRows(at, n) = Eigen::Map<const RowMajorMat>(trajs[k].x.data(), n, w);
    }
    out.states = all.leftCols(d);
    if (w > d)
        out.velocities = all.rightCols(w - d);
    return out;
}

} // namespace flowkit::models
