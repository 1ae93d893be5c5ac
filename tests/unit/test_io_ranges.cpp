// Ranges of options such as --domain "x=-1:1,y=0:2": parsed in order, refused with a message
// that names the option and the entry.
#include "core/error.hpp"
#include "io/cli.hpp"

#include <doctest/doctest.h>

using namespace flowkit;
using namespace flowkit::io;

TEST_CASE("ranges: NAME=LO:HI in order, spaces ignored, any finite numbers")
{
    const auto r = parse_ranges("x=-1:1, py = 1e-3 : +2.5 ,q=-3:-2", "domain");
    REQUIRE(r.size() == 3);
    CHECK(r[0].name == "x");
    CHECK(r[0].lo == -1);
    CHECK(r[0].hi == 1);
    CHECK(r[1].name == "py");
    CHECK(r[1].lo == 1e-3);
    CHECK(r[1].hi == 2.5);
    CHECK(r[2].name == "q");
    CHECK(r[2].lo == -3);
    CHECK(r[2].hi == -2);
}

TEST_CASE("ranges: malformed entries are usage errors naming the option and the entry")
{
    auto refused = [](const char* text, const char* message) {
        CHECK_THROWS_WITH_AS(parse_ranges(text, "domain"), message, UsageError);
    };
    refused("x=0:1,y", "--domain: expected NAME=LO:HI, got 'y'");
    refused("x=0", "--domain: expected NAME=LO:HI, got 'x=0'");
    refused("=0:1", "--domain: expected NAME=LO:HI, got '=0:1'");
    refused("", "--domain: expected NAME=LO:HI, got ''");
    refused("x=0:1,", "--domain: expected NAME=LO:HI, got ''");
    refused("x=a:1", "--domain: x=a:1: not a finite number: 'a'");
    refused("x=0:", "--domain: x=0:: not a finite number: ''");
    refused("x=0:1:2", "--domain: x=0:1:2: not a finite number: '1:2'");
    refused("x=0:inf", "--domain: x=0:inf: not a finite number: 'inf'");
    refused("x=2:1", "--domain: x=2:1: LO must not exceed HI");
    CHECK(parse_ranges("x=1:1", "domain")[0].hi == 1.0); // a fixed value
    refused("x=-1e308:1e308", "--domain: x=-1e308:1e308: HI - LO is too large");
    refused("x=0:1,y=0:1,x=2:3", "--domain: x has two ranges");
}
