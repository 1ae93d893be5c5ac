// Scratch directories and whole-file reads for tests that write files.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flowkit::test {

/// An empty directory under the system's temporary directory (emptied if it exists).
inline std::filesystem::path fresh_dir(const std::string& name)
{
    const auto dir = std::filesystem::temp_directory_path() / ("flowkit-test-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

/// The whole file as a string ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& p)
{
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace flowkit::test
