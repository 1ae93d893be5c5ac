// CSV / JSON Lines tables: reading by name, errors with file:line:col, shortest round-trip output.
#include "core/error.hpp"
#include "io/table.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace flowkit;
using namespace flowkit::io;

namespace {

std::string error_of(const std::string& text)
{
    std::istringstream in(text);
    try {
        TableReader r(in, "data.csv");
        std::vector<double> row;
        while (r.next(row)) {
        }
    } catch (const DataError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("CSV: comments, blank lines, CRLF, quoted header, columns by name")
{
    std::istringstream in("# made by hand\n\n\"q\", p ,traj\r\n1,2.5,0\r\n# mid comment\n-3e-2, +4 ,1\n");
    TableReader r(in, "x.csv");
    CHECK(r.columns() == std::vector<std::string>{"q", "p", "traj"});
    CHECK(r.require("p") == 1);
    CHECK_FALSE(r.find("H"));
    const Mat m = read_rows(r);
    REQUIRE(m.rows() == 2);
    CHECK(m(1, 0) == -0.03);
    CHECK(m(1, 1) == 4.0);
    CHECK(m(1, 2) == 1.0);
}

TEST_CASE("CSV errors name file, line and column")
{
    CHECK(error_of("q,p\n1,2\n3,abc\n") == "not a finite number: 'abc' in column 'p' (data.csv:3:3)");
    CHECK(error_of("q,p\n1,nan\n") == "not a finite number: 'nan' in column 'p' (data.csv:2:3)");
    CHECK(error_of("q,p\n1,inf\n").find("data.csv:2:3") != std::string::npos);
    CHECK(error_of("q,p\n1,2,3\n") == "too many fields: expected 2 (data.csv:2:5)");
    CHECK(error_of("q,p\n1\n") == "too few fields: expected 2, got 1 (data.csv:2:2)");
    CHECK(error_of("q,p\n1,\n").find("(data.csv:2:3)") != std::string::npos);
    CHECK(error_of("# only a comment\n") == "no header: the input is empty (data.csv)");
    CHECK(error_of("q,q\n") == "duplicate column 'q' (data.csv:1)");

    std::istringstream in("# c\nq,p\n1,2\n");
    TableReader r(in, "-");
    CHECK_THROWS_WITH_AS(r.require("x"), "missing required column 'x' (<stdin>:2)", DataError);
}

TEST_CASE("JSON Lines input: the first object gives the columns")
{
    std::istringstream in("# c\n{\"q\": 1, \"p\": 2}\n{\"p\": 4, \"q\": 3}\n");
    TableReader r(in, "x.jsonl");
    CHECK(r.columns() == std::vector<std::string>{"q", "p"});
    const Mat m = read_rows(r);
    REQUIRE(m.rows() == 2);
    CHECK(m(1, 0) == 3);
    CHECK(m(1, 1) == 4);

    CHECK(error_of("{\"q\": 1}\n{\"x\": 1}\n").find("missing key in column 'q' (data.csv:2)") !=
          std::string::npos);
    CHECK(error_of("{\"q\": 1}\n{\"q\": \"a\"}\n").find("not a finite number") != std::string::npos);
    CHECK(error_of("{\"q\": 1}\n{\"q\": 1\n").find("malformed JSON (data.csv:2:") !=
          std::string::npos);
}

TEST_CASE("writer: an error before the first row writes nothing, one after it keeps the rows")
{
    // As a tool streaming to standard output fails: validation before any row, divergence after.
    auto written = [](int rows_before_error) {
        std::ostringstream out;
        try {
            TableWriter w(out, {"t", "x"}, Format::csv, {"poincare --plane z=0"});
            for (int r = 0; r < rows_before_error; ++r)
                w.row({double(r), 1.0});
            throw DataError("failed", "in.csv");
        } catch (const DataError&) {
        }
        return out.str();
    };
    CHECK(written(0).empty());
    CHECK(written(2) == "# poincare --plane z=0\nt,x\n0,1\n1,1\n");
    std::ostringstream out; // no error: the header alone is the output of an empty result
    {
        TableWriter w(out, {"t", "x"});
    }
    CHECK(out.str() == "t,x\n");
}

TEST_CASE("writer: shortest round-trip numbers, CSV and JSON Lines, comments first")
{
    std::ostringstream out;
    {
        TableWriter w(out, {"t", "x"}, Format::csv, {"integrate --dt 0.1"});
        w.row({0.1, 1.0 / 3.0});
        w.row({1e-300, -2.0});
        w.flush();
    }
    CHECK(out.str() == "# integrate --dt 0.1\nt,x\n0.1,0.3333333333333333\n1e-300,-2\n");

    // Every double reads back exactly.
    for (double v : {M_PI, 1.0 / 3.0, 6.02214076e23, -4.9e-324, 0.1 + 0.2}) {
        CHECK(std::strtod(format_number(v).c_str(), nullptr) == v);
    }

    std::ostringstream js;
    {
        TableWriter w(js, {"t", "x"}, Format::jsonl);
        w.row({0.5, 2.0});
        w.flush();
    }
    CHECK(js.str() == "{\"t\":0.5,\"x\":2}\n");
    CHECK_THROWS_AS(parse_format("xml"), UsageError);
}
