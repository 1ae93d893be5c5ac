#include "analysis/poincare.hpp"

#include "analysis/root.hpp"
#include "core/error.hpp"
#include "expr/expr.hpp"

#include <array>
#include <cmath>
#include <optional>
#include <unordered_map>

namespace flowkit::analysis {

namespace {

struct Row
{
    double t = 0;
    std::vector<double> v; // every column
    double g = 0;          // the section function
};

/// The last rows of one trajectory, oldest first: enough for the interval two rows back and
/// the neighbours of its ends.
struct Track
{
    std::array<Row, 4> rows;
    int size = 0;
};

/// d/dt at the middle of three points (t0, x0), (t1, x1), (t2, x2): second order.
double slope_middle(double h1, double h2, double x0, double x1, double x2)
{
    return -h2 / (h1 * (h1 + h2)) * x0 + (h2 - h1) / (h1 * h2) * x1 + h1 / (h2 * (h1 + h2)) * x2;
}
/// d/dt at the first of three points.
double slope_first(double h1, double h2, double x0, double x1, double x2)
{
    return -(2 * h1 + h2) / (h1 * (h1 + h2)) * x0 + (h1 + h2) / (h1 * h2) * x1 -
           h1 / (h2 * (h1 + h2)) * x2;
}
/// d/dt at the last of three points.
double slope_last(double h1, double h2, double x0, double x1, double x2)
{
    return h2 / (h1 * (h1 + h2)) * x0 - (h1 + h2) / (h1 * h2) * x1 +
           (2 * h2 + h1) / (h2 * (h1 + h2)) * x2;
}

class Sectioner
{
public:
    Sectioner(const PoincareParams& params, const Slopes& slopes, io::TableReader& in,
              io::TableWriter& out, const SectionDistance* distance)
        : m_params(params), m_slopes(slopes), m_in(in), m_out(out), m_distance(distance)
    {
        const auto& cols = in.columns();
        m_ncol = static_cast<Index>(cols.size());
        m_t = in.require("t");
        m_traj = in.find("traj");
        if (!params.surface.empty()) {
            m_surface = expr::Expr::parse(params.surface, cols);
        } else {
            const auto j = in.find(params.plane_var);
            if (!j)
                throw UsageError("--plane: the input has no column '" + params.plane_var + "'");
            m_plane = *j;
        }
        for (const auto& name : slopes.columns) {
            const auto j = in.find(name);
            if (!j)
                throw DataError("missing required column '" + name + "' (a state variable of the system)",
                                in.source());
            m_state.push_back(*j);
        }
        if (distance) {
            in.require_named(distance->vars(), "--distance-vars");
            for (const auto& name : distance->vars())
                m_compared.push_back(*in.find(name));
            m_point.resize(m_compared.size());
        }
        m_ma.resize(m_ncol);
        m_mb.resize(m_ncol);
        m_x.resize(m_ncol + (distance ? 1 : 0));
    }

    void add(const std::vector<double>& values)
    {
        const double id = m_traj ? values[static_cast<std::size_t>(*m_traj)] : 0.0;
        auto [it, fresh] = m_tracks.try_emplace(id);
        if (fresh)
            m_order.push_back(id);
        Track& tr = it->second;
        const double t = values[static_cast<std::size_t>(m_t)];
        if (tr.size > 0 && !(t > tr.rows[static_cast<std::size_t>(tr.size - 1)].t))
            m_in.fail("time does not increase within trajectory " + io::format_number(id), m_t);
        if (tr.size == 4) {
            std::rotate(tr.rows.begin(), tr.rows.begin() + 1, tr.rows.end());
            --tr.size;
        }
        Row& row = tr.rows[static_cast<std::size_t>(tr.size++)];
        row.t = t;
        row.v = values;
        row.g = section(values.data());
        // The interval two rows back now has a neighbour on each side (or is the first).
        if (tr.size >= 3)
            interval(tr, tr.size - 3);
    }

    void finish()
    {
        for (double id : m_order) {
            Track& tr = m_tracks[id];
            if (tr.size >= 2)
                interval(tr, tr.size - 2);
        }
    }

    long crossings() const { return m_crossings; }

private:
    double section(const double* v) const
    {
        return m_plane ? v[*m_plane] - m_params.plane_value : m_surface.eval(v);
    }

    bool crosses(double ga, double gb) const
    {
        const bool up = ga < 0 && gb >= 0, down = ga > 0 && gb <= 0;
        switch (m_params.direction) {
        case Direction::up: return up;
        case Direction::down: return down;
        case Direction::both: return up || down;
        }
        return false;
    }

    /// Looks for a crossing between rows i and i + 1 of the track.
    void interval(const Track& tr, int i)
    {
        const Row& a = tr.rows[static_cast<std::size_t>(i)];
        const Row& b = tr.rows[static_cast<std::size_t>(i + 1)];
        if (!crosses(a.g, b.g))
            return;
        const Row* prev = i > 0 ? &tr.rows[static_cast<std::size_t>(i - 1)] : nullptr;
        const Row* next = i + 2 < tr.size ? &tr.rows[static_cast<std::size_t>(i + 2)] : nullptr;
        const double h = b.t - a.t;
        if (m_params.interpolation == Interpolation::cubic)
            slopes(a, b, prev, next);

        auto g_at = [&](double theta) {
            interpolate(a, b, h, theta);
            return section(m_x.data());
        };
        const double theta = a.g == 0 ? 0.0 : b.g == 0 ? 1.0 : find_root(g_at, 0.0, 1.0, a.g, b.g, 1e-14);
        interpolate(a, b, h, theta);
        m_x[static_cast<std::size_t>(m_t)] = a.t + theta * h;
        if (m_traj)
            m_x[static_cast<std::size_t>(*m_traj)] = a.v[static_cast<std::size_t>(*m_traj)];
        if (m_distance) {
            for (std::size_t k = 0; k < m_compared.size(); ++k)
                m_point[k] = m_x[static_cast<std::size_t>(m_compared[k])];
            m_x.back() = (*m_distance)(m_traj ? m_x[static_cast<std::size_t>(*m_traj)] : 0.0,
                                       m_point.data());
        }
        m_out.row(m_x);
        ++m_crossings;
    }

    /// Slopes of every column at both ends: the vector field's for state columns (if given),
    /// second-order differences of neighbouring rows for the others.
    void slopes(const Row& a, const Row& b, const Row* prev, const Row* next)
    {
        const double h = b.t - a.t;
        for (Index j = 0; j < m_ncol; ++j) {
            const auto c = static_cast<std::size_t>(j);
            const double xa = a.v[c], xb = b.v[c];
            if (prev)
                m_ma[c] = slope_middle(a.t - prev->t, h, prev->v[c], xa, xb);
            else if (next)
                m_ma[c] = slope_first(h, next->t - b.t, xa, xb, next->v[c]);
            else
                m_ma[c] = (xb - xa) / h;
            if (next)
                m_mb[c] = slope_middle(h, next->t - b.t, xa, xb, next->v[c]);
            else if (prev)
                m_mb[c] = slope_last(a.t - prev->t, h, prev->v[c], xa, xb);
            else
                m_mb[c] = (xb - xa) / h;
        }
        if (m_state.empty())
            return;
        const Index d = static_cast<Index>(m_state.size());
        Mat x(2, d), f;
        Vec t(2);
        t << a.t, b.t;
        for (Index k = 0; k < d; ++k) {
            x(0, k) = a.v[static_cast<std::size_t>(m_state[static_cast<std::size_t>(k)])];
            x(1, k) = b.v[static_cast<std::size_t>(m_state[static_cast<std::size_t>(k)])];
        }
        m_slopes.rhs(t, x, f);
        for (Index k = 0; k < d; ++k) {
            m_ma[static_cast<std::size_t>(m_state[static_cast<std::size_t>(k)])] = f(0, k);
            m_mb[static_cast<std::size_t>(m_state[static_cast<std::size_t>(k)])] = f(1, k);
        }
    }

    /// m_x = every column at a.t + theta h: cubic Hermite with the slopes, or linear.
    void interpolate(const Row& a, const Row& b, double h, double s)
    {
        if (m_params.interpolation == Interpolation::linear) {
            for (Index j = 0; j < m_ncol; ++j) {
                const auto c = static_cast<std::size_t>(j);
                m_x[c] = a.v[c] + s * (b.v[c] - a.v[c]);
            }
            return;
        }
        const double s2 = s * s, s3 = s2 * s;
        const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s;
        const double h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
        for (Index j = 0; j < m_ncol; ++j) {
            const auto c = static_cast<std::size_t>(j);
            m_x[c] = h00 * a.v[c] + h10 * h * m_ma[c] + h01 * b.v[c] + h11 * h * m_mb[c];
        }
    }

    const PoincareParams& m_params;
    const Slopes& m_slopes;
    io::TableReader& m_in;
    io::TableWriter& m_out;
    const SectionDistance* m_distance;
    std::vector<Index> m_compared; // the input columns of m_distance->vars()
    std::vector<double> m_point;
    Index m_ncol = 0;
    Index m_t = 0;
    std::optional<Index> m_traj, m_plane;
    expr::Expr m_surface;
    std::vector<Index> m_state;
    std::unordered_map<double, Track> m_tracks;
    std::vector<double> m_order; // trajectories in order of first appearance
    std::vector<double> m_ma, m_mb, m_x;
    long m_crossings = 0;
};

} // namespace

void PoincareParams::check() const
{
    if (plane_var.empty() == surface.empty())
        throw UsageError("give exactly one of --plane VAR=VALUE and --surface \"EXPR\"");
}

Direction parse_direction(const std::string& s)
{
    if (s == "up")
        return Direction::up;
    if (s == "down")
        return Direction::down;
    if (s == "both")
        return Direction::both;
    throw UsageError("--direction must be up, down or both (got '" + s + "')");
}

Interpolation parse_interpolation(const std::string& s)
{
    if (s == "cubic")
        return Interpolation::cubic;
    if (s == "linear")
        return Interpolation::linear;
    throw UsageError("--interp must be linear or cubic (got '" + s + "')");
}

void parse_plane(const std::string& text, PoincareParams& params)
{
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UsageError("--plane: expected VAR=VALUE, got '" + text + "'");
    params.plane_var = text.substr(0, eq);
    const std::string value = text.substr(eq + 1);
    char* end = nullptr;
    params.plane_value = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(params.plane_value))
        throw UsageError("--plane: not a finite number: '" + value + "'");
}

long poincare_stream(const PoincareParams& params, const Slopes& slopes, io::TableReader& in,
                     io::TableWriter& out, const SectionDistance* distance)
{
    params.check();
    Sectioner sectioner(params, slopes, in, out, distance);
    std::vector<double> row;
    while (in.next(row))
        sectioner.add(row);
    sectioner.finish();
    return sectioner.crossings();
}

} // namespace flowkit::analysis
