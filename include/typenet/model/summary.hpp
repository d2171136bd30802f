// summary: Keras 3's model.summary() table -- layer names (conv2d, conv2d_1, ...), output shapes,
// parameter counts, and the Total / Trainable / Non-trainable footer with memory sizes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

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
template <std::size_t R>
std::vector<std::string> keras_names(const std::array<summary_row, R>& rows) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < R; ++i) {
        int before = 0;
        for (std::size_t j = 0; j < i; ++j) before += std::string_view(rows[j].name) == rows[i].name;
        names.push_back(before == 0 ? std::string(rows[i].name) : std::string(rows[i].name) + "_" + std::to_string(before));
    }
    return names;
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

// Print Net's summary in Keras 3's layout to any stream with operator<< for std::string.
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
}  // namespace detail

// Print Net's summary in Keras 3's layout (88 columns; long names wrap inside their cell) to any
// stream with operator<< for std::string.
template <class Net, class Os>
void print_summary(Os& os, std::string_view model_name = "sequential", int bytes_per_param = 4) {
    constexpr auto& rows = Net::summary_rows;
    constexpr std::size_t w0 = 36, w1 = 27, w2 = 15;  // Keras' default widths for a sequential model
    const auto names = detail::keras_names(rows);
    auto line = [&](const char* l, const char* fill, const char* mid, const char* r) {
        return std::string(l) + detail::repeat(fill, w0 + 2) + mid + detail::repeat(fill, w1 + 2) + mid +
               detail::repeat(fill, w2 + 2) + r + "\n";
    };
    std::string out = "Model: \"" + std::string(model_name) + "\"\n";
    out += line("┏", "━", "┳", "┓");
    out += "┃ " + detail::pad_right("Layer (type)", w0) + " ┃ " + detail::pad_right("Output Shape", w1) + " ┃ " +
           detail::pad_left("Param #", w2) + " ┃\n";
    out += line("┡", "━", "╇", "┩");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) out += line("├", "─", "┼", "┤");
        const auto c0 = detail::wrap(names[i] + " (" + rows[i].keras_class + ")", w0);
        const auto c1 = detail::wrap(detail::shape_text(rows[i].output), w1);
        const auto c2 = detail::wrap(detail::with_commas(rows[i].params), w2);
        const std::size_t h = std::max({c0.size(), c1.size(), c2.size()});
        for (std::size_t k = 0; k < h; ++k)
            out += "│ " + detail::pad_right(k < c0.size() ? c0[k] : "", w0) + " │ " +
                   detail::pad_right(k < c1.size() ? c1[k] : "", w1) + " │ " +
                   detail::pad_left(k < c2.size() ? c2[k] : "", w2) + " │\n";
    }
    out += line("└", "─", "┴", "┘");
    auto total = [&](const char* what, index_t n) {
        out += std::string(" ") + what + ": " + detail::with_commas(n) + " (" +
               detail::readable_bytes(double(n) * bytes_per_param) + ")\n";
    };
    total("Total params", Net::param_count);
    total("Trainable params", Net::trainable_count);
    total("Non-trainable params", Net::non_trainable_count);
    os << out;
}

}  // namespace typenet
