// Tests for typenet/train/confusion.hpp: counts, ratios, the text table's exact layout, the SVG heat map.
#include <doctest/doctest.h>

#include <typenet/train/confusion.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;
using typenet::confusion_matrix;

namespace {

std::size_t occurrences(std::string_view s, std::string_view part) {
    std::size_t n = 0;
    for (std::size_t at = s.find(part); at != std::string_view::npos; at = s.find(part, at + part.size())) ++n;
    return n;
}

// Balanced, properly nested tags and a single root (enough to catch a broken writer).
bool tags_balance(std::string_view s) {
    std::vector<std::string> open;
    bool root_seen = false;
    for (std::size_t i = s.find('<'); i != std::string_view::npos; i = s.find('<', i + 1)) {
        const std::size_t end = s.find('>', i);
        if (end == std::string_view::npos) return false;
        const std::string_view tag = s.substr(i + 1, end - i - 1);
        if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
        if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return false;
        if (tag[0] == '/') {
            if (open.empty() || open.back() != tag.substr(1)) return false;
            open.pop_back();
        } else {
            if (open.empty() && root_seen) return false;
            root_seen = true;
            if (tag.back() != '/') open.emplace_back(tag.substr(0, tag.find_first_of(" \t\n/")));
        }
    }
    return root_seen && open.empty();
}

// A minimal stream-like type: print() only needs operator<< for std::string.
struct string_builder {
    std::string text;
    string_builder& operator<<(const std::string& s) {
        text += s;
        return *this;
    }
};

confusion_matrix three_animals() {
    // true cat: 5 cat, 1 dog; true dog: 2 cat, 3 dog, 1 bird; true bird: 4 bird
    confusion_matrix m(3);
    for (int i = 0; i < 5; ++i) m.add(0, 0);
    m.add(0, 1);
    for (int i = 0; i < 2; ++i) m.add(1, 0);
    for (int i = 0; i < 3; ++i) m.add(1, 1);
    m.add(1, 2);
    for (int i = 0; i < 4; ++i) m.add(2, 2);
    return m;
}

}  // namespace

TEST_CASE("confusion_matrix: counts, totals, accuracy, precision, recall, f1") {
    const confusion_matrix m = three_animals();
    CHECK(m.classes() == 3);
    CHECK(m.count(0, 0) == 5);
    CHECK(m.count(0, 1) == 1);
    CHECK(m.count(1, 0) == 2);
    CHECK(m.count(1, 2) == 1);
    CHECK(m.count(2, 0) == 0);
    CHECK(m.total() == 16);
    CHECK(m.correct() == 12);
    CHECK(m.ignored() == 0);
    CHECK(m.accuracy() == doctest::Approx(12.0 / 16.0));
    CHECK(m.true_count(1) == 6);
    CHECK(m.predicted_count(0) == 7);
    CHECK(m.precision(0) == doctest::Approx(5.0 / 7.0));
    CHECK(m.precision(1) == doctest::Approx(3.0 / 4.0));
    CHECK(m.precision(2) == doctest::Approx(4.0 / 5.0));
    CHECK(m.recall(0) == doctest::Approx(5.0 / 6.0));
    CHECK(m.recall(1) == doctest::Approx(3.0 / 6.0));
    CHECK(m.recall(2) == doctest::Approx(1.0));
    CHECK(m.f1(1) == doctest::Approx(2 * 0.75 * 0.5 / 1.25));
}

TEST_CASE("confusion_matrix: out-of-range classes are ignored and counted; empty ratios are 0") {
    confusion_matrix m(2);
    CHECK(m.accuracy() == 0.0);
    CHECK(m.precision(0) == 0.0);
    CHECK(m.recall(1) == 0.0);
    CHECK(m.f1(1) == 0.0);
    m.add(-1, 0);
    m.add(0, 2);
    m.add(2, 2);
    m.add(1, 1);
    CHECK(m.ignored() == 3);
    CHECK(m.total() == 1);
    CHECK(m.count(1, 1) == 1);
    CHECK(m.count(-1, 0) == 0);
    CHECK(m.count(0, 7) == 0);
    CHECK(m.precision(5) == 0.0);
    CHECK(m.accuracy() == 1.0);

    confusion_matrix none(0);
    none.add(0, 0);
    CHECK(none.classes() == 0);
    CHECK(none.ignored() == 1);
    confusion_matrix negative(-4);
    CHECK(negative.classes() == 0);
}

TEST_CASE("confusion_matrix: merge and reset") {
    confusion_matrix a = three_animals();
    a.merge(three_animals());
    CHECK(a.total() == 32);
    CHECK(a.count(0, 0) == 10);
    confusion_matrix other(4);
    other.add(3, 3);
    other.add(9, 9);
    a.merge(other);  // a different number of classes: all of its samples are ignored
    CHECK(a.total() == 32);
    CHECK(a.ignored() == 2);
    a.reset();
    CHECK(a.total() == 0);
    CHECK(a.ignored() == 0);
    CHECK(a.classes() == 3);
}

TEST_CASE("confusion_matrix: print() lays out an aligned table with names, recall and precision") {
    const confusion_matrix m = three_animals();
    std::ostringstream os;
    m.print(os, {"cat", "dog", "bird"});
    CHECK(os.str() ==
          "true \\ predicted    cat    dog   bird  recall\n"
          "cat                   5      1      0   0.833\n"
          "dog                   2      3      1   0.500\n"
          "bird                  0      0      4   1.000\n"
          "precision         0.714  0.750  0.800\n"
          "accuracy 0.750 (16 samples)\n");

    // Default names are the class numbers; wide counts and long names widen their column.
    confusion_matrix wide(2);
    for (int i = 0; i < 1234567; ++i) wide.add(0, 0);
    wide.add(1, 0);
    wide.add(7, 0);
    string_builder b;
    wide.print(b);
    CHECK(b.text ==
          "true \\ predicted        0      1  recall\n"
          "0                 1234567      0   1.000\n"
          "1                       1      0   0.000\n"
          "precision           1.000  0.000\n"
          "accuracy 1.000 (1234568 samples, 1 ignored)\n");
    string_builder c;
    wide.print(c, {"a rather long class name"});  // names may be fewer than classes
    CHECK(c.text ==
          "true \\ predicted          a rather long class name      1  recall\n"
          "a rather long class name                   1234567      0   1.000\n"
          "1                                                1      0   0.000\n"
          "precision                                    1.000  0.000\n"
          "accuracy 1.000 (1234568 samples, 1 ignored)\n");
    CHECK(m.table_text({"cat", "dog", "bird"}) == os.str());
}

TEST_CASE("confusion_matrix: print() aligns UTF-8 names by characters, not bytes") {
    confusion_matrix m(2);
    m.add(0, 1);
    std::ostringstream os;
    m.print(os, {"chat", "p\u00e2t\u00e9"});
    CHECK(os.str() ==
          "true \\ predicted   chat   p\u00e2t\u00e9  recall\n"
          "chat                  0      1   0.000\n"
          "p\u00e2t\u00e9                  0      0   0.000\n"
          "precision         0.000  0.000\n"
          "accuracy 0.000 (1 samples)\n");
}

TEST_CASE("confusion_matrix: SVG heat map is well-formed, with a cell and a count per pair, labels and a scale") {
    const confusion_matrix m = three_animals();
    const std::vector<std::string> names = {"cat", "dog", "b<i>rd & co"};
    const std::string svg = m.svg_text(names);
    CHECK(tags_balance(svg));
    CHECK(occurrences(svg, "class=\"cell\"") == 9);
    CHECK(svg.find(">predicted</text>") != std::string::npos);
    CHECK(svg.find(">true</text>") != std::string::npos);
    CHECK(svg.find("b&lt;i&gt;rd &amp; co") != std::string::npos);
    CHECK(svg.find("b<i>") == std::string::npos);
    CHECK(svg.find("url(#scale)") != std::string::npos);  // the colour scale
    CHECK(svg.find("accuracy 0.750, 16 samples") != std::string::npos);
    CHECK(svg.find(">5</text>") != std::string::npos);  // counts written in their cells
    CHECK(svg.find("true dog, predicted b&lt;i&gt;rd &amp; co: 1") != std::string::npos);  // tooltips

    // Darkest cell: the largest count; an empty cell is the lightest colour.
    CHECK(svg.find("fill=\"#08306b\" stroke=\"#ffffff\"><title>true cat, predicted cat: 5") != std::string::npos);
    CHECK(svg.find("fill=\"#f7fbff\" stroke=\"#ffffff\"><title>true cat, predicted b&lt;i&gt;rd &amp; co: 0") !=
          std::string::npos);

    // Written atomically to a file.
    std::string name = "typenet_confusion_test_";
    name += std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    const fs::path dir = fs::temp_directory_path() / name;
    fs::create_directories(dir);
    const typenet::status s = m.to_svg(dir / "cm.svg", names);
    REQUIRE_MESSAGE(s.ok(), s.message());
    std::ifstream f(dir / "cm.svg", std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()) == svg);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    CHECK_FALSE(m.to_svg(dir / "missing" / "cm.svg").ok());
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("confusion_matrix: SVG for many classes drops counts that would not fit; empty matrix is fine") {
    confusion_matrix big(40);
    for (int i = 0; i < 40; ++i) big.add(i, i), big.add(i, (i + 1) % 40);
    std::string svg = big.svg_text();
    CHECK(tags_balance(svg));
    CHECK(occurrences(svg, "class=\"cell\"") == 1600);
    CHECK(svg.find("rotate(-90") != std::string::npos);  // narrow columns: labels read upwards

    confusion_matrix empty(3);
    svg = empty.svg_text();
    CHECK(tags_balance(svg));
    CHECK(occurrences(svg, "class=\"cell\"") == 9);
    CHECK(svg.find("nan") == std::string::npos);
}
