// Tests for typenet/train/history.hpp: series, CSV (exact text, read back), SVG (well-formed, polylines), atomic writes.
#include <doctest/doctest.h>

#include <typenet/train/history.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;
using typenet::history;

namespace {

// Concatenates its pieces. (`"literal" + std::string&&` makes g++ 12 at -O3 warn falsely,
// -Wrestrict, GCC bug 105329, so texts here are appended piece by piece.)
template <class... Pieces>
std::string cat(const Pieces&... pieces) {
    std::string s;
    (s.append(std::string_view(pieces)), ...);
    return s;
}

struct temp_dir {
    fs::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path = fs::temp_directory_path() /
               cat("typenet_history_test_", std::to_string(stamp), "_", std::to_string(counter++));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE_MESSAGE(f.good(), "cannot open " << p.string());
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::size_t occurrences(std::string_view s, std::string_view part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string_view::npos; at = s.find(part, at + part.size())) ++n;
    return n;
}

// A tiny XML well-formedness check: balanced and properly nested tags, one root element,
// quoted attributes with an even number of quotes, only the five predefined entities or
// character references, no markup characters in text. Returns "" when the document is fine.
std::string xml_problem(std::string_view s) {
    std::vector<std::string> open;
    bool root_seen = false;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '&') {
            const std::size_t semi = s.find(';', i);
            if (semi == std::string_view::npos) return cat("unterminated entity at ", std::to_string(i));
            const std::string_view ent = s.substr(i + 1, semi - i - 1);
            if (ent != "amp" && ent != "lt" && ent != "gt" && ent != "quot" && ent != "apos" &&
                !(ent.size() > 1 && ent[0] == '#'))
                return cat("unknown entity &", ent, ";");
        }
        if (s[i] == '>') return cat("stray '>' at ", std::to_string(i));
        if (s[i] != '<') {
            if (open.empty() && !std::isspace(static_cast<unsigned char>(s[i])))
                return cat("text outside the root element at ", std::to_string(i));
            ++i;
            continue;
        }
        if (s.substr(i, 2) == "<?") {
            const std::size_t end = s.find("?>", i);
            if (end == std::string_view::npos || root_seen) return "bad processing instruction";
            i = end + 2;
            continue;
        }
        if (s.substr(i, 4) == "<!--") {
            const std::size_t end = s.find("-->", i);
            if (end == std::string_view::npos) return "unterminated comment";
            i = end + 3;
            continue;
        }
        const std::size_t end = s.find('>', i);
        if (end == std::string_view::npos) return cat("unterminated tag at ", std::to_string(i));
        const std::string_view tag = s.substr(i + 1, end - i - 1);
        if (tag.find('<') != std::string_view::npos) return cat("'<' inside a tag at ", std::to_string(i));
        if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return cat("unbalanced quotes in <", tag, ">");
        if (!tag.empty() && tag[0] == '/') {
            const std::string name(tag.substr(1));
            if (open.empty() || open.back() != name) return cat("</", name, "> does not close the open element");
            open.pop_back();
        } else {
            const bool self_closing = !tag.empty() && tag.back() == '/';
            const std::string name(tag.substr(0, tag.find_first_of(" \t\n/")));
            if (name.empty()) return cat("element without a name at ", std::to_string(i));
            if (open.empty() && root_seen) return cat("second root element <", name, ">");
            root_seen = true;
            if (!self_closing) open.push_back(name);
        }
        i = end + 1;
    }
    if (!open.empty()) return cat("<", open.back(), "> is never closed");
    if (!root_seen) return "no root element";
    return "";
}

// The value of attribute `name` in the tag text `tag`, or "" if missing.
std::string attribute(std::string_view tag, std::string_view name) {
    const std::string key = cat(" ", name, "=\"");
    const std::size_t at = tag.find(key);
    if (at == std::string_view::npos) return "";
    const std::size_t from = at + key.size();
    return std::string(tag.substr(from, tag.find('"', from) - from));
}

// data-key -> number of points of every <polyline> (each point must be two finite numbers).
std::map<std::string, std::size_t> polylines(std::string_view svg) {
    std::map<std::string, std::size_t> out;
    for (std::size_t at = svg.find("<polyline"); at != std::string_view::npos; at = svg.find("<polyline", at + 1)) {
        const std::string_view tag = svg.substr(at, svg.find('>', at) - at);
        const std::string key = attribute(tag, "data-key");
        CHECK_MESSAGE(out.count(key) == 0, "two polylines for " << key);
        std::istringstream points(attribute(tag, "points"));
        std::string pt;
        std::size_t n = 0;
        while (points >> pt) {
            const std::size_t comma = pt.find(',');
            REQUIRE_MESSAGE(comma != std::string::npos, "point without a comma: " << pt);
            const double x = std::strtod(pt.substr(0, comma).c_str(), nullptr);
            const double y = std::strtod(pt.substr(comma + 1).c_str(), nullptr);
            CHECK(std::isfinite(x));
            CHECK(std::isfinite(y));
            ++n;
        }
        out[key] = n;
    }
    return out;
}

// Splits CSV text into rows of fields (no quoting needed for the numeric part).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::size_t from = 0;
        for (std::size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1)
            fields.push_back(line.substr(from, comma - from));
        fields.push_back(line.substr(from));
        rows.push_back(fields);
    }
    return rows;
}

history keras_like(int epochs) {
    history h;
    for (int e = 0; e < epochs; ++e) {
        h.append("loss", 2.0 / (e + 1));
        h.append("accuracy", 1.0 - 0.5 / (e + 1));
        h.append("val_loss", 2.2 / (e + 1));
        h.append("val_accuracy", 1.0 - 0.6 / (e + 1));
        h.append("learning_rate", 0.001);
        h.append("seconds", 9.5);
    }
    return h;
}

}  // namespace

TEST_CASE("history: keys keep insertion order; series, has, operator[] and epochs") {
    history h;
    CHECK(h.empty());
    CHECK(h.epochs() == 0);
    CHECK(h.keys().empty());
    h.append("loss", 0.5);
    h.append("accuracy", 0.75);
    h.append("val_loss", 0.6);
    h.append("loss", 0.25);
    h.append("accuracy", 0.875);
    CHECK(h.keys() == std::vector<std::string>{"loss", "accuracy", "val_loss"});
    CHECK(h["loss"] == std::vector<double>{0.5, 0.25});
    CHECK(h["accuracy"] == std::vector<double>{0.75, 0.875});
    CHECK(h["val_loss"] == std::vector<double>{0.6});
    CHECK(h.epochs() == 2);  // the longest series
    CHECK(h.has("loss"));
    CHECK_FALSE(h.has("val_accuracy"));
    CHECK(h["val_accuracy"].empty());  // missing key: an empty series, no insertion
    CHECK(h.keys().size() == 3);
    const std::string key = "loss";
    CHECK(h[std::string_view(key)].size() == 2);
    h.clear();
    CHECK(h.empty());
    CHECK(h.epochs() == 0);
}

TEST_CASE("history: CSV is Keras' CSVLogger layout, exactly") {
    history h;
    h.append("loss", 0.5);
    h.append("accuracy", 0.75);
    h.append("val_loss", 0.1);
    h.append("loss", 0.25);
    h.append("accuracy", 0.875);
    h.append("val_loss", 1e-05);
    CHECK(h.csv_text() ==
          "epoch,loss,accuracy,val_loss\n"
          "0,0.5,0.75,0.1\n"
          "1,0.25,0.875,1e-05\n");

    temp_dir dir;
    const fs::path p = dir.path / "log.csv";
    const typenet::status s = h.to_csv(p);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(slurp(p) == h.csv_text());
    CHECK(dir.entries() == std::vector<std::string>{"log.csv"});  // no temporary file left behind
}

TEST_CASE("history: CSV writes NA for missing epochs, nan and inf as Python does, and quotes odd keys") {
    history h;
    h.append("loss", std::numeric_limits<double>::quiet_NaN());
    h.append("loss", std::numeric_limits<double>::infinity());
    h.append("loss", -std::numeric_limits<double>::infinity());
    h.append("val_loss", -0.0);
    h.append("top,5 \"acc\"", 3);
    CHECK(h.csv_text() ==
          "epoch,loss,val_loss,\"top,5 \"\"acc\"\"\"\n"
          "0,nan,-0,3\n"
          "1,inf,NA,NA\n"
          "2,-inf,NA,NA\n");
    history empty;
    CHECK(empty.csv_text() == "epoch\n");
}

TEST_CASE("history: CSV values read back to the same doubles") {
    const std::vector<double> values = {0.1 + 0.2,
                                        1.0 / 3.0,
                                        2.0 / 3.0,
                                        static_cast<double>(0.1f),  // a float metric widened to double
                                        1e-300,
                                        std::numeric_limits<double>::denorm_min(),
                                        std::numeric_limits<double>::max(),
                                        -123456789.123456789,
                                        std::nextafter(1.0, 2.0),
                                        12345678901234567890.0};
    history h;
    for (double v : values) {
        h.append("loss", v);
        h.append("val_loss", -v);
    }
    temp_dir dir;
    const fs::path p = dir.path / "h.csv";
    REQUIRE(h.to_csv(p).ok());
    const auto rows = parse_csv(slurp(p));
    REQUIRE(rows.size() == values.size() + 1);
    CHECK(rows[0] == std::vector<std::string>{"epoch", "loss", "val_loss"});
    for (std::size_t e = 0; e < values.size(); ++e) {
        REQUIRE(rows[e + 1].size() == 3);
        CHECK(rows[e + 1][0] == std::to_string(e));
        const double a = std::strtod(rows[e + 1][1].c_str(), nullptr);
        const double b = std::strtod(rows[e + 1][2].c_str(), nullptr);
        CHECK(std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(values[e]));
        CHECK(std::bit_cast<std::uint64_t>(b) == std::bit_cast<std::uint64_t>(-values[e]));
    }
}

TEST_CASE("history: a failed write reports the path and leaves the old file as it was") {
    temp_dir dir;
    const fs::path missing = dir.path / "no such folder" / "h.csv";
    const typenet::status s = keras_like(2).to_csv(missing);
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(missing.string()) == 0);
    CHECK_FALSE(fs::exists(missing));

    const fs::path p = dir.path / "h.csv";
    { std::ofstream(p) << "old"; }
    const typenet::status svg = keras_like(2).to_svg(dir.path / "no such folder" / "h.svg");
    CHECK_FALSE(svg.ok());
    REQUIRE(keras_like(3).to_csv(p).ok());  // replaced in one step
    CHECK(parse_csv(slurp(p)).size() == 4);
    CHECK(dir.entries() == std::vector<std::string>{"h.csv"});
}

TEST_CASE("history: SVG is well-formed, with a loss and an accuracy panel and one polyline per series") {
    const history h = keras_like(20);
    temp_dir dir;
    const fs::path p = dir.path / "curves.svg";
    const typenet::status s = h.to_svg(p, "cnn & <friends>");
    REQUIRE_MESSAGE(s.ok(), s.message());
    const std::string svg = slurp(p);
    CHECK(svg == h.svg_text("cnn & <friends>"));
    CHECK(xml_problem(svg) == "");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    CHECK(svg.find("cnn &amp; &lt;friends&gt;") != std::string::npos);  // the title, escaped
    CHECK(occurrences(svg, "class=\"panel\"") == 2);
    CHECK(svg.find("data-metric=\"loss\"") < svg.find("data-metric=\"accuracy\""));
    const auto lines = polylines(svg);
    CHECK(lines ==
          std::map<std::string, std::size_t>{{"loss", 20}, {"val_loss", 20}, {"accuracy", 20}, {"val_accuracy", 20}});
    CHECK(svg.find(">epoch</text>") != std::string::npos);  // the x axis title
    CHECK(svg.find(">20</text>") != std::string::npos);     // 1-based epoch ticks
    CHECK(svg.find(">0</text>") == std::string::npos);
    CHECK(svg.find("nan") == std::string::npos);
    CHECK(dir.entries() == std::vector<std::string>{"curves.svg"});
}

TEST_CASE("history: SVG without accuracy has one panel; other metrics get their own panel") {
    history h;
    for (int e = 0; e < 5; ++e) {
        h.append("loss", 1.0 / (e + 1));
        h.append("val_loss", 1.5 / (e + 1));
        h.append("learning_rate", 0.01);
    }
    std::string svg = h.svg_text();
    CHECK(xml_problem(svg) == "");
    CHECK(occurrences(svg, "class=\"panel\"") == 1);
    CHECK(polylines(svg) == std::map<std::string, std::size_t>{{"loss", 5}, {"val_loss", 5}});

    h.append("mae", 3);
    svg = h.svg_text();
    CHECK(xml_problem(svg) == "");
    CHECK(occurrences(svg, "class=\"panel\"") == 2);
    CHECK(polylines(svg) == std::map<std::string, std::size_t>{{"loss", 5}, {"val_loss", 5}, {"mae", 1}});
}

TEST_CASE("history: SVG skips NaN and infinite values and says how many it skipped") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    history h;
    for (double v : {1.0, nan, 0.5, inf, 0.25}) h.append("loss", v);
    for (double v : {nan, nan, nan, nan, nan}) h.append("val_loss", v);
    for (double v : {0.5, 0.6, -inf, 0.8, 0.9}) h.append("accuracy", v);
    const std::string svg = h.svg_text();
    CHECK(xml_problem(svg) == "");
    // val_loss has no finite value: no line at all, and the legend says so.
    CHECK(polylines(svg) == std::map<std::string, std::size_t>{{"loss", 3}, {"accuracy", 4}});
    CHECK(svg.find("loss (2 not finite)") != std::string::npos);
    CHECK(svg.find("val_loss (5 not finite)") != std::string::npos);
    CHECK(svg.find("accuracy (1 not finite)") != std::string::npos);
    CHECK(svg.find("NaN") == std::string::npos);
}

TEST_CASE("history: SVG of one epoch, of constant series, and of nothing") {
    history one;
    one.append("loss", 0.5);
    one.append("accuracy", 1.0);
    std::string svg = one.svg_text();
    CHECK(xml_problem(svg) == "");
    CHECK(polylines(svg) == std::map<std::string, std::size_t>{{"loss", 1}, {"accuracy", 1}});
    CHECK(occurrences(svg, "<circle") >= 2 + 2);  // markers make a single point visible (+ legend)
    CHECK(svg.find(">1</text>") != std::string::npos);

    history flat;  // constant series: the y range is padded around the value
    for (int e = 0; e < 4; ++e) flat.append("loss", 0.0), flat.append("accuracy", 1.0);
    svg = flat.svg_text();
    CHECK(xml_problem(svg) == "");
    CHECK(polylines(svg) == std::map<std::string, std::size_t>{{"loss", 4}, {"accuracy", 4}});
    CHECK(svg.find(">1.00</text>") != std::string::npos);  // 0.90 .. 1.10 in steps of 0.05

    history nothing;
    svg = nothing.svg_text("empty");
    CHECK(xml_problem(svg) == "");
    CHECK(polylines(svg).empty());
    CHECK(svg.find("no data") != std::string::npos);
}

TEST_CASE("history: axis ticks step 1-2-5 and cover the data") {
    using typenet::detail::report::nice_axis;
    auto a = nice_axis(0.26, 2.54);
    CHECK(a.step == doctest::Approx(0.5));
    CHECK(a.lo == doctest::Approx(0.0));
    CHECK(a.hi == doctest::Approx(3.0));
    CHECK(a.label(1.5) == "1.5");
    CHECK(a.ticks().size() == 7);

    a = nice_axis(0.0123, 0.0177);
    CHECK(a.step == doctest::Approx(0.002));
    CHECK(a.lo <= 0.0123);
    CHECK(a.hi >= 0.0177);
    CHECK(a.label(0.012) == "0.012");

    a = nice_axis(-3, 180);
    CHECK(a.step == doctest::Approx(50));
    CHECK(a.lo == doctest::Approx(-50));
    CHECK(a.hi == doctest::Approx(200));
    CHECK(a.label(0) == "0");

    a = nice_axis(1, 1);  // constant: padded
    CHECK(a.lo < 1);
    CHECK(a.hi > 1);
    a = nice_axis(0, 0);
    CHECK(a.lo < 0);
    CHECK(a.hi > 0);
    CHECK(a.label(-0.0) == "0.0");  // never "-0.0"
    CHECK(a.label(-1e-17) == "0.0");
    a = nice_axis(INFINITY, -INFINITY);  // nothing to show
    CHECK(a.lo == 0);
    CHECK(a.hi == 1);

    for (double span : {0.7, 1.0, 3.0, 7.0, 12.0, 0.03, 4500.0}) {
        const double step = typenet::detail::report::nice_step(span, 5);
        const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
        CHECK((mantissa == doctest::Approx(1) || mantissa == doctest::Approx(2) || mantissa == doctest::Approx(5)));
    }
}
