// confusion_matrix: (true class, predicted class) counts; accuracy, precision, recall; a text table and an SVG heat map.
//
// Rows are true classes, columns predicted classes (scikit-learn's and Keras' convention).
// A pair with a class outside [0, classes) is not counted in the matrix but in ignored().
// Undefined ratios (no samples for a class, or no samples at all) are 0, as Keras' metrics
// return for a division by zero.
#pragma once

#include <typenet/core/config.hpp>
#include <typenet/core/status.hpp>
#include <typenet/train/history.hpp>  // detail::report: text, number and SVG helpers

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace typenet {

class confusion_matrix {
public:
    explicit confusion_matrix(int classes)
        : classes_(std::max(classes, 0)),
          counts_(static_cast<std::size_t>(classes_) * static_cast<std::size_t>(classes_), 0) {}

    int classes() const { return classes_; }

    // Counts one sample; a class outside [0, classes) is counted in ignored() instead.
    void add(int truth, int predicted) {
        if (!in_range(truth) || !in_range(predicted)) {
            ++ignored_;
            return;
        }
        ++counts_[at(truth, predicted)];
    }

    // Adds every count of `other` (same number of classes; otherwise all of its samples are ignored).
    void merge(const confusion_matrix& other) {
        if (other.classes_ != classes_) {
            ignored_ += other.total() + other.ignored_;
            return;
        }
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        ignored_ += other.ignored_;
    }

    void reset() {
        std::fill(counts_.begin(), counts_.end(), index_t{0});
        ignored_ = 0;
    }

    // Samples with true class `truth` predicted as `predicted`; 0 outside the matrix.
    index_t count(int truth, int predicted) const {
        return in_range(truth) && in_range(predicted) ? counts_[at(truth, predicted)] : 0;
    }

    index_t ignored() const { return ignored_; }

    // Samples counted in the matrix (not including ignored ones).
    index_t total() const {
        index_t t = 0;
        for (index_t c : counts_) t += c;
        return t;
    }
    index_t correct() const {
        index_t t = 0;
        for (int i = 0; i < classes_; ++i) t += counts_[at(i, i)];
        return t;
    }
    // Samples whose true class is `c` (row sum) / that were predicted as `c` (column sum).
    index_t true_count(int c) const {
        index_t t = 0;
        for (int j = 0; j < classes_ && in_range(c); ++j) t += counts_[at(c, j)];
        return t;
    }
    index_t predicted_count(int c) const {
        index_t t = 0;
        for (int i = 0; i < classes_ && in_range(c); ++i) t += counts_[at(i, c)];
        return t;
    }

    double accuracy() const { return ratio(correct(), total()); }
    // Of the samples predicted as c, the fraction that are c.
    double precision(int c) const { return ratio(count(c, c), predicted_count(c)); }
    // Of the samples that are c, the fraction predicted as c.
    double recall(int c) const { return ratio(count(c, c), true_count(c)); }
    double f1(int c) const {
        const double p = precision(c), r = recall(c);
        return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    }

    // Name of class c: names[c] when given and non-empty, else its number.
    std::string class_name(int c, const std::vector<std::string>& names = {}) const {
        if (c >= 0 && static_cast<std::size_t>(c) < names.size() && !names[static_cast<std::size_t>(c)].empty())
            return names[static_cast<std::size_t>(c)];
        return std::to_string(c);
    }

    // An aligned text table: a row per true class, a column per predicted class, then each
    // class's recall, a last row with each class's precision, and a summary line:
    //
    //     true \ predicted  cat  dog  bird  recall
    //     cat                50    3     2   0.909
    //     ...
    //     precision       0.909 0.889 0.855
    //     accuracy 0.913 (150 samples)
    //
    // `os` is anything with operator<< for std::string (std::ostream, a string builder, ...).
    template <class Os>
    void print(Os& os, const std::vector<std::string>& names = {}) const {
        os << table_text(names);
    }

    // The table print() writes.
    std::string table_text(const std::vector<std::string>& names = {}) const;

    // A heat map: one cell per (true, predicted) pair shaded by its count, with the count
    // written in it, class names on both axes, axis titles "true" and "predicted", a colour
    // scale, and the accuracy. Written to a temporary file that is renamed over `p`.
    status to_svg(const std::filesystem::path& p, const std::vector<std::string>& names = {}) const {
        return detail::report::write_text_file(p, svg_text(names));
    }

    // The SVG to_svg() writes.
    std::string svg_text(const std::vector<std::string>& names = {}) const;

private:
    bool in_range(int c) const { return c >= 0 && c < classes_; }
    std::size_t at(int t, int p) const {
        return static_cast<std::size_t>(t) * static_cast<std::size_t>(classes_) + static_cast<std::size_t>(p);
    }
    static double ratio(index_t a, index_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

    int classes_;
    std::vector<index_t> counts_;  // (classes, classes), row = true class
    index_t ignored_ = 0;
};

// ------------------------------------------------------------------------------------------
// confusion_matrix members
// ------------------------------------------------------------------------------------------

inline std::string confusion_matrix::table_text(const std::vector<std::string>& names) const {
    using detail::report::format;
    using detail::report::put;
    using detail::report::text_columns;
    const std::string corner = "true \\ predicted";
    std::vector<std::string> label(static_cast<std::size_t>(classes_));
    for (int c = 0; c < classes_; ++c) label[static_cast<std::size_t>(c)] = class_name(c, names);

    // Column widths: the row-label column fits the corner, every name and "precision"; each
    // count column fits its name, its counts and a three-decimal ratio.
    std::size_t first = std::max(text_columns(corner), text_columns("precision"));
    for (const auto& l : label) first = std::max(first, text_columns(l));
    std::vector<std::size_t> w(static_cast<std::size_t>(classes_));
    for (int j = 0; j < classes_; ++j) {
        std::size_t cw = std::max<std::size_t>(5, text_columns(label[static_cast<std::size_t>(j)]));
        for (int i = 0; i < classes_; ++i) cw = std::max(cw, std::to_string(count(i, j)).size());
        w[static_cast<std::size_t>(j)] = cw;
    }
    auto pad_right = [](std::string s, std::size_t width) {
        const std::size_t n = text_columns(s);
        if (n < width) s.append(width - n, ' ');
        return s;
    };
    auto pad_left = [](const std::string& s, std::size_t width) {
        const std::size_t n = text_columns(s);
        return n < width ? std::string(width - n, ' ') + s : s;
    };
    auto trim = [](std::string s) {
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s;
    };

    std::string out;
    std::string row = pad_right(corner, first);
    for (int j = 0; j < classes_; ++j)
        put(row, "  ", pad_left(label[static_cast<std::size_t>(j)], w[static_cast<std::size_t>(j)]));
    row += "  recall";
    out += trim(row) + "\n";
    for (int i = 0; i < classes_; ++i) {
        row = pad_right(label[static_cast<std::size_t>(i)], first);
        for (int j = 0; j < classes_; ++j)
            put(row, "  ", pad_left(std::to_string(count(i, j)), w[static_cast<std::size_t>(j)]));
        put(row, "  ", pad_left(format("%.3f", recall(i)), 6));
        out += row + "\n";
    }
    row = pad_right("precision", first);
    for (int j = 0; j < classes_; ++j)
        put(row, "  ", pad_left(format("%.3f", precision(j)), w[static_cast<std::size_t>(j)]));
    out += row + "\n";
    out += format("accuracy %.3f (%lld samples", accuracy(), static_cast<long long>(total()));
    if (ignored_ > 0) out += format(", %lld ignored", static_cast<long long>(ignored_));
    out += ")\n";
    return out;
}

namespace detail::report {

// matplotlib's "Blues" colour map at t in [0, 1] (white to dark blue), as "#rrggbb".
inline std::string blues(double t) {
    static constexpr unsigned char stops[9][3] = {{247, 251, 255}, {222, 235, 247}, {198, 219, 239},
                                                  {158, 202, 225}, {107, 174, 214}, {66, 146, 198},
                                                  {33, 113, 181},  {8, 81, 156},    {8, 48, 107}};
    t = std::clamp(t, 0.0, 1.0) * 8.0;
    const int i = std::min(static_cast<int>(t), 7);
    const double f = t - i;
    int rgb[3];
    for (int k = 0; k < 3; ++k)
        rgb[k] = static_cast<int>(std::lround(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f));
    return format("#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

}  // namespace detail::report

inline std::string confusion_matrix::svg_text(const std::vector<std::string>& names) const {
    using namespace detail::report;
    const int k = classes_;
    const double font = 12;
    // Cells shrink with many classes; counts are written only where they fit.
    const double cell = k <= 10 ? 52.0 : std::max(10.0, 520.0 / k);
    index_t max_count = 0;
    for (index_t c : counts_) max_count = std::max(max_count, c);
    std::size_t max_digits = std::to_string(max_count).size();
    const double count_font = std::min(font, (cell - 6) / (0.64 * static_cast<double>(max_digits)));
    const bool write_counts = count_font >= 7;
    const double label_font = std::min(font, std::max(6.0, cell - 3));

    double label_w = 0;
    for (int c = 0; c < k; ++c) label_w = std::max(label_w, text_width(class_name(c, names), label_font));
    // Column labels stand upright under their cells when they fit; else they are turned 45
    // degrees, or 90 where cells are so narrow that slanted neighbours would overlap.
    const double angle = label_w <= cell - 4 ? 0.0 : cell * 0.7071 >= label_font + 2 ? 45.0 : 90.0;
    const double col_label_h = angle == 0 ? label_font + 4 : angle == 45 ? label_w * 0.7071 + label_font : label_w + 6;
    const double row_label_w = label_w;

    const double grid = cell * k;
    const double left = 28 + row_label_w + 10;  // "true" title, row labels, gap
    const double top = 58;                       // title and accuracy line
    const double bar_x = left + grid + 24, bar_w = 16;
    const double scale_label_w = text_width(std::to_string(std::max<index_t>(max_count, 1)), font);
    const double width = std::max(bar_x + bar_w + 8 + scale_label_w + 16, 280.0);
    const double height = top + grid + 8 + col_label_h + 30;

    std::string o;
    o.reserve(4096 + counts_.size() * 160);
    o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    put(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", coord(width), "\" height=\"", coord(height),
        "\" viewBox=\"0 0 ", coord(width), " ", coord(height),
        "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"", coord(font), "\">\n");
    o += "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
    for (int s = 0; s <= 8; ++s)
        put(o, "<stop offset=\"", format("%.3f", s / 8.0), "\" stop-color=\"", blues(s / 8.0), "\"/>");
    o += "</linearGradient></defs>\n";
    put(o, "<rect x=\"0\" y=\"0\" width=\"", coord(width), "\" height=\"", coord(height), "\" fill=\"#ffffff\"/>\n");
    put(o, "<text x=\"", coord(left), "\" y=\"22\" font-size=\"15\" font-weight=\"bold\">confusion matrix</text>\n");
    std::string summary = format("accuracy %.3f, %lld samples", accuracy(), static_cast<long long>(total()));
    if (ignored_ > 0) summary += format(", %lld ignored", static_cast<long long>(ignored_));
    put(o, "<text x=\"", coord(left), "\" y=\"42\" fill=\"#444444\">", summary, "</text>\n");

    // Cells: shade by count relative to the largest; white text on dark cells.
    for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) {
            const index_t c = count(i, j);
            const double t = max_count > 0 ? static_cast<double>(c) / static_cast<double>(max_count) : 0.0;
            const double x = left + cell * j, y = top + cell * i;
            put(o, "<rect class=\"cell\" x=\"", coord(x), "\" y=\"", coord(y), "\" width=\"", coord(cell),
                "\" height=\"", coord(cell), "\" fill=\"", blues(t), "\" stroke=\"#ffffff\"><title>true ",
                xml_escape(class_name(i, names)), ", predicted ", xml_escape(class_name(j, names)), ": ",
                std::to_string(c), "</title></rect>\n");
            if (write_counts)
                put(o, "<text x=\"", coord(x + cell / 2), "\" y=\"", coord(y + cell / 2 + count_font * 0.36),
                    "\" text-anchor=\"middle\" font-size=\"", coord(count_font), "\" fill=\"",
                    (t > 0.55 ? "#ffffff" : "#1a1a1a"), "\"", (i == j ? " font-weight=\"bold\"" : ""), ">",
                    std::to_string(c), "</text>\n");
        }
    }
    put(o, "<rect x=\"", coord(left), "\" y=\"", coord(top), "\" width=\"", coord(grid), "\" height=\"", coord(grid),
        "\" fill=\"none\" stroke=\"#888888\"/>\n");

    // Row labels (true class) to the left, column labels (predicted) below, and axis titles.
    for (int i = 0; i < k; ++i)
        put(o, "<text x=\"", coord(left - 6), "\" y=\"", coord(top + cell * i + cell / 2 + label_font * 0.36),
            "\" text-anchor=\"end\" font-size=\"", coord(label_font), "\">", xml_escape(class_name(i, names)),
            "</text>\n");
    for (int j = 0; j < k; ++j) {
        const double x = left + cell * j + cell / 2, y = top + grid + 6 + label_font;
        if (angle == 45)
            put(o, "<text x=\"", coord(x), "\" y=\"", coord(y), "\" text-anchor=\"end\" font-size=\"",
                coord(label_font), "\" transform=\"rotate(-45 ", coord(x), " ", coord(y), ")\">",
                xml_escape(class_name(j, names)), "</text>\n");
        else if (angle == 90)  // reads upwards, its end at the grid, centred on the column
            put(o, "<text x=\"", coord(x + label_font * 0.36), "\" y=\"", coord(top + grid + 6),
                "\" text-anchor=\"end\" font-size=\"", coord(label_font), "\" transform=\"rotate(-90 ",
                coord(x + label_font * 0.36), " ", coord(top + grid + 6), ")\">", xml_escape(class_name(j, names)),
                "</text>\n");
        else
            put(o, "<text x=\"", coord(x), "\" y=\"", coord(y), "\" text-anchor=\"middle\" font-size=\"",
                coord(label_font), "\">", xml_escape(class_name(j, names)), "</text>\n");
    }
    put(o, "<text x=\"", coord(left + grid / 2), "\" y=\"", coord(height - 10),
        "\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"#222222\">predicted</text>\n");
    put(o, "<text x=\"18\" y=\"", coord(top + grid / 2),
        "\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"#222222\"", " transform=\"rotate(-90 18 ",
        coord(top + grid / 2), ")\">true</text>\n");

    // Colour scale: the gradient with nice ticks from 0 to the largest count.
    const index_t scale_max = std::max<index_t>(max_count, 1);
    put(o, "<rect x=\"", coord(bar_x), "\" y=\"", coord(top), "\" width=\"", coord(bar_w), "\" height=\"",
        coord(grid), "\" fill=\"url(#scale)\" stroke=\"#888888\"/>\n");
    const double step = std::max(1.0, std::round(nice_step(static_cast<double>(scale_max), 5)));
    for (double v = 0; v <= static_cast<double>(scale_max) + 1e-9; v += step) {
        const double y = top + grid * (1.0 - v / static_cast<double>(scale_max));
        put(o, "<line x1=\"", coord(bar_x + bar_w), "\" y1=\"", coord(y), "\" x2=\"", coord(bar_x + bar_w + 4),
            "\" y2=\"", coord(y), "\" stroke=\"#888888\"/>\n");
        put(o, "<text x=\"", coord(bar_x + bar_w + 7), "\" y=\"", coord(y + 4), "\" fill=\"#444444\">",
            std::to_string(static_cast<long long>(v)), "</text>\n");
    }
    o += "</svg>\n";
    return o;
}

}  // namespace typenet
