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
/// Every row is an independent draw (unlike scikit-learn's moons and circles, which space the
/// points evenly and split them exactly between the parts): two draws of a set are then
/// independent samples of one distribution, as a two-sample statistic such as the energy
/// distance of a flow's samples against fresh data needs. Per row, in this order ("part k of
/// K" is floor(K u); "angle" is u times its range; "noise" two normals, x1 then x2):
///  - moons: the outer half circle (cos a, sin a) if u < 1/2, else the inner one
///    (1 - cos a, 0.5 - sin a); angle on [0, pi); noise sd 0.1; times 2 plus (-1, -0.2).
///  - 8gaussians: part k of 8 of the centres 4 (1,0), (-1,0), (0,1), (0,-1), (1,1)/sqrt2,
///    (1,-1)/sqrt2, (-1,1)/sqrt2, (-1,-1)/sqrt2; two normals (sd 0.5); divided by 1.414.
///  - circles: radius 1 if u < 1/2, else 0.5; angle on [0, 2 pi); noise sd 0.08; times 3.
///  - checkerboard: u, v, w uniform: x1 = 4u - 2, b = floor(2w),
///    x2 = v - 2b + (floor(x1) mod 2) (mod in {0, 1}); times 2. Every point lies in [-4, 4)^2
///    with floor(x1/2) + floor(x2/2) even.
///  - 2spirals: the first arm if u < 1/2, else the second; u, u1, u2 uniform,
///    s = 3 pi sqrt(u), p = (-s cos s + u1/2, s sin s + u2/2), negated on the second arm,
///    divided by 3, plus noise sd 0.1.
///  - pinwheel: arm k of 5; two normals g1, g2, f = (1 + 0.3 g1, 0.1 g2),
///    angle = 2 pi k / 5 + 0.25 exp(f1), the point 2 R(angle) f with R the counter-clockwise
///    rotation.
///  - swissroll: u, then two normals: t = 1.5 pi (1 + 2u), ((t cos t, t sin t) + noise) / 5.
///  - rings: radius part k of 4 of 3, 2.25, 1.5, 0.75; angle on [0, 2 pi); noise sd 0.08.
Mat toy_dataset(const std::string& name, Index n, Rng& rng);

} // namespace flowkit::models
