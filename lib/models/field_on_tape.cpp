#include "models/field_on_tape.hpp"

namespace flowkit::models {

ad::Tape::Id field_on_tape(ad::Tape& tape, const ode::System& system, const Vec& t, ad::Tape::Id X)
{
    return tape.call(
        {X}, [&system, &t](const std::vector<const Mat*>& in, Mat& out) { system.rhs(t, *in[0], out); },
        [&system, &t](const std::vector<const Mat*>& in, const Mat&, const Mat& out_grad,
                      const std::vector<Mat*>& in_grads) {
            Mat vjp;
            system.vjp(t, *in[0], out_grad, vjp);
            *in_grads[0] += vjp;
        });
}

io::Json learned_model_json(const std::string& kind, const ode::System& system,
                            io::Json architecture, const Vec& theta)
{
    io::Json m = io::new_model(kind, system.names());
    m["system"] = system.describe();
    m["architecture"] = std::move(architecture);
    m["params"] = std::vector<double>(theta.data(), theta.data() + theta.size());
    return m;
}

} // namespace flowkit::models
