// The 2-D toy distributions of `cnf-sample toy` (the ones FFJORD made the usual test bed for
// continuous normalising flows): moons, eight Gaussians, circles, checkerboard, two spirals,
// pinwheel, swiss roll, rings. Every random number comes from the caller's Rng in a fixed,
// documented order, so a seed fixes the output bytes on any compiler or standard library.
#pragma once

#include "core/eigen.hpp"
#include "core/rng.hpp"

#include <string>
#include <vector>

namespace flowkit::models {

/// The 2-D data sets of `cnf-sample toy`, in this order: moons, 8gaussians, circles,
/// checkerboard, 2spirals, pinwheel, swissroll, rings.
const std::vector<std::string>& toy_dataset_names();

/// n points (n x 2, columns x1, x2) of the named set, every random number drawn from rng (so a
/// seed fixes the bytes). UsageError "unknown toy data set 'NAME' (one of moons, 8gaussians,
/// ...)" for another name, UsageError for n < 0.
///
/// The sets and their draws ("shuffle" is a Fisher-Yates over the rows, last row first: row i
/// swaps with row floor((i + 1) u), one uniform u per row i = n-1, ..., 1; "noise" draws two
/// normals per row, x1 then x2, rows in order):
///  - moons: ceil(n/2) rows (cos a, sin a), a = linspace(0, pi) with both ends, then floor(n/2)
///    rows (1 - cos a, 0.5 - sin a); noise sd 0.1; times 2 plus (-1, -0.2); shuffle.
///  - 8gaussians: per row a centre k = floor(8u) of 4 (1,0), (-1,0), (0,1), (0,-1),
///    (1,1)/sqrt2, (1,-1)/sqrt2, (-1,1)/sqrt2, (-1,-1)/sqrt2, then two normals (sd 0.5);
///    everything divided by 1.414. No shuffle (rows are independent).
///  - circles: ceil(n/2) rows on the unit circle, then floor(n/2) on radius 0.5, angles
///    2 pi k / count; noise sd 0.08; times 3; shuffle.
///  - checkerboard: per row u, v, w uniform: x1 = 4u - 2, b = floor(2w),
///    x2 = v - 2b + (floor(x1) mod 2) (mod in {0, 1}); times 2. Every point lies in [-4, 4)^2
///    with floor(x1/2) + floor(x2/2) even.
///  - 2spirals: n - floor(n/2) rows on the first arm, then floor(n/2) on the second; per row
///    u, u1, u2 uniform, s = 3 pi sqrt(u), p = (-s cos s + u1/2, s sin s + u2/2), negated on
///    the second arm, divided by 3, then the row's noise (sd 0.1); shuffle.
///  - pinwheel: equal arms k = 0..4 in order (the first n mod 5 arms one row more); per row two
///    normals g1, g2, f = (1 + 0.3 g1, 0.1 g2), angle = 2 pi k / 5 + 0.25 exp(f1), the point
///    2 R(angle) f with R the counter-clockwise rotation; shuffle.
///  - swissroll: per row u, then two normals: t = 1.5 pi (1 + 2u),
///    ((t cos t, t sin t) + noise) / 5. No shuffle.
///  - rings: radii 3, 2.25, 1.5, 0.75, n/4 rows each in that order (the first ring also takes
///    the remainder), angles 2 pi k / count; shuffle; then noise sd 0.08.
Mat toy_dataset(const std::string& name, Index n, Rng& rng);

} // namespace flowkit::models
