#include "nn/training_options.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace flowkit::nn {

namespace {

bool listed(const char* const* names, std::size_t count, const std::string& name)
{
    return std::find_if(names, names + count, [&](const char* n) { return name == n; }) !=
           names + count;
}

/// Options about one invocation: not recorded in the model.
bool is_invocation_option(const std::string& name)
{
    static const char* const names[] = {"input",   "output",  "history", "log-every",
                                        "checkpoint-every", "threads", "quiet", "stats",
                                        "format",  "provenance", "resume"};
    return listed(names, std::size(names), name);
}

/// Recorded options that a resumed run may change: the total epochs and when to stop.
bool may_change_on_resume(const std::string& name)
{
    return is_invocation_option(name) || name == "epochs" || name == "target-loss";
}

/// Equal as text, or as numbers ("1e-3" and "0.001").
bool same_value(const std::string& a, const std::string& b)
{
    if (a == b)
        return true;
    char *end_a = nullptr, *end_b = nullptr;
    const double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
    return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

/// "a quarter of --epochs", "a third of --epochs", "1/5 of --epochs".
std::string share_of_epochs(long share)
{
    const std::string part = share == 3   ? "a third"
                             : share == 4 ? "a quarter"
                                          : "1/" + std::to_string(share);
    return part + " of --epochs";
}

} // namespace

void add_training_options(cxxopts::Options& opts, const TrainingDefaults& d)
{
    using cxxopts::value;
    auto text = [](double v) { return io::format_number(v); };
    // clang-format off
    opts.add_options("Training")
        ("epochs", "Train for N epochs in total (resumed epochs included).",
         value<std::string>()->default_value(std::to_string(d.epochs)), "N")
        ("lr", "Learning rate of Adam (the peak of one-cycle).",
         value<std::string>()->default_value(text(d.lr)), "X")
        ("optimizer", "adam, lbfgs, or adam+lbfgs (Adam, then L-BFGS for the last "
         "--lbfgs-epochs epochs).", value<std::string>()->default_value(d.optimizer), "NAME")
        ("schedule", "Learning-rate schedule of the Adam epochs: constant, step, cosine or "
         "one-cycle.", value<std::string>()->default_value(d.schedule), "NAME")
        ("clip", "Rescale Adam's gradient to norm X when it is longer (0: off).",
         value<std::string>()->default_value(text(d.clip)), "X")
        ("weight-decay", "Decoupled weight decay of Adam (AdamW).",
         value<std::string>()->default_value("0"), "X")
        ("step-every", "step schedule: multiply the rate by --step-factor every K epochs "
         "(0: a third of the Adam epochs).", value<std::string>()->default_value("0"), "K")
        ("step-factor", "step schedule: the factor.", value<std::string>()->default_value("0.1"),
         "F")
        ("lr-min", "cosine schedule: the rate at the end.",
         value<std::string>()->default_value("0"), "X")
        ("lbfgs-epochs", "adam+lbfgs: the L-BFGS epochs at the end (default: " +
         share_of_epochs(d.lbfgs_share) + ").", value<std::string>()->default_value("-1"), "N")
        ("lbfgs-memory", "L-BFGS: curvature pairs kept.",
         value<std::string>()->default_value("10"), "M")
        ("grad-tol", "L-BFGS: stop when |gradient| <= X max(1, |parameters|).",
         value<std::string>()->default_value("1e-9"), "X")
        ("hidden", "Hidden-layer widths of the network.",
         value<std::string>()->default_value(d.hidden), "W1,W2,...")
        ("activation", "tanh, sin, softplus, sigmoid, silu or gelu.",
         value<std::string>()->default_value(d.activation), "NAME")
        ("target-loss", "Stop once an epoch's training loss is below X.", value<std::string>(), "X")
        ("history", "Write epoch,loss,lr,evaluations,...,seconds to FILE (CSV).",
         value<std::string>(), "FILE")
        ("log-every", "A history row every K epochs (and the last).",
         value<std::string>()->default_value("1"), "K")
        ("checkpoint-every", "Write the model to the -o file every K epochs.",
         value<std::string>()->default_value("0"), "K")
        ("resume", "Continue the run saved in MODEL ('-': standard input) with its options; "
         "--epochs stays the total.", value<std::string>(), "MODEL");
    // clang-format on
}

TrainingCommandLine parse_training_command_line(cxxopts::Options& opts, const char* tool,
                                                int argc, char** argv,
                                                const std::vector<std::string>& kinds)
{
    cxxopts::ParseResult given = io::parse(opts, argc, argv);
    TrainingCommandLine cl{given, {}, std::nullopt, io::Json::object()};
    if (given.count("resume")) {
        io::Model model = io::read_model(given["resume"].as<std::string>(), kinds);
        const io::Json& training = io::require_key(model, model.json, "training");
        const io::Json& recorded = io::require_key(model, training, "options");
        if (!recorded.is_object())
            throw DataError("model key 'options' is not an object", model.source);
        // The recorded options first, then the command line's (the later value wins).
        std::vector<std::string> words = {argv[0]};
        for (const auto& [name, value] : recorded.items()) {
            if (!value.is_string())
                throw DataError("model option '" + name + "' is not a string", model.source);
            words.push_back("--" + name + "=" + value.get<std::string>());
        }
        for (const cxxopts::KeyValue& kv : given.arguments())
            if (!may_change_on_resume(kv.key()) && recorded.contains(kv.key()) &&
                !same_value(kv.value(), recorded[kv.key()].get<std::string>()))
                throw UsageError("--" + kv.key() + " " + kv.value() + " differs from the " +
                                 recorded[kv.key()].get<std::string>() + " that " +
                                 model.source + " was trained with: a resumed run keeps its options");
        for (int i = 1; i < argc; ++i)
            words.push_back(argv[i]);
        std::vector<char*> merged;
        for (std::string& w : words)
            merged.push_back(w.data());
        cl.args = io::parse(opts, int(merged.size()), merged.data());
        cl.resumed = std::move(model);
    }
    for (const cxxopts::KeyValue& kv : cl.args.arguments())
        if (!is_invocation_option(kv.key())) {
            // A repeated option (--param a=1 --param b=2) is recorded as one list: a=1,b=2.
            const std::string previous =
                cl.options.contains(kv.key()) ? cl.options[kv.key()].get<std::string>() + "," : "";
            cl.options[kv.key()] = previous + kv.value();
        }
    cl.common = io::common_options(cl.args, tool, argc, argv);
    return cl;
}

TrainingParams training_params(const TrainingCommandLine& cl, const char* tool)
{
    const cxxopts::ParseResult& a = cl.args;
    TrainingParams p;
    p.tool = tool;
    p.epochs = io::integer_option(a, "epochs");
    p.optimizer = parse_optimizer(a["optimizer"].as<std::string>());
    p.adam.lr = io::number_option(a, "lr");
    p.adam.clip = io::number_option(a, "clip");
    p.adam.weight_decay = io::number_option(a, "weight-decay");
    p.schedule.kind = parse_schedule(a["schedule"].as<std::string>());
    p.schedule.step_every = io::integer_option(a, "step-every");
    p.schedule.step_factor = io::number_option(a, "step-factor");
    p.schedule.lr_min = io::number_option(a, "lr-min");
    p.lbfgs_epochs = io::integer_option(a, "lbfgs-epochs");
    const long memory = io::integer_option(a, "lbfgs-memory");
    require_option(memory >= 1 && memory <= 1000, "--lbfgs-memory", "in [1, 1000]", double(memory));
    p.lbfgs.memory = int(memory);
    p.lbfgs.grad_tol = io::number_option(a, "grad-tol");
    if (a.count("target-loss"))
        p.target_loss = io::number_option(a, "target-loss");
    if (a.count("history"))
        p.history = a["history"].as<std::string>();
    p.log_every = io::integer_option(a, "log-every");
    p.checkpoint_every = io::integer_option(a, "checkpoint-every");
    p.output = cl.common.output;
    p.seed = cl.common.seed;
    p.quiet = cl.common.quiet;
    p.stats = cl.common.stats;
    p.options = cl.options;
    p.check();
    return p;
}

std::vector<Index> hidden_widths(const cxxopts::ParseResult& args)
{
    std::vector<Index> widths;
    for (double w : io::parse_numbers(args["hidden"].as<std::string>(), "--hidden")) {
        require_option(w >= 1 && w <= 1e6 && w == double(Index(w)), "--hidden",
                       "whole numbers >= 1", w);
        widths.push_back(Index(w));
    }
    return widths;
}

Activation activation_option(const cxxopts::ParseResult& args)
{
    return parse_activation(args["activation"].as<std::string>());
}

} // namespace flowkit::nn
