#include "ode/integrate_job.hpp"

#include "core/error.hpp"
#include "io/progress.hpp"
#include "io/table.hpp"
#include "ode/integrate.hpp"
#include "ode/steppers.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace flowkit::ode {

namespace {

using io::format_number;

std::string join(const std::vector<std::string>& names)
{
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : ",") + n;
    return s;
}

struct InitialConditions
{
    Mat x;                // n x dim
    Vec traj;             // trajectory ids as written
    Index candidates = 0; // random draws used (--random-ics)
};

InitialConditions read_initial_conditions(const IntegrateJob& job, const System& system,
                                          const io::CommonOptions& common)
{
    const Index dim = system.dim();
    InitialConditions ics;
    if (job.random_ics) {
        Rng rng(common.seed);
        ics.x = random_initial_conditions(system, *job.random_ics, rng, &ics.candidates);
        ics.traj = Vec::LinSpaced(ics.x.rows(), 0, static_cast<double>(ics.x.rows() - 1));
        return ics;
    }
    if (!job.ic.empty()) {
        if (static_cast<Index>(job.ic.size()) != dim)
            throw UsageError("--ic has " + std::to_string(job.ic.size()) +
                             (job.ic.size() == 1 ? " value" : " values") + "; the state (" +
                             join(system.names()) + ") has " + std::to_string(dim));
        ics.x = Eigen::Map<const Eigen::RowVectorXd>(job.ic.data(), dim);
        ics.traj = Vec::Zero(1);
        return ics;
    }
    io::Input in(common.input);
    if (in.is_terminal())
        throw UsageError("no initial conditions: give --ic, --random-ics or pipe a CSV with "
                         "columns " + join(system.names()));
    io::TableReader reader(in.stream(), in.name());
    std::vector<Index> cols;
    for (const auto& name : system.names())
        cols.push_back(reader.require(name));
    const auto traj_col = reader.find("traj");
    std::vector<double> row, values, ids;
    std::set<double> seen;
    while (reader.next(row)) {
        for (Index c : cols)
            values.push_back(row[static_cast<std::size_t>(c)]);
        ids.push_back(traj_col ? row[static_cast<std::size_t>(*traj_col)]
                               : static_cast<double>(ids.size()));
        if (!seen.insert(ids.back()).second)
            reader.fail("trajectory " + format_number(ids.back()) +
                            " appears twice (initial conditions need distinct traj values)",
                        *traj_col);
    }
    if (ids.empty())
        throw DataError("no initial conditions (the table has no rows)", reader.source());
    const Index n = static_cast<Index>(ids.size());
    ics.x = Eigen::Map<RowMajorMat>(values.data(), n, dim);
    ics.traj = Eigen::Map<Vec>(ids.data(), n);
    return ics;
}

/// --times FILE: a column t, and optionally traj for times per trajectory.
std::vector<std::vector<double>> read_output_times(const IntegrateJob& job, const Vec& traj)
{
    io::Input in(job.times_file);
    io::TableReader reader(in.stream(), in.name());
    const Index t_col = reader.require("t");
    const auto traj_col = reader.find("traj");
    std::map<double, std::size_t> row_of;
    for (Index i = 0; i < traj.size(); ++i)
        row_of[traj(i)] = static_cast<std::size_t>(i);
    std::vector<std::vector<double>> lists(traj_col ? static_cast<std::size_t>(traj.size()) : 1);
    const double lo = std::min(job.t0, job.t_end), hi = std::max(job.t0, job.t_end);
    const double slack = 1e-12 * std::max({1.0, std::abs(lo), std::abs(hi)});
    const double dir = job.t_end >= job.t0 ? 1.0 : -1.0;
    std::vector<double> row;
    while (reader.next(row)) {
        const double t = row[static_cast<std::size_t>(t_col)];
        if (t < lo - slack || t > hi + slack)
            reader.fail("time " + format_number(t) + " is outside [" + format_number(lo) + ", " +
                            format_number(hi) + "]",
                        t_col);
        std::vector<double>* list = &lists[0];
        if (traj_col) {
            const auto it = row_of.find(row[static_cast<std::size_t>(*traj_col)]);
            if (it == row_of.end())
                reader.fail("no initial condition has this traj", *traj_col);
            list = &lists[it->second];
        }
        if (!list->empty() && dir * (t - list->back()) <= 0)
            reader.fail("times must increase along the integration", t_col);
        list->push_back(t);
    }
    return lists;
}

} // namespace

void IntegrateJob::check() const
{
    if (!(dt > 0))
        throw UsageError("--dt must be > 0 (got " + format_number(dt) + ")");
    if (t0 + dt == t0 || t_end + dt == t_end)
        throw UsageError("--dt " + format_number(dt) + " is below the resolution of t near " +
                         format_number(std::max(std::abs(t0), std::abs(t_end))));
    if (every < 1 || every > std::numeric_limits<int>::max())
        throw UsageError("--every must be >= 1 (got " + std::to_string(every) + ")");
    if (output_dt && !(*output_dt > 0))
        throw UsageError("--output-dt must be > 0 (got " + format_number(*output_dt) + ")");
    if (output_dt && !times_file.empty())
        throw UsageError("--output-dt and --times exclude each other");
    if (every != 1 && (output_dt || !times_file.empty()))
        throw UsageError("--every does not combine with --output-dt or --times");
    if (!(rtol > 0) || !(atol > 0))
        throw UsageError("--rtol and --atol must be > 0");
    if (max_steps < 1)
        throw UsageError("--max-steps must be >= 1");
    if (random_ics && !ic.empty())
        throw UsageError("--random-ics and --ic exclude each other");
}

namespace {

/// --ics-only: `traj,<state>[,H]`, one row per initial condition.
void write_initial_conditions(const IntegrateJob& job, const System& system,
                              const io::CommonOptions& common)
{
    io::Progress progress("integrate", common.quiet, common.stats);
    const InitialConditions ics = read_initial_conditions(job, system, common);
    std::vector<std::string> columns = {"traj"};
    columns.insert(columns.end(), system.names().begin(), system.names().end());
    const bool hamiltonian = system.hamiltonian();
    Vec h;
    if (hamiltonian) {
        columns.push_back("H");
        system.H(ics.x, h);
    }
    io::Output out(common.output);
    io::TableWriter writer(out.stream(), columns, common.format, common.provenance);
    std::vector<double> row(columns.size());
    for (Index i = 0; i < ics.x.rows(); ++i) {
        row[0] = ics.traj(i);
        for (Index j = 0; j < system.dim(); ++j)
            row[static_cast<std::size_t>(1 + j)] = ics.x(i, j);
        if (hamiltonian)
            row.back() = h(i);
        writer.row(row);
    }
    writer.flush();
    out.commit();

    const Index n = ics.x.rows();
    std::ostringstream summary;
    summary << n << (n == 1 ? " initial condition" : " initial conditions");
    if (ics.candidates > n)
        summary << " (" << ics.candidates << " draws)";
    summary << ", " << io::format_duration(progress.elapsed_seconds());
    progress.summary(summary.str());
}

} // namespace

void run_integrate(const IntegrateJob& job, const System& system, const io::CommonOptions& common)
{
    job.check();
    if (job.ics_only) {
        write_initial_conditions(job, system, common);
        return;
    }
    auto stepper = job.learned ? job.learned->clone()
                               : make_stepper(job.method, system, job.rtol, job.atol);
    InitialConditions ics = read_initial_conditions(job, system, common);

    IntegrateSettings settings;
    settings.t0 = job.t0;
    settings.t1 = job.t_end;
    settings.dt = job.dt;
    settings.max_steps = job.max_steps;
    settings.threads = common.threads;
    settings.output.every = static_cast<int>(job.every);
    settings.output.output_dt = job.output_dt.value_or(0.0);
    if (!job.times_file.empty())
        settings.output.times = read_output_times(job, ics.traj);

    std::vector<std::string> columns = {"traj", "t"};
    columns.insert(columns.end(), system.names().begin(), system.names().end());
    const bool hamiltonian = system.hamiltonian();
    if (hamiltonian)
        columns.push_back("H");

    Vec h0, h;
    double max_energy_error = 0;
    if (hamiltonian)
        system.H(ics.x, h0);

    io::Output out(common.output);
    io::TableWriter writer(out.stream(), columns, common.format, common.provenance);
    std::vector<double> row(columns.size());
    const Index dim = system.dim();
    auto observe = [&](const std::vector<Index>& rows, const Vec& t, const Mat& x) {
        if (hamiltonian)
            system.H(x, h);
        for (Index k = 0; k < x.rows(); ++k) {
            const Index r = rows[static_cast<std::size_t>(k)];
            row[0] = ics.traj(r);
            row[1] = t(k);
            for (Index j = 0; j < dim; ++j)
                row[static_cast<std::size_t>(2 + j)] = x(k, j);
            if (hamiltonian) {
                row.back() = h(k);
                max_energy_error = std::max(max_energy_error, std::abs(h(k) - h0(r)));
            }
            writer.row(row);
        }
    };

    io::Progress progress("integrate", common.quiet, common.stats);
    auto report = [&](double fraction) { progress.update(fraction); };
    Mat x = ics.x;
    IntegrateStats stats;
    if (!job.learned && is_adaptive(job.method))
        stats = integrate_adaptive(static_cast<Dopri5&>(*stepper), x, settings, observe, report);
    else
        stats = integrate_fixed(*stepper, x, settings, observe, report);
    writer.flush();
    out.commit();

    std::ostringstream summary;
    const Index n = x.rows();
    summary << stepper->name() << ", " << n << (n == 1 ? " trajectory" : " trajectories") << " to t="
            << format_number(job.t_end) << ": " << stats.steps << " steps";
    if (!job.learned && is_adaptive(job.method))
        summary << " (" << stats.rejected << " rejected)";
    summary << ", " << stats.evaluations << " evaluations, "
            << io::format_duration(progress.elapsed_seconds());
    if (hamiltonian)
        summary << "; max |H - H0| = " << max_energy_error;
    progress.summary(summary.str());
}

} // namespace flowkit::ode
