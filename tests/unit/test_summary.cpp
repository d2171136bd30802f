// summary()'s width: Keras 3 prints its table min(88, terminal columns - 4) wide (columns from
// shutil.get_terminal_size: COLUMNS, else the terminal). typenet does the same for a summary
// printed to std::cout, and prints 88 columns anywhere else (files, string streams), so the
// byte-exact comparisons with Keras' tables (test_keras_parity.cpp) hold at the default.
#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace tn = typenet;

namespace {
using net = tn::sequential<tn::input<28, 28, 1>, tn::conv2d<32, 3, tn::relu>, tn::max_pool2d<2>, tn::flatten,
                           tn::dense<10, tn::softmax>>;

// Display width of a line: UTF-8 code points (the box-drawing characters are one column each).
std::size_t columns(const std::string& line) {
    std::size_t n = 0;
    for (unsigned char c : line) n += (c & 0xC0) != 0x80;
    return n;
}
std::vector<std::string> table_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty() && (l.rfind("┏", 0) == 0 || l.rfind("┃", 0) == 0 || l.rfind("│", 0) == 0 || l.rfind("├", 0) == 0 ||
                           l.rfind("└", 0) == 0 || l.rfind("┡", 0) == 0))
            lines.push_back(l);
    return lines;
}
void check_width(const std::string& text, std::size_t width) {
    const auto lines = table_lines(text);
    REQUIRE(lines.size() >= 6);
    for (const auto& l : lines) CHECK(columns(l) == width);
}

// COLUMNS set for one scope, restored after.
struct columns_env {
    std::string old;
    bool had = false;
    explicit columns_env(const char* value) {
        if (const char* c = std::getenv("COLUMNS")) had = true, old = c;
        if (value) ::setenv("COLUMNS", value, 1);
        else ::unsetenv("COLUMNS");
    }
    ~columns_env() {
        if (had) ::setenv("COLUMNS", old.c_str(), 1);
        else ::unsetenv("COLUMNS");
    }
};
}  // namespace

// Keras' column arithmetic (summary_utils.print_summary + rich's ratio_reduce).
static_assert(tn::detail::summary_column_widths(88) == tn::detail::summary_widths{36, 27, 15});
static_assert(tn::detail::summary_column_widths(76) == tn::detail::summary_widths{31, 22, 13});  // 80-column fallback
static_assert(tn::detail::summary_column_widths(66) == tn::detail::summary_widths{26, 19, 11});
static_assert(tn::detail::summary_column_widths(120) == tn::detail::summary_widths{51, 38, 21});
static_assert(tn::detail::summary_column_widths(10) == tn::detail::summary_column_widths(40));  // the minimum
static_assert(tn::detail::round_half_even(7, 2) == 4 && tn::detail::round_half_even(5, 2) == 2 &&
              tn::detail::round_half_even(10, 3) == 3);

TEST_CASE("summary: 88 columns by default, the given width otherwise") {
    const columns_env env("50");  // a terminal width must not change a summary written to a stream
    std::ostringstream a;
    tn::summary<net>(a);
    check_width(a.str(), 88);

    std::ostringstream b;
    tn::summary<net>(b, "narrow", 60);
    check_width(b.str(), 60);
    CHECK(b.str().find("Model: \"narrow\"") == 0);
    // Long names wrap inside their cell: "max_pooling2d (MaxPooling2D)" does not fit the 24 columns it gets at 60
    CHECK(b.str().find("max_pooling2d") != std::string::npos);
    CHECK(b.str().find("max_pooling2d (MaxPooling2D)") == std::string::npos);
    CHECK(b.str().find(" Total params: 54,410 (212.54 KB)") != std::string::npos);

    auto m = tn::make_model<net>();
    std::ostringstream c;
    m.summary(c, "sequential", 100);
    check_width(c.str(), 100);
}

TEST_CASE("summary: to std::cout it follows the terminal's width, as Keras") {
    CHECK(tn::detail::summary_line_length(false) == 88);
    {
        const columns_env env("70");
        CHECK(tn::detail::summary_line_length(true) == 66);  // min(88, 70 - 4)
        CHECK(tn::detail::summary_line_length(false) == 88);
        // Printed to std::cout (captured here through its buffer): 66 columns.
        std::ostringstream captured;
        std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
        auto m = tn::make_model<net>();
        m.summary(std::cout);
        std::cout.rdbuf(old);
        check_width(captured.str(), 66);
    }
    {
        const columns_env env("200");
        CHECK(tn::detail::summary_line_length(true) == 88);  // never wider than Keras' 88
    }
    {
        const columns_env env("30");
        CHECK(tn::detail::summary_line_length(true) == 40);  // the narrowest typenet prints
    }
    {
        const columns_env env("not a number");
        // ignored, as shutil does; then the terminal, if stdout is one (not under ctest)
        CHECK(tn::detail::summary_line_length(true) >= 40);
    }
}
