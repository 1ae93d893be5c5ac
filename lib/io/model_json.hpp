// Model files (DESIGN.md "Model JSON", docs/model-format.md): the common envelope, checked on
// read, and written atomically.
#pragma once

#include "core/eigen.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace flowkit::io {

using Json = nlohmann::ordered_json;

constexpr int model_format_version = 1;

/// A model file's contents with where it came from, for messages.
struct Model
{
    Json json;
    std::string source;
};

/// A new model object with the envelope filled in: format, version, kind, state_names.
Json new_model(const std::string& kind, const std::vector<std::string>& state_names);

/// Reads `path` ("-": stdin) and checks format, version and kind (one of `kinds`, or any when
/// empty). NoInputError if the file cannot be opened; DataError for anything malformed.
Model read_model(const std::string& path, const std::vector<std::string>& kinds = {});

/// Writes the model atomically (pretty-printed with 1-space indent).
void write_model(const std::string& path, const Json& model);

/// `model.json[key]`, which must exist; DataError naming the key and file otherwise.
const Json& require_key(const Model& model, const Json& object, const std::string& key);
/// A numeric array of exactly `size` entries at `object[key]`.
Vec read_numbers(const Model& model, const Json& object, const std::string& key, Index size);
std::vector<std::string> read_strings(const Model& model, const Json& object,
                                      const std::string& key);

} // namespace flowkit::io
