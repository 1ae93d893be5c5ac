// poincare: Poincare sections of trajectory CSV (CLI.md "poincare"). Options only.
#include "analysis/poincare.hpp"
#include "core/error.hpp"
#include "io/cli.hpp"
#include "io/progress.hpp"
#include "ode/system_options.hpp"

#include <optional>

using namespace flowkit;

int main(int argc, char** argv)
{
    return io::run_tool("poincare", argc, argv, [&] {
        cxxopts::Options opts(
            "poincare",
            "Cut Poincare sections through trajectories.\n\n"
            "Reads trajectory rows (columns traj, t and any others; rows of different "
            "trajectories may interleave) and writes one row per crossing of the section, with "
            "every input column interpolated at the crossing time. Crossings are located on a "
            "cubic Hermite interpolant between the two bracketing rows and refined to 1e-14 of "
            "the step; slopes come from the system when one is named, else from neighbouring "
            "rows. Trajectories are never joined. Memory does not grow with the input.\n\n"
            "Example:\n  integrate --system henon-heiles --method gauss4 --dt 0.05 --t-end 1000 "
            "--ic 0,0.1,0.5,0 | poincare --plane x=0 --system henon-heiles\n");
        opts.custom_help("[OPTION...] < trajectories.csv");
        io::add_common_options(opts);
        ode::add_system_options(opts);
        // clang-format off
        opts.add_options("Section")
            ("plane", "The section is where column VAR equals VALUE.", cxxopts::value<std::string>(),
             "VAR=VALUE")
            ("surface", "The section is the zero set of an expression of the columns, e.g. "
                        "\"x^2 + y^2 - 1\".", cxxopts::value<std::string>(), "\"EXPR\"")
            ("direction", "Crossings where the section function increases (up), decreases "
                          "(down), or either (both).",
             cxxopts::value<std::string>()->default_value("up"), "DIR")
            ("interp", "Crossing interpolation: cubic (Hermite) or linear.",
             cxxopts::value<std::string>()->default_value("cubic"), "KIND")
            ("reference", "A reference section (e.g. poincare's output for a classical "
                          "integrator's orbits): each crossing gets a column 'distance', from it "
                          "to the nearest reference point of the same traj.",
             cxxopts::value<std::string>(), "SECTION.csv")
            ("distance-vars", "--reference: the columns the distance is measured in (default: "
                              "the reference's state columns but the plane's variable).",
             cxxopts::value<std::string>(), "a,b,...");
        // clang-format on
        auto args = io::parse(opts, argc, argv);
        auto common = io::common_options(args, "poincare", argc, argv);

        analysis::PoincareParams params;
        if (args.count("plane"))
            analysis::parse_plane(args["plane"].as<std::string>(), params);
        if (args.count("surface"))
            params.surface = args["surface"].as<std::string>();
        params.direction = analysis::parse_direction(args["direction"].as<std::string>());
        params.interpolation = analysis::parse_interpolation(args["interp"].as<std::string>());
        params.check();

        analysis::Slopes slopes;
        std::unique_ptr<ode::System> system;
        if (args.count("system") || args.count("rhs") || args.count("hamiltonian") ||
            args.count("list-systems")) {
            system = ode::system_from_options(args);
            slopes.columns = system->names();
            slopes.rhs = [&system](const Vec& t, const Mat& x, Mat& f) { system->rhs(t, x, f); };
        }

        std::optional<analysis::SectionDistance> distance;
        if (args.count("reference")) {
            io::Input ref(args["reference"].as<std::string>());
            io::TableReader ref_reader(ref.stream(), ref.name());
            std::vector<std::string> vars;
            if (args.count("distance-vars"))
                vars = io::parse_names(args["distance-vars"].as<std::string>(), "distance-vars");
            distance.emplace(ref_reader, vars, params.plane_var);
        } else if (args.count("distance-vars")) {
            throw UsageError("--distance-vars needs --reference");
        }

        io::Progress progress("poincare", common.quiet, common.stats);
        io::Input in(common.input);
        io::TableReader reader(in.stream(), in.name());
        std::vector<std::string> columns = reader.columns();
        if (distance) {
            if (reader.find("distance"))
                throw UsageError("--reference: the input already has a column 'distance'");
            columns.push_back("distance");
        }
        io::Output out(common.output);
        io::TableWriter writer(out.stream(), columns, common.format, common.provenance);
        const long crossings = analysis::poincare_stream(params, slopes, reader, writer,
                                                         distance ? &*distance : nullptr);
        writer.flush();
        out.commit();
        progress.summary(std::to_string(crossings) + " crossings, " +
                         io::format_duration(progress.elapsed_seconds()));
    });
}
