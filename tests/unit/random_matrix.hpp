// Random test matrices from the seeded generator, filled column by column (fixed draw order).
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"

namespace flowkit::test {

/// rows x cols standard normal entries.
inline Mat random_mat(Rng& rng, Index rows, Index cols)
{
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows; ++i)
            m(i, j) = rng.normal();
    return m;
}

} // namespace flowkit::test
