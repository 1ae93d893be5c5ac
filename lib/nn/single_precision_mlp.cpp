#include "nn/single_precision_mlp.hpp"

#include "core/error.hpp"

namespace flowkit::nn {

Precision parse_precision(const std::string& name)
{
    if (name == "double")
        return Precision::double_precision;
    if (name == "single")
        return Precision::single_precision;
    throw UsageError("--precision must be double or single (got '" + name + "')");
}

} // namespace flowkit::nn
