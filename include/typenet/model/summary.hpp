// summary: Keras 3's model.summary() table -- layer names (conv2d, conv2d_1, ...), output shapes,
// parameter counts, and the Total / Trainable / Non-trainable footer with memory sizes. Printed
// to std::cout it fits the terminal as Keras' does; anywhere else it is Keras' 88 columns.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>  // std::cout: only a summary printed there follows the terminal's width
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#if defined(_WIN32)
#include <io.h>  // _isatty
#else
#include <sys/ioctl.h>  // TIOCGWINSZ
#include <unistd.h>     // isatty
#endif

#include "../layers/layer.hpp"

namespace typenet {

namespace detail {
// Keras' thousands separators: 1050890 -> "1,050,890".
inline std::string with_commas(index_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

// Keras' readable_memory_size: 373288 -> "364.54 KB".
inline std::string readable_bytes(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes / 1024.0 >= 1.0 && u < 5) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
    return buf;
}

inline std::string shape_text(const dims& d) {  // "(None, 26, 26, 32)"
    std::string s = "(None";
    for (int i = 0; i < d.rank; ++i) s += ", " + std::to_string(d.e[i]);
    return s + ")";
}

// Unique Keras-style names in order: the first conv2d is "conv2d", then "conv2d_1", ...
inline std::vector<std::string> keras_names(const summary_row* rows, std::size_t count) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) {
        int before = 0;
        for (std::size_t j = 0; j < i; ++j) before += std::string_view(rows[j].name) == rows[i].name;
        names.push_back(before == 0 ? std::string(rows[i].name) : std::string(rows[i].name) + "_" + std::to_string(before));
    }
    return names;
}
template <std::size_t R>
std::vector<std::string> keras_names(const std::array<summary_row, R>& rows) {
    return keras_names(rows.data(), R);
}

inline std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}
inline std::string pad_right(std::string s, std::size_t w) {
    return s.size() < w ? s + std::string(w - s.size(), ' ') : s;
}
inline std::string pad_left(std::string s, std::size_t w) {
    return s.size() < w ? std::string(w - s.size(), ' ') + s : s;
}

// Greedy word wrap, as Keras' (rich) table cells do; a word longer than the width is cut.
inline std::vector<std::string> wrap(const std::string& text, std::size_t width) {
    std::vector<std::string> lines;
    std::string cur;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t j = text.find(' ', i);
        if (j == std::string::npos) j = text.size();
        std::string word = text.substr(i, j - i);
        i = j + 1;
        while (word.size() > width) {
            if (!cur.empty()) lines.push_back(cur), cur.clear();
            lines.push_back(word.substr(0, width));
            word = word.substr(width);
        }
        if (cur.empty()) cur = word;
        else if (cur.size() + 1 + word.size() <= width) cur += " " + word;
        else lines.push_back(cur), cur = word;
    }
    if (!cur.empty() || lines.empty()) lines.push_back(cur);
    return lines;
}

// Python's round(): halves to even (rich's ratio_reduce uses it).
constexpr long long round_half_even(long long num, long long den) {
    const long long q = num / den, r = num % den;
    if (2 * r > den || (2 * r == den && q % 2 != 0)) return q + 1;
    return q;
}

// The text widths of the three columns of a table `line_length` characters wide, as Keras 3 and
// rich compute them: Keras gives the columns int(0.45 L), int(0.80 L) - int(0.45 L) and the rest;
// rich adds one space of padding on each side, needs L - 4 for the cells (four borders), and takes
// the 10 extra characters back from the columns with ratio_reduce (3, 4 and 3 for any width).
// L = 88, Keras' default: 36, 27 and 15.
struct summary_widths {
    std::size_t name = 0, shape = 0, params = 0;
    constexpr bool operator==(const summary_widths&) const = default;
};
inline constexpr int summary_min_line_length = 40;  // narrower terminals get 40 (Keras raises below ~20)
inline constexpr int summary_default_line_length = 88;
constexpr summary_widths summary_column_widths(int line_length) {
    const int L = std::max(line_length, summary_min_line_length);
    const double positions[3] = {0.45, 0.80, 1.0};
    long long padded[3] = {};
    int current = 0;
    for (int i = 0; i < 3; ++i) {
        const int w = int(positions[i] * L) - current;  // Python's int(): truncation
        padded[i] = w + 2;
        current += w;
    }
    long long remaining = padded[0] + padded[1] + padded[2] - (L - 4), ratio_left = 3;
    long long text[3] = {};
    for (int i = 0; i < 3; ++i) {
        const long long d = std::min(padded[i], round_half_even(remaining, ratio_left));
        text[i] = padded[i] - d - 2;
        remaining -= d;
        ratio_left -= 1;
    }
    return {std::size_t(text[0]), std::size_t(text[1]), std::size_t(text[2])};
}

// The terminal's width in columns as Python's shutil.get_terminal_size() finds it (the COLUMNS
// environment variable, else the terminal on standard output), or 0 when there is none.
inline int terminal_columns() {
    if (const char* c = std::getenv("COLUMNS")) {
        char* end = nullptr;
        const long v = std::strtol(c, &end, 10);
        if (end != c && *end == '\0' && v > 0 && v < 100000) return int(v);
    }
#if defined(_WIN32)
    return 0;
#else
    winsize ws{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 0;
#endif
}

// Keras' line length: min(88, terminal columns - 4) for a summary printed to the terminal (here:
// to std::cout). Anywhere else -- a file, a string stream, std::cout redirected to a log -- 88,
// so logs and tests do not depend on who ran them (Keras would use its 80-column fallback: 76).
inline int summary_line_length(bool to_stdout) {
    if (!to_stdout) return summary_default_line_length;
    const int cols = terminal_columns();
    if (cols <= 0) return summary_default_line_length;
    return std::max(std::min(summary_default_line_length, cols - 4), summary_min_line_length);
}

template <class Os>
bool is_stdout(const Os& os) {
    if constexpr (std::is_base_of_v<std::ostream, Os>) return os.rdbuf() == std::cout.rdbuf();
    else return false;
}

// The summary's text for `count` rows (one function for every network: the template below only
// hands it Net's constants).
struct summary_totals {
    index_t total, trainable, non_trainable;
};
inline std::string summary_text(const summary_row* rows, std::size_t count, summary_totals totals,
                                std::string_view model_name, int bytes_per_param, summary_widths widths) {
    const std::size_t w0 = widths.name, w1 = widths.shape, w2 = widths.params;
    const auto names = keras_names(rows, count);
    auto line = [&](const char* l, const char* fill, const char* mid, const char* r) {
        return std::string(l) + repeat(fill, w0 + 2) + mid + repeat(fill, w1 + 2) + mid + repeat(fill, w2 + 2) + r + "\n";
    };
    std::string out = "Model: \"" + std::string(model_name) + "\"\n";
    out += line("┏", "━", "┳", "┓");
    out += "┃ " + pad_right("Layer (type)", w0) + " ┃ " + pad_right("Output Shape", w1) + " ┃ " + pad_left("Param #", w2) +
           " ┃\n";
    out += line("┡", "━", "╇", "┩");
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) out += line("├", "─", "┼", "┤");
        const auto c0 = wrap(names[i] + " (" + rows[i].keras_class + ")", w0);
        const auto c1 = wrap(shape_text(rows[i].output), w1);
        const auto c2 = wrap(with_commas(rows[i].params), w2);
        const std::size_t h = std::max({c0.size(), c1.size(), c2.size()});
        for (std::size_t k = 0; k < h; ++k)
            out += "│ " + pad_right(k < c0.size() ? c0[k] : "", w0) + " │ " + pad_right(k < c1.size() ? c1[k] : "", w1) +
                   " │ " + pad_left(k < c2.size() ? c2[k] : "", w2) + " │\n";
    }
    out += line("└", "─", "┴", "┘");
    auto total = [&](const char* what, index_t n) {
        out += std::string(" ") + what + ": " + with_commas(n) + " (" + readable_bytes(double(n) * bytes_per_param) + ")\n";
    };
    total("Total params", totals.total);
    total("Trainable params", totals.trainable);
    total("Non-trainable params", totals.non_trainable);
    return out;
}
}  // namespace detail

// Print Net's summary in Keras 3's layout to any stream with operator<< for std::string. Long
// names wrap inside their cell. line_length 0: fit the terminal when `os` is std::cout (Keras:
// min(88, columns - 4)), otherwise Keras' default of 88 columns; or give the width (at least 40).
template <class Net, class Os>
void print_summary(Os& os, std::string_view model_name = "sequential", int bytes_per_param = 4, int line_length = 0) {
    constexpr auto& rows = Net::summary_rows;
    const detail::summary_widths widths = detail::summary_column_widths(
        line_length > 0 ? line_length : detail::summary_line_length(detail::is_stdout(os)));
    os << detail::summary_text(rows.data(), rows.size(),
                               {Net::param_count, Net::trainable_count, Net::non_trainable_count}, model_name,
                               bytes_per_param, widths);
}

}  // namespace typenet
