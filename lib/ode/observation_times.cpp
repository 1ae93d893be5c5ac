#include "ode/observation_times.hpp"

namespace flowkit::ode {

ObservationTimes ObservationTimes::reversed() const
{
    ObservationTimes r{Vec(t.size()), start};
    for (Index row = 0; row < rows(); ++row)
        for (Index k = first(row); k <= last(row); ++k)
            r.t(reversed_index(row, k)) = t(k);
    return r;
}

} // namespace flowkit::ode
