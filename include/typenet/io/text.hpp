// text: from text to token ids the way Keras users do it (issue #11) -- a tokenizer with the
// semantics of Keras' keras.preprocessing.text.Tokenizer (lower-case, strip punctuation, split on
// spaces, a vocabulary ordered by frequency, num_words, an out-of-vocabulary token) and
// pad_sequences with keras.utils.pad_sequences' defaults ("pre" padding and truncation, zeros),
// into a batch<std::int32_t, shape<Len>> of token ids. Token ids saved from Python load with
// data::load_npy into the same batch type.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/config.hpp"
#include "../core/status.hpp"
#include "../core/tensor.hpp"

namespace typenet::data {

struct tokenizer_options {
    // Keep only the num_words - 1 most frequent words (ids 1 .. num_words - 1); 0 keeps every word.
    index_t num_words = 0;
    // The word for anything outside the kept vocabulary; it gets id 1. Empty: such words are dropped.
    std::string oov_token = "";
    bool lower = true;  // ASCII letters (other UTF-8 bytes are kept as they are)
    // Characters replaced by the separator before splitting: Keras' default filters.
    std::string filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";
    char split = ' ';
    // Every character is a token (Keras' char_level=True: no filters, no split); a character is a
    // UTF-8 code point, so "é" is one token, as in Python.
    bool char_level = false;
};

// Keras' lower(), on ASCII letters only (other UTF-8 bytes are kept).
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

// Keras' text_to_word_sequence: lower-case, filters to separators, split, no empty words.
inline std::vector<std::string> text_to_word_sequence(std::string_view text, const tokenizer_options& o = {}) {
    std::vector<std::string> words;
    std::string cur;
    for (const char ch : text) {
        const char c = o.lower ? ascii_lower(ch) : ch;
        if (c == o.split || o.filters.find(c) != std::string::npos) {
            if (!cur.empty()) words.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) words.push_back(std::move(cur));
    return words;
}

// The tokens of one text under `o`: words (text_to_word_sequence), or characters with char_level.
inline std::vector<std::string> text_to_tokens(std::string_view text, const tokenizer_options& o) {
    if (!o.char_level) return text_to_word_sequence(text, o);
    std::vector<std::string> chars;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = 1;  // a lead byte and its continuation bytes (10xxxxxx)
        while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0u) == 0x80u) ++n;
        std::string c(text.substr(i, n));
        if (o.lower && n == 1) c[0] = ascii_lower(c[0]);
        chars.push_back(std::move(c));
        i += n;
    }
    return chars;
}

class tokenizer {
public:
    explicit tokenizer(tokenizer_options o = {}) : o_(std::move(o)) {}

    // Counts the words of `texts` (adding to earlier calls) and renumbers the vocabulary: the
    // out-of-vocabulary token first (id 1) when there is one, then words by falling count, ties in
    // the order they were first seen -- Keras' word_index.
    void fit_on_texts(const std::vector<std::string>& texts) {
        for (const auto& t : texts)
            for (auto& w : text_to_tokens(t, o_)) {
                auto [it, added] = counts_.try_emplace(w, 0);
                if (added) seen_.push_back(w);
                ++it->second;
            }
        std::vector<std::string> order = seen_;
        std::stable_sort(order.begin(), order.end(),
                         [&](const std::string& a, const std::string& b) { return counts_.at(a) > counts_.at(b); });
        if (!o_.oov_token.empty()) order.insert(order.begin(), o_.oov_token);
        index_.clear();
        // Keras builds a dict from the list, so a word listed twice (the oov token, if it also occurs
        // in the texts) keeps its later id.
        for (std::size_t i = 0; i < order.size(); ++i) index_[order[i]] = std::int32_t(i + 1);
        words_ = std::move(order);
    }

    // Each text as token ids: a word outside the vocabulary or with id >= num_words becomes the
    // out-of-vocabulary id, or is dropped when there is no such token.
    std::vector<std::vector<std::int32_t>> texts_to_sequences(const std::vector<std::string>& texts) const {
        std::vector<std::vector<std::int32_t>> out;
        out.reserve(texts.size());
        const std::int32_t oov = o_.oov_token.empty() ? 0 : id(o_.oov_token);
        for (const auto& t : texts) {
            std::vector<std::int32_t> seq;
            for (const auto& w : text_to_tokens(t, o_)) {
                std::int32_t i = id(w);
                if (i != 0 && o_.num_words > 0 && i >= o_.num_words) i = 0;
                if (i == 0) i = oov;
                if (i != 0) seq.push_back(i);
            }
            out.push_back(std::move(seq));
        }
        return out;
    }

    // A word's id (0: not in the vocabulary), how often fit_on_texts saw it, and the vocabulary.
    std::int32_t id(std::string_view word) const {
        const auto it = index_.find(std::string(word));
        return it == index_.end() ? 0 : it->second;
    }
    index_t count(std::string_view word) const {
        const auto it = counts_.find(std::string(word));
        return it == counts_.end() ? 0 : it->second;
    }
    // Every word with an id, in id order (words()[0] has id 1); ids above num_words included.
    const std::vector<std::string>& words() const { return words_; }
    const tokenizer_options& options() const { return o_; }

private:
    tokenizer_options o_;
    std::map<std::string, index_t> counts_;
    std::vector<std::string> seen_;  // first-seen order
    std::map<std::string, std::int32_t> index_;
    std::vector<std::string> words_;
};

// keras.utils.pad_sequences for sequences of token ids, into Len columns: sequences longer than Len
// lose their first ids (truncating = pre) or their last ones (post); shorter ones get `value` in
// front (padding = pre) or after (post).
enum class pad_side { pre, post };
struct pad_options {
    pad_side padding = pad_side::pre;
    pad_side truncating = pad_side::pre;
    std::int32_t value = 0;
};
template <index_t Len>
batch<std::int32_t, shape<Len>> pad_sequences(const std::vector<std::vector<std::int32_t>>& sequences,
                                              pad_options o = {}) {
    static_assert(Len > 0, "typenet::data::pad_sequences<Len>: Len (Keras' maxlen) must be positive");
    batch<std::int32_t, shape<Len>> out(index_t(sequences.size()));
    for (std::size_t r = 0; r < sequences.size(); ++r) {
        const auto& s = sequences[r];
        const index_t len = std::min<index_t>(Len, index_t(s.size()));
        const auto from = o.truncating == pad_side::pre ? s.end() - len : s.begin();
        std::int32_t* row = out.data() + index_t(r) * Len;
        std::fill(row, row + Len, o.value);
        std::copy(from, from + len, o.padding == pad_side::pre ? row + (Len - len) : row);
    }
    return out;
}

// ---- a real, offline text dataset: which language a word is --------------------------------------
// Debian's word lists (one word per line, UTF-8) are labelled text nobody has to download:
// classifying words by language, character by character, is the sequence task of the text
// tutorial (a Keras IMDB tutorial needs a download that machines here cannot make).
struct text_samples {
    std::vector<std::string> texts;
    std::vector<std::int32_t> labels;  // index into the lists given to the loader
};
struct word_list {
    std::string language;
    std::filesystem::path file;
    std::string package;  // the Debian package that installs it (for the error message)
};
inline std::vector<word_list> debian_word_lists() {
    const std::filesystem::path d = "/usr/share/dict";
    return {{"english", d / "american-english", "wamerican"}, {"german", d / "ngerman", "wngerman"},
            {"french", d / "french", "wfrench"},              {"italian", d / "italian", "witalian"},
            {"spanish", d / "spanish", "wspanish"}};
}

// `per_class` words of each list, label = the list's index: words with an apostrophe or a space, or
// shorter than min_length bytes, are skipped, and so is every word that more than one list holds
// (its language is ambiguous). The words of each list are drawn, and all of them shuffled, by a
// std::mt19937_64 seeded with `seed` (the same words on every platform), then split: the last
// test_fraction of them into `test`. An unreadable list, or one with fewer usable words than
// per_class, is an error naming the file (and the package to install); train and test are then
// untouched.
inline status load_word_languages(const std::vector<word_list>& lists, index_t per_class, text_samples& train,
                                  text_samples& test, double test_fraction = 0.2, std::uint64_t seed = 42,
                                  std::size_t min_length = 3) {
    if (per_class <= 0 || !(test_fraction >= 0.0 && test_fraction < 1.0))
        return status::error("load_word_languages: per_class must be positive and test_fraction in [0, 1)");
    std::vector<std::vector<std::string>> words(lists.size());
    std::map<std::string, int> lists_holding;
    for (std::size_t k = 0; k < lists.size(); ++k) {
        std::ifstream in(lists[k].file);
        if (!in)
            return status::error(lists[k].file.string() + ": cannot read the " + lists[k].language + " word list" +
                                 (lists[k].package.empty() ? "" : " (install the Debian package " + lists[k].package + ")"));
        std::set<std::string> unique;
        for (std::string w; std::getline(in, w);) {
            if (!w.empty() && w.back() == '\r') w.pop_back();
            if (w.size() < min_length || w.find_first_of("' ") != std::string::npos) continue;
            unique.insert(w);
        }
        for (const auto& w : unique) ++lists_holding[w];
        words[k].assign(unique.begin(), unique.end());
    }
    std::mt19937_64 rng(seed);
    const auto shuffle = [&](auto& v) {  // Fisher-Yates on the generator's own output
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(rng() % i)]);
    };
    std::vector<std::pair<std::string, std::int32_t>> all;
    for (std::size_t k = 0; k < lists.size(); ++k) {
        std::vector<std::string> ok;
        for (auto& w : words[k])
            if (lists_holding[w] == 1) ok.push_back(std::move(w));
        if (index_t(ok.size()) < per_class)
            return status::error(lists[k].file.string() + ": " + std::to_string(ok.size()) + " usable " +
                                 lists[k].language + " words, fewer than the " + std::to_string(per_class) + " asked for");
        shuffle(ok);
        for (index_t i = 0; i < per_class; ++i) all.emplace_back(std::move(ok[std::size_t(i)]), std::int32_t(k));
    }
    shuffle(all);
    const std::size_t n_test = std::size_t(double(all.size()) * test_fraction);
    text_samples tr, te;
    for (std::size_t i = 0; i < all.size(); ++i) {
        text_samples& to = i + n_test < all.size() ? tr : te;
        to.texts.push_back(std::move(all[i].first));
        to.labels.push_back(all[i].second);
    }
    train = std::move(tr);
    test = std::move(te);
    return {};
}

}  // namespace typenet::data
