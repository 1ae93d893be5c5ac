#include "io/model_json.hpp"

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/cli.hpp"

#include <cmath>
#include <sstream>

namespace flowkit::io {

Json new_model(const std::string& kind, const std::vector<std::string>& state_names)
{
    Json m;
    m["format"] = "flowkit-model";
    m["version"] = model_format_version;
    m["kind"] = kind;
    m["state_names"] = state_names;
    return m;
}

Model read_model(const std::string& path, const std::vector<std::string>& kinds)
{
    Input in(path);
    Model model;
    model.source = path == "-" ? "<stdin>" : path;
    try {
        model.json = Json::parse(in.stream());
    } catch (const Json::parse_error& e) {
        // nlohmann's message says "parse error at line L, column C: ..."; drop its tag.
        std::string what = e.what();
        const auto tag_end = what.find("] ");
        if (tag_end != std::string::npos)
            what = what.substr(tag_end + 2);
        throw DataError("malformed model JSON: " + what, model.source);
    }
    const Json& j = model.json;
    if (!j.is_object() || !j.contains("format") || j["format"] != "flowkit-model")
        throw DataError("not a flowkit model (no \"format\": \"flowkit-model\")", model.source);
    if (!j.contains("version") || !j["version"].is_number_integer())
        throw DataError("model has no integer \"version\"", model.source);
    if (j["version"].get<int>() != model_format_version)
        throw DataError("model format version " + j["version"].dump() + " is not supported (this is " +
                            std::to_string(model_format_version) + ")",
                        model.source);
    if (!j.contains("kind") || !j["kind"].is_string())
        throw DataError("model has no \"kind\"", model.source);
    if (!kinds.empty()) {
        const auto kind = j["kind"].get<std::string>();
        bool ok = false;
        std::string expected;
        for (const auto& k : kinds) {
            ok |= k == kind;
            expected += (expected.empty() ? "" : " or ") + k;
        }
        if (!ok)
            throw DataError("model kind is '" + kind + "', expected " + expected, model.source);
    }
    read_strings(model, j, "state_names");
    return model;
}

void write_model(const std::string& path, const Json& model)
{
    write_file_atomically(path, model.dump(1) + "\n");
}

const Json& require_key(const Model& model, const Json& object, const std::string& key)
{
    if (!object.is_object() || !object.contains(key))
        throw DataError("model is missing key '" + key + "'", model.source);
    return object[key];
}

Vec read_numbers(const Model& model, const Json& object, const std::string& key, Index size)
{
    const Json& a = require_key(model, object, key);
    if (!a.is_array())
        throw DataError("model key '" + key + "' is not an array", model.source);
    if (static_cast<Index>(a.size()) != size)
        throw DataError("model key '" + key + "' has " + std::to_string(a.size()) +
                            " entries, expected " + std::to_string(size),
                        model.source);
    Vec v(size);
    for (Index i = 0; i < size; ++i) {
        const Json& x = a[static_cast<std::size_t>(i)];
        if (!x.is_number() || !std::isfinite(x.get<double>()))
            throw DataError("model key '" + key + "' entry " + std::to_string(i) +
                                " is not a finite number",
                            model.source);
        v(i) = x.get<double>();
    }
    return v;
}

std::vector<std::string> read_strings(const Model& model, const Json& object,
                                      const std::string& key)
{
    const Json& a = require_key(model, object, key);
    if (!a.is_array())
        throw DataError("model key '" + key + "' is not an array", model.source);
    std::vector<std::string> out;
    for (const auto& x : a) {
        if (!x.is_string())
            throw DataError("model key '" + key + "' must hold strings", model.source);
        out.push_back(x.get<std::string>());
    }
    return out;
}

} // namespace flowkit::io
