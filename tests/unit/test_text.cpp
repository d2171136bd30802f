// Tests for typenet/io/text.hpp: the tokenizer (Keras' legacy keras.preprocessing.text.Tokenizer
// semantics: its word_index order, num_words and oov_token rules) and pad_sequences (Keras'
// defaults), and token ids loaded from .npy (data::load_npy into batch<std::int32_t, shape<Len>>).
// The expected ids follow Keras' documented algorithm, worked out by hand in the comments.
#include <doctest/doctest.h>

#include "temp_files.hpp"
#include <typenet/io/datasets.hpp>
#include <typenet/io/text.hpp>
#include <typenet/typenet.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tn = typenet;
namespace td = typenet::data;
using ids = std::vector<std::int32_t>;

TEST_CASE("text_to_word_sequence: lower case, Keras' filters, no empty words") {
    CHECK(td::text_to_word_sequence("Hello, World!  Hello?\tdon't\nstop") ==
          std::vector<std::string>{"hello", "world", "hello", "don't", "stop"});
    td::tokenizer_options keep_case;
    keep_case.lower = false;
    CHECK(td::text_to_word_sequence("A b-C", keep_case) == std::vector<std::string>{"A", "b", "C"});
    CHECK(td::text_to_word_sequence("...").empty());
}

TEST_CASE("tokenizer: ids by falling count, ties in first-seen order, as Keras' word_index") {
    // counts: the 3, cat 1, sat 2, on 1, mat 1, dog 1 -> the, sat, then cat on mat dog as first seen.
    const std::vector<std::string> texts = {"The cat sat on the mat.", "The dog sat"};
    td::tokenizer t;
    t.fit_on_texts(texts);
    CHECK(t.words() == std::vector<std::string>{"the", "sat", "cat", "on", "mat", "dog"});
    CHECK(t.id("the") == 1);
    CHECK(t.id("dog") == 6);
    CHECK(t.id("zebra") == 0);
    CHECK(t.count("the") == 3);
    CHECK(t.texts_to_sequences({"the dog sat on the mat", "zebra cat"}) == std::vector<ids>{{1, 6, 2, 4, 1, 5}, {3}});

    SUBCASE("num_words keeps ids below it; others are dropped") {
        td::tokenizer_options o;
        o.num_words = 4;
        td::tokenizer k(o);
        k.fit_on_texts(texts);
        CHECK(k.texts_to_sequences({"the dog sat on the mat"}) == std::vector<ids>{{1, 2, 1}});
    }
    SUBCASE("an oov_token takes id 1 and stands for every other word") {
        td::tokenizer_options o;
        o.num_words = 4;
        o.oov_token = "<unk>";
        td::tokenizer k(o);
        k.fit_on_texts(texts);
        // <unk> 1, the 2, sat 3, cat 4, on 5, mat 6, dog 7; ids >= 4 and unknown words -> 1
        CHECK(k.id("<unk>") == 1);
        CHECK(k.id("the") == 2);
        CHECK(k.texts_to_sequences({"the dog sat on the mat zebra"}) == std::vector<ids>{{2, 1, 3, 1, 2, 1, 1}});
    }
    SUBCASE("fitting again adds counts and renumbers") {
        t.fit_on_texts({"dog dog dog dog"});  // dog 5 > the 3
        CHECK(t.id("dog") == 1);
        CHECK(t.id("the") == 2);
    }
}

TEST_CASE("tokenizer: char_level tokens are UTF-8 characters") {
    td::tokenizer t({.lower = true, .char_level = true});
    t.fit_on_texts({"Haus", "hübsch"});  // h 3, s 2, then a u ü b c in first-seen order
    CHECK(t.words() == std::vector<std::string>{"h", "s", "a", "u", "ü", "b", "c"});
    CHECK(t.texts_to_sequences({"süß!"}) == std::vector<ids>{{2, 5}});  // ß and ! are not in the vocabulary
}

TEST_CASE("pad_sequences: Keras' defaults pad and truncate at the front") {
    const std::vector<ids> seqs = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9, 10}, {}};
    const auto pre = td::pad_sequences<4>(seqs);
    CHECK(pre.samples() == 4);
    CHECK(ids(pre.data(), pre.data() + 16) == ids{0, 1, 2, 3, 0, 0, 4, 5, 7, 8, 9, 10, 0, 0, 0, 0});
    const auto post = td::pad_sequences<4>(seqs, {.padding = td::pad_side::post, .truncating = td::pad_side::post, .value = -1});
    CHECK(ids(post.data(), post.data() + 16) == ids{1, 2, 3, -1, 4, 5, -1, -1, 6, 7, 8, 9, -1, -1, -1, -1});
    CHECK(td::pad_sequences<2>({}).samples() == 0);
}

TEST_CASE("load_npy: token ids into batch<std::int32_t, shape<Len>>") {
    const auto p = typenet_test::process_temp_file("typenet_text_tests", "token_ids.npy");
    const std::vector<std::int64_t> stored = {0, 0, 5, 7, 1, 2, 3, 4};  // pad_sequences(..., maxlen=4), int64
    REQUIRE(tn::io::write_npy(p, tn::io::make_npy<std::int64_t>("x", {2, 4}, stored.data())).ok());
    tn::batch<std::int32_t, tn::shape<4>> x;
    REQUIRE(td::load_npy(p, x).ok());
    CHECK(x.samples() == 2);
    CHECK(ids(x.data(), x.data() + 8) == ids{0, 0, 5, 7, 1, 2, 3, 4});
    const std::vector<float> frac = {0.0f, 1.5f, 2.0f, 3.0f};
    REQUIRE(tn::io::write_npy(p, tn::io::make_npy<float>("x", {1, 4}, frac.data())).ok());
    const tn::status bad = td::load_npy(p, x);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().find("value 1.500000 at index 1 is not a token id") != std::string::npos);
    CHECK(x.samples() == 2);  // untouched
    std::filesystem::remove(p);
}

TEST_CASE("load_word_languages: labelled words from word lists, shuffled, split, ambiguous ones left out") {
    const auto dir = typenet_test::process_temp_file("typenet_text_tests", "word_lists");
    std::filesystem::create_directories(dir);
    const auto write = [&](const char* name, const char* text) {
        std::ofstream(dir / name) << text;
        return dir / name;
    };
    // "radio" is in both lists (ambiguous); "it's" has an apostrophe, "ox" is too short.
    const std::vector<td::word_list> lists = {
        {"english", write("en", "house\nradio\nit's\nox\ngarden\nwindow\nriver\n"), "wamerican"},
        {"german", write("de", "Haus\nradio\nGarten\nFenster\nFluss\nBrücke\n"), "wngerman"}};
    td::text_samples train, test;
    REQUIRE(td::load_word_languages(lists, 4, train, test, 0.25, 7).ok());
    CHECK(train.texts.size() == 6);
    CHECK(test.texts.size() == 2);
    CHECK(train.labels.size() == train.texts.size());
    std::vector<std::string> all = train.texts;
    all.insert(all.end(), test.texts.begin(), test.texts.end());
    CHECK(std::count(all.begin(), all.end(), "radio") == 0);
    CHECK(std::count(all.begin(), all.end(), "it's") == 0);
    CHECK(std::count(all.begin(), all.end(), "ox") == 0);
    for (std::size_t i = 0; i < train.texts.size(); ++i) {  // every word keeps its list's label
        const bool german = std::string("Haus Garten Fenster Fluss Brücke").find(train.texts[i]) != std::string::npos;
        CHECK(train.labels[i] == (german ? 1 : 0));
    }
    td::text_samples again_train, again_test;  // the same seed draws the same words in the same order
    REQUIRE(td::load_word_languages(lists, 4, again_train, again_test, 0.25, 7).ok());
    CHECK(again_train.texts == train.texts);

    // Too few usable words, or a missing list: an error naming the file; the outputs stay as they were.
    const tn::status few = td::load_word_languages(lists, 5, again_train, again_test, 0.25, 7);
    REQUIRE_FALSE(few.ok());
    CHECK(few.message().find("4 usable english words, fewer than the 5 asked for") != std::string::npos);
    CHECK(again_train.texts == train.texts);
    const tn::status missing =
        td::load_word_languages({{"klingon", dir / "tlh", "wklingon"}}, 1, again_train, again_test);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.message().find("tlh: cannot read the klingon word list (install the Debian package wklingon)") !=
          std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("load_word_languages: Debian's word lists, when installed") {
    const auto lists = td::debian_word_lists();
    for (const auto& l : lists)
        if (!std::filesystem::exists(l.file)) {
            MESSAGE("SKIPPED: " << l.file.string() << " is missing (apt-get install " << l.package << ")");
            return;
        }
    td::text_samples train, test;
    REQUIRE(td::load_word_languages(lists, 2000, train, test).ok());
    CHECK(train.texts.size() == 8000);
    CHECK(test.texts.size() == 2000);
    // A character-level vocabulary of the five languages: a few dozen letters with accents.
    td::tokenizer chars({.char_level = true});
    chars.fit_on_texts(train.texts);
    CHECK(chars.words().size() > 26);
    CHECK(chars.words().size() < 200);
}
