// Scratch files of the unit tests. `unit`, `unit_avx2` and `unit_generic` run the same tests in
// three processes at once (ctest -j), so each process writes under its own folder,
// <temp>/typenet_unit_<stamp>/<prefix>/<name>, removed when the process exits. A shared folder let
// one process truncate a file while another read it.
#pragma once

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace typenet_test {

inline const std::filesystem::path& process_temp_root() {
    struct root_dir {
        std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("typenet_unit_" +
                                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                                      "_" + std::to_string(std::random_device{}()));
        ~root_dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const root_dir root;
    return root.path;
}

inline std::filesystem::path process_temp_file(const std::string& prefix, const std::string& name) {
    const std::filesystem::path d = process_temp_root() / prefix;
    std::filesystem::create_directories(d);
    return d / name;
}

}  // namespace typenet_test
