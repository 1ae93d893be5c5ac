// Atomic output files and model files: nothing partial is ever left behind.
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/model_json.hpp"
#include "temp_files.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace flowkit;
using namespace flowkit::io;
namespace fs = std::filesystem;

using test::fresh_dir;
using test::slurp;

TEST_CASE("atomic file: visible only after commit - an abandoned one leaves nothing")
{
    const fs::path dir = fresh_dir("atomic");
    const fs::path target = dir / "out.csv";
    {
        AtomicFile f(target.string());
        f.stream() << "half";
        CHECK_FALSE(fs::exists(target));
    } // destroyed without commit, as when an exception unwinds
    CHECK(fs::is_empty(dir));

    write_file_atomically(target.string(), "old\n");
    {
        AtomicFile f(target.string());
        f.stream() << "new\n";
        CHECK(slurp(target) == "old\n"); // the old file stays until the new one is complete
        f.commit();
    }
    CHECK(slurp(target) == "new\n");
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

    CHECK_THROWS_AS(AtomicFile((dir / "no" / "such" / "dir.csv").string()), OutputError);
    fs::remove_all(dir);
}

TEST_CASE("model files: envelope written and checked")
{
    const fs::path dir = fresh_dir("model");
    const std::string path = (dir / "m.json").string();
    Json m = new_model("node", {"q", "p"});
    m["params"] = {1.0, 2.5};
    write_model(path, m);

    const Model back = read_model(path, {"node"});
    CHECK(back.json["state_names"] == Json({"q", "p"}));
    CHECK(read_numbers(back, back.json, "params", 2)(1) == 2.5);
    CHECK_THROWS_WITH_AS(read_numbers(back, back.json, "params", 3),
                         doctest::Contains("has 2 entries, expected 3"), DataError);
    CHECK_THROWS_WITH_AS(read_model(path, {"cnf", "pinn"}),
                         doctest::Contains("model kind is 'node', expected cnf or pinn"), DataError);

    write_file_atomically(path, "{\"format\": \"flowkit-model\", \"version\": 2, \"kind\": \"node\"}");
    CHECK_THROWS_WITH_AS(read_model(path), doctest::Contains("version 2 is not supported"), DataError);
    write_file_atomically(path, "{\"format\": \"flowkit-model\",\n \"version\": ");
    CHECK_THROWS_WITH_AS(read_model(path), doctest::Contains("line 2"), DataError);
    CHECK_THROWS_AS(read_model((dir / "missing.json").string()), NoInputError);
    fs::remove_all(dir);
}
