#include "nn/training_state.hpp"

#include "core/error.hpp"

namespace flowkit::nn {

namespace {

io::Json numbers(const Vec& v) { return io::Json(std::vector<double>(v.data(), v.data() + v.size())); }

io::Json number_rows(const std::vector<Vec>& rows)
{
    io::Json a = io::Json::array();
    for (const Vec& r : rows)
        a.push_back(numbers(r));
    return a;
}

long long read_count(const io::Model& model, const io::Json& object, const std::string& key)
{
    const io::Json& v = io::require_key(model, object, key);
    if (!v.is_number_integer() || v.get<long long>() < 0)
        throw DataError("model key '" + key + "' is not a count", model.source);
    return v.get<long long>();
}

double read_number(const io::Model& model, const io::Json& object, const std::string& key)
{
    const io::Json& v = io::require_key(model, object, key);
    if (!v.is_number())
        throw DataError("model key '" + key + "' is not a number", model.source);
    return v.get<double>();
}

std::vector<Vec> read_rows(const io::Model& model, const io::Json& object, const std::string& key,
                           Index n)
{
    const io::Json& a = io::require_key(model, object, key);
    if (!a.is_array())
        throw DataError("model key '" + key + "' is not an array", model.source);
    std::vector<Vec> rows;
    for (const io::Json& row : a) {
        io::Json holder = {{key, row}};
        rows.push_back(io::read_numbers(model, holder, key, n));
    }
    return rows;
}

LbfgsStop parse_stop(const io::Model& model, const std::string& text)
{
    for (LbfgsStop s : {LbfgsStop::none, LbfgsStop::gradient_tolerance, LbfgsStop::no_progress,
                        LbfgsStop::line_search_failure})
        if (to_string(s) == text)
            return s;
    throw DataError("model's L-BFGS stop reason '" + text + "' is unknown", model.source);
}

} // namespace

io::Json to_json(const AdamState& state)
{
    return {{"step", state.t}, {"m", numbers(state.m)}, {"v", numbers(state.v)}};
}

io::Json to_json(const LbfgsState& state)
{
    return {{"iterations", state.iterations}, {"f", state.f},        {"g", numbers(state.g)},
            {"s", number_rows(state.s)},      {"y", number_rows(state.y)}, {"stop", to_string(state.stop)}};
}

io::Json to_json(const Rng::State& state)
{
    return {{"s", state.s}, {"spare", state.has_spare ? io::Json(state.spare) : io::Json(nullptr)}};
}

AdamState read_adam_state(const io::Model& model, const io::Json& object, Index n)
{
    AdamState s;
    s.t = read_count(model, object, "step");
    if (s.t > 0) {
        s.m = io::read_numbers(model, object, "m", n);
        s.v = io::read_numbers(model, object, "v", n);
    } else {
        s.m = io::read_numbers(model, object, "m", 0);
        s.v = io::read_numbers(model, object, "v", 0);
    }
    return s;
}

LbfgsState read_lbfgs_state(const io::Model& model, const io::Json& object, const Vec& x)
{
    LbfgsState s;
    s.iterations = read_count(model, object, "iterations");
    s.x = x;
    s.f = read_number(model, object, "f");
    s.g = io::read_numbers(model, object, "g", x.size());
    s.s = read_rows(model, object, "s", x.size());
    s.y = read_rows(model, object, "y", x.size());
    if (s.s.size() != s.y.size())
        throw DataError("model's L-BFGS memory has " + std::to_string(s.s.size()) + " s and " +
                            std::to_string(s.y.size()) + " y vectors",
                        model.source);
    const io::Json& stop = io::require_key(model, object, "stop");
    if (!stop.is_string())
        throw DataError("model key 'stop' is not a string", model.source);
    s.stop = parse_stop(model, stop.get<std::string>());
    return s;
}

Rng::State read_rng_state(const io::Model& model, const io::Json& object)
{
    const io::Json& a = io::require_key(model, object, "s");
    if (!a.is_array() || a.size() != 4)
        throw DataError("model key 's' is not 4 integers", model.source);
    Rng::State st{};
    for (std::size_t i = 0; i < 4; ++i) {
        if (!a[i].is_number_unsigned())
            throw DataError("model key 's' is not 4 integers", model.source);
        st.s[i] = a[i].get<std::uint64_t>();
    }
    const io::Json& spare = io::require_key(model, object, "spare");
    st.has_spare = !spare.is_null();
    if (st.has_spare) {
        if (!spare.is_number())
            throw DataError("model key 'spare' is not a number or null", model.source);
        st.spare = spare.get<double>();
    }
    return st;
}

} // namespace flowkit::nn
