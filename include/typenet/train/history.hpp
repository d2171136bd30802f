// history: what fit() returns, Keras' History.history: per-epoch values by key; CSV and SVG-chart output.
//
// Keys keep the order in which they were first appended ("loss", "accuracy", "val_loss", ...).
// Value i of a series belongs to epoch i (0-based, as Keras' callbacks and CSVLogger count); a
// series that has fewer values than epochs() is missing its last epochs ("NA" in the CSV, no
// point in the chart). A value that is NaN or infinite is kept as is and skipped in the chart.
//
// Files are written to a temporary file next to the target that is then renamed over it, so a
// failure never leaves a half-written file; failures come back as typenet::status. Nothing here
// throws.
//
// This header also holds the small text, number and SVG helpers that confusion.hpp shares
// (typenet::detail::report); they are not part of the public API.
#pragma once

#include <typenet/core/status.hpp>
#include <typenet/io/npy.hpp>  // io::detail::write_file_atomically

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

TYPENET_BEGIN_STATUS_ASSIGNMENTS  // nvcc only: see core/status.hpp

namespace typenet {

class history {
public:
    // Set when fit refused its input (e.g. a class index outside the output's range); the history
    // is then empty. ok() on success.
    const status& error() const { return error_; }
    void set_error(status s) { error_ = std::move(s); }

    // Keys in the order they were first appended.
    std::vector<std::string> keys() const {
        std::vector<std::string> k;
        k.reserve(series_.size());
        for (const auto& s : series_) k.push_back(s.first);
        return k;
    }

    // Appends one epoch's value to `key`'s series (creating the series at the end of keys()).
    void append(std::string_view key, double value) {
        if (auto* s = find(key)) {
            s->push_back(value);
            return;
        }
        series_.emplace_back(std::string(key), std::vector<double>{value});
    }

    bool has(std::string_view key) const { return find(key) != nullptr; }

    // The series for `key`; an empty vector when there is no such key (check with has()).
    const std::vector<double>& operator[](std::string_view key) const {
        static const std::vector<double> none;
        const auto* s = find(key);
        return s ? *s : none;
    }

    // Number of epochs recorded: the length of the longest series.
    std::size_t epochs() const {
        std::size_t n = 0;
        for (const auto& s : series_) n = std::max(n, s.second.size());
        return n;
    }

    bool empty() const { return series_.empty(); }
    void clear() { series_.clear(); }

    // Keras' CSVLogger layout: header "epoch,<keys...>", then one row per epoch starting at
    // epoch 0. Values are written in the shortest form that reads back to the same double
    // (what Python's repr prints: 0.1, 1e-05, nan, inf); a missing value is "NA".
    status to_csv(const std::filesystem::path& p) const;

    // Training curves as a self-contained SVG image: one panel for the loss and one for each
    // other metric (accuracy, ...), each with its training and val_ series, x = epoch (1-based
    // labels). Keys that are not metrics (learning_rate, lr, seconds, time, epoch) get no panel.
    status to_svg(const std::filesystem::path& p, std::string_view title = "") const;

    // The same two outputs as text (what the files contain).
    std::string csv_text() const;
    std::string svg_text(std::string_view title = "") const;

private:
    status error_;
    std::vector<double>* find(std::string_view key) {
        for (auto& s : series_)
            if (s.first == key) return &s.second;
        return nullptr;
    }
    const std::vector<double>* find(std::string_view key) const {
        for (const auto& s : series_)
            if (s.first == key) return &s.second;
        return nullptr;
    }

    std::vector<std::pair<std::string, std::vector<double>>> series_;
};

// ------------------------------------------------------------------------------------------
// Implementation details shared by the report writers (history, confusion_matrix).
// ------------------------------------------------------------------------------------------
namespace detail::report {

// Shortest text that parses back to the same double; "nan", "inf", "-inf" for the rest.
inline std::string number(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// printf-style formatting into a std::string (short texts only).
template <class... A>
std::string format(const char* fmt, A... args) {
    char buf[128];
    const int n = std::snprintf(buf, sizeof buf, fmt, args...);
    if (n < 0) return {};
    if (static_cast<std::size_t>(n) < sizeof buf) return std::string(buf, static_cast<std::size_t>(n));
    std::string s(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(s.data(), s.size(), fmt, args...);
    s.resize(static_cast<std::size_t>(n));
    return s;
}

// Appends each piece to `o`. Used instead of `o += "<a>" + b + ...`: shorter to run, and g++ 12
// at -O3 gives a false -Wrestrict warning on `"literal" + std::string&&` (GCC bug 105329).
template <class... Pieces>
void put(std::string& o, const Pieces&... pieces) {
    (o.append(std::string_view(pieces)), ...);
}

// An SVG coordinate: two decimals, no "-0.00".
inline std::string coord(double v) {
    std::string s = format("%.2f", v);
    if (s == "-0.00") s = "0.00";
    return s;
}

// Text escaped for XML content and attribute values.
inline std::string xml_escape(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"': r += "&quot;"; break;
            case '\'': r += "&apos;"; break;
            default:
                // Control characters are not allowed in XML 1.0; show them as '?'.
                r += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') ? '?' : c;
        }
    }
    return r;
}

// Display width of UTF-8 text in columns: code points, not bytes.
inline std::size_t text_columns(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// Rough width in pixels of sans-serif text (DejaVu Sans, the usual fallback, averages about
// 0.6 em per character; digits are 0.64 em). Used only to lay out labels and legends.
inline double text_width(std::string_view s, double font_size) {
    return static_cast<double>(text_columns(s)) * 0.62 * font_size;
}

// Writes `text` to `p` through a temporary file that is renamed over `p`.
inline status write_text_file(const std::filesystem::path& p, const std::string& text) {
    return io::detail::write_file_atomically(p, [&](io::detail::file_sink& sink) {
        sink.write(text.data(), text.size());
        return status{};
    });
}

// A 1-2-5 step close to span / target (span > 0).
inline double nice_step(double span, int target) {
    const double raw = span / std::max(target, 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    const double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return nice * mag;
}

// A linear axis: [lo, hi] snapped outwards to multiples of `step`.
struct axis {
    double lo = 0, hi = 1, step = 0.2;
    int decimals = 1;  // digits after the point that tick labels need

    double frac(double v) const { return hi > lo ? (v - lo) / (hi - lo) : 0.5; }

    std::vector<double> ticks() const {
        std::vector<double> t;
        const long long first = std::llround(lo / step), last = std::llround(hi / step);
        for (long long k = first; k <= last && t.size() < 64; ++k) t.push_back(static_cast<double>(k) * step);
        return t;
    }

    std::string label(double v) const {
        std::string s = format("%.*f", decimals, v);
        if (s.size() > 1 && s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
        return s;
    }
};

// Nice axis over the finite range [lo, hi]; a constant range is padded so the line sits in the
// middle; no range at all (lo > hi) gives [0, 1].
inline axis nice_axis(double lo, double hi, int target = 5) {
    if (!(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
    if (hi - lo <= 1e-12 * std::max(std::fabs(lo), std::fabs(hi))) {
        const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    axis a;
    a.step = nice_step(hi - lo, target);
    a.lo = std::floor(lo / a.step + 1e-9) * a.step;
    a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
    a.decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(a.step) - 1e-9)));
    return a;
}

}  // namespace detail::report

// ------------------------------------------------------------------------------------------
// history members
// ------------------------------------------------------------------------------------------

inline std::string history::csv_text() const {
    auto field = [](std::string_view s) {  // RFC 4180 quoting, as Python's csv module does
        if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
        std::string q = "\"";
        for (char c : s) {
            if (c == '"') q += '"';
            q += c;
        }
        return q + "\"";
    };
    std::string out = "epoch";
    for (const auto& s : series_) {
        out += ',';
        out += field(s.first);
    }
    out += "\n";
    const std::size_t n = epochs();
    for (std::size_t e = 0; e < n; ++e) {
        out += std::to_string(e);
        for (const auto& s : series_) {
            out += ",";
            out += e < s.second.size() ? detail::report::number(s.second[e]) : std::string("NA");
        }
        out += "\n";
    }
    return out;
}

inline status history::to_csv(const std::filesystem::path& p) const {
    return detail::report::write_text_file(p, csv_text());
}

inline std::string history::svg_text(std::string_view title) const {
    using namespace detail::report;

    // Panels: "loss" first, then every other metric in key order; each pairs key and val_key.
    auto not_a_metric = [](std::string_view k) {
        return k == "learning_rate" || k == "lr" || k == "seconds" || k == "time" || k == "epoch";
    };
    std::vector<std::string> bases;
    auto add_base = [&](std::string_view b) {
        if (not_a_metric(b)) return;
        if (std::find(bases.begin(), bases.end(), b) == bases.end()) bases.emplace_back(b);
    };
    if (has("loss") || has("val_loss")) add_base("loss");
    for (const auto& s : series_) {
        std::string_view k = s.first;
        if (k.substr(0, 4) == "val_") k.remove_prefix(4);
        add_base(k);
    }
    if (bases.empty()) bases.emplace_back("loss");  // an empty chart still says what it is

    const std::size_t n = epochs();
    constexpr double panel_w = 480, panel_h = 330, title_h = 34;
    constexpr double font = 12, header_font = 14;
    const std::size_t cols = std::min<std::size_t>(bases.size(), 2);
    const std::size_t rows = (bases.size() + cols - 1) / cols;
    const double top = title.empty() ? 0.0 : title_h;
    const double width = panel_w * static_cast<double>(cols);
    const double height = top + panel_h * static_cast<double>(rows);

    static constexpr const char* train_colour = "#1f77b4";  // matplotlib's blue and orange
    static constexpr const char* val_colour = "#e8590c";

    std::string o;
    o.reserve(8192);
    o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    put(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", coord(width), "\" height=\"", coord(height),
        "\" viewBox=\"0 0 ", coord(width), " ", coord(height),
        "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"", coord(font), "\">\n");
    put(o, "<rect x=\"0\" y=\"0\" width=\"", coord(width), "\" height=\"", coord(height), "\" fill=\"#ffffff\"/>\n");
    if (!title.empty())
        put(o, "<text x=\"", coord(width / 2),
            "\" y=\"23\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">", xml_escape(title),
            "</text>\n");

    // x axis, shared by all panels: epochs 1..n with a small margin; one epoch sits in the middle.
    const double x_lo = n <= 1 ? 0.0 : 1.0 - 0.03 * static_cast<double>(n - 1);
    const double x_hi = n <= 1 ? 2.0 : static_cast<double>(n) + 0.03 * static_cast<double>(n - 1);
    std::vector<std::size_t> x_ticks;
    {
        const std::size_t last = std::max<std::size_t>(n, 1);
        const std::size_t step =
            std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(nice_step(static_cast<double>(last), 8))));
        if (step >= 5) x_ticks.push_back(1);
        for (std::size_t e = step; e <= last; e += step) x_ticks.push_back(e);
    }

    // Each panel's series (training, then validation), value range and y axis.
    struct line {
        const std::string* key;
        const std::vector<double>* v;
        bool validation;
        std::size_t skipped;  // NaN or infinite values, left out of the line
    };
    struct panel {
        std::vector<line> lines;
        double lo = INFINITY, hi = -INFINITY;
        axis y;
    };
    std::vector<panel> panels(bases.size());
    double label_w = 0;  // widest y tick label of all panels: plot areas line up in a column
    for (std::size_t pi = 0; pi < bases.size(); ++pi) {
        panel& pa = panels[pi];
        const std::string val = "val_" + bases[pi];
        for (int pass = 0; pass < 2; ++pass)
            for (const auto& s : series_)
                if (s.first == (pass == 0 ? bases[pi] : val)) pa.lines.push_back({&s.first, &s.second, pass == 1, 0});
        for (auto& l : pa.lines)
            for (double v : *l.v) {
                if (std::isfinite(v))
                    pa.lo = std::min(pa.lo, v), pa.hi = std::max(pa.hi, v);
                else
                    ++l.skipped;
            }
        pa.y = nice_axis(pa.lo, pa.hi, 5);
        for (double t : pa.y.ticks()) label_w = std::max(label_w, text_width(pa.y.label(t), font));
    }

    for (std::size_t pi = 0; pi < bases.size(); ++pi) {
        const std::string& base = bases[pi];
        const std::vector<line>& lines = panels[pi].lines;
        const double lo = panels[pi].lo, hi = panels[pi].hi;
        const axis& y = panels[pi].y;
        const std::vector<double> y_ticks = y.ticks();
        // Legend text: the key, and how many values could not be drawn.
        auto legend_text = [](const line& l) {
            return l.skipped == 0 ? *l.key : *l.key + " (" + std::to_string(l.skipped) + " not finite)";
        };

        const double ox = panel_w * static_cast<double>(pi % cols);
        const double oy = top + panel_h * static_cast<double>(pi / cols);
        const double left = std::max(44.0, label_w + 18), right = 18, bottom = 46;
        // Legend, right-aligned beside the title; where they would meet, in rows below the title
        // (as many as the entries need). Each entry: a line sample with a marker, then its text.
        const double sample = 26, gap = 6, spacing = 16;
        std::vector<double> entry_w;
        double legend_w = 0;
        for (const auto& l : lines) {
            entry_w.push_back(sample + gap + text_width(legend_text(l), font));
            legend_w += entry_w.back() + (entry_w.size() > 1 ? spacing : 0);
        }
        const double avail = panel_w - right - left;
        const bool legend_below = avail - legend_w < text_width(base, header_font) + 20;
        std::vector<std::pair<double, double>> entry_at;  // text baseline position of each entry
        double rows_below = 0;
        if (!legend_below) {
            double x = left + avail - legend_w;
            for (double w : entry_w) entry_at.emplace_back(x, 24), x += w + spacing;
        } else {
            double x = left;
            for (double w : entry_w) {
                if (x > left && x + w > left + avail) x = left, ++rows_below;
                entry_at.emplace_back(x, 46 + 16 * rows_below);
                x += w + spacing;
            }
            ++rows_below;
        }
        const double head = 44 + 16 * rows_below;
        const double pw = panel_w - left - right, ph = panel_h - head - bottom;
        auto px = [&](double e) { return left + (e - x_lo) / (x_hi - x_lo) * pw; };
        auto py = [&](double v) { return head + (1.0 - y.frac(v)) * ph; };

        put(o, "<g class=\"panel\" data-metric=\"", xml_escape(base), "\" transform=\"translate(", coord(ox), ",",
            coord(oy), ")\">\n");
        put(o, "<text x=\"", coord(left), "\" y=\"24\" font-size=\"", coord(header_font), "\" font-weight=\"bold\">",
            xml_escape(base), "</text>\n");

        for (std::size_t li = 0; li < lines.size(); ++li) {
            const line& l = lines[li];
            const double lx = entry_at[li].first, ly = entry_at[li].second;
            const char* colour = l.validation ? val_colour : train_colour;
            put(o, "<line x1=\"", coord(lx), "\" y1=\"", coord(ly - 4), "\" x2=\"", coord(lx + sample), "\" y2=\"",
                coord(ly - 4), "\" stroke=\"", colour, "\" stroke-width=\"2\"",
                (l.validation ? " stroke-dasharray=\"6 3\"" : ""), "/>\n");
            put(o, "<circle cx=\"", coord(lx + sample / 2), "\" cy=\"", coord(ly - 4), "\" r=\"3\" fill=\"",
                (l.validation ? "#ffffff" : colour), "\" stroke=\"", colour, "\" stroke-width=\"1.5\"/>\n");
            put(o, "<text x=\"", coord(lx + sample + gap), "\" y=\"", coord(ly), "\">", xml_escape(legend_text(l)),
                "</text>\n");
        }

        // Plot area, gridlines and tick labels.
        put(o, "<rect x=\"", coord(left), "\" y=\"", coord(head), "\" width=\"", coord(pw), "\" height=\"",
            coord(ph), "\" fill=\"#fbfbfb\" stroke=\"#bbbbbb\"/>\n");
        for (double t : y_ticks) {
            const double yy = py(t);
            put(o, "<line x1=\"", coord(left), "\" y1=\"", coord(yy), "\" x2=\"", coord(left + pw), "\" y2=\"",
                coord(yy), "\" stroke=\"#e2e2e2\"/>\n");
            put(o, "<text x=\"", coord(left - 6), "\" y=\"", coord(yy + 4),
                "\" text-anchor=\"end\" fill=\"#444444\">", y.label(t), "</text>\n");
        }
        for (std::size_t e : x_ticks) {
            const double xx = px(static_cast<double>(e));
            put(o, "<line x1=\"", coord(xx), "\" y1=\"", coord(head), "\" x2=\"", coord(xx), "\" y2=\"",
                coord(head + ph), "\" stroke=\"#e2e2e2\"/>\n");
            put(o, "<text x=\"", coord(xx), "\" y=\"", coord(head + ph + 16),
                "\" text-anchor=\"middle\" fill=\"#444444\">", std::to_string(e), "</text>\n");
        }
        put(o, "<text x=\"", coord(left + pw / 2), "\" y=\"", coord(panel_h - 8),
            "\" text-anchor=\"middle\" fill=\"#222222\">epoch</text>\n");
        if (lines.empty() || !(lo <= hi))
            put(o, "<text x=\"", coord(left + pw / 2), "\" y=\"", coord(head + ph / 2),
                "\" text-anchor=\"middle\" fill=\"#888888\">no data</text>\n");

        // One polyline per series over its finite values, then a marker (with a tooltip) per point.
        for (const auto& l : lines) {
            const char* colour = l.validation ? val_colour : train_colour;
            std::string pts;
            std::size_t count = 0;
            for (std::size_t e = 0; e < l.v->size(); ++e) {
                const double v = (*l.v)[e];
                if (!std::isfinite(v)) continue;
                if (count++) pts += ' ';
                pts += coord(px(static_cast<double>(e + 1))) + "," + coord(py(v));
            }
            if (count == 0) continue;
            put(o, "<polyline class=\"series\" data-key=\"", xml_escape(*l.key), "\" fill=\"none\" stroke=\"",
                colour, "\" stroke-width=\"2\" stroke-linejoin=\"round\"",
                (l.validation ? " stroke-dasharray=\"6 3\"" : ""), " points=\"", pts, "\"/>\n");
            const double r = n <= 40 ? 3.0 : n <= 120 ? 2.0 : 0.0;
            if (r == 0) continue;
            for (std::size_t e = 0; e < l.v->size(); ++e) {
                const double v = (*l.v)[e];
                if (!std::isfinite(v)) continue;
                put(o, "<circle cx=\"", coord(px(static_cast<double>(e + 1))), "\" cy=\"", coord(py(v)), "\" r=\"",
                    coord(r), "\" fill=\"", (l.validation ? "#ffffff" : colour), "\" stroke=\"", colour,
                    "\" stroke-width=\"1.5\"><title>", xml_escape(*l.key), " epoch ", std::to_string(e + 1), ": ",
                    number(v), "</title></circle>\n");
            }
        }
        o += "</g>\n";
    }
    o += "</svg>\n";
    return o;
}

inline status history::to_svg(const std::filesystem::path& p, std::string_view title) const {
    return detail::report::write_text_file(p, svg_text(title));
}

}  // namespace typenet

TYPENET_END_STATUS_ASSIGNMENTS
