// libFuzzer harness: text to token ids -- the tokenizer (words and characters, UTF-8), pad_sequences,
// and the word-list loader -- on arbitrary bytes. Ids must stay inside the vocabulary.
#include <typenet/typenet.hpp>
#include <typenet/io/text.hpp>

#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace tn = typenet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
    if (n < 1) return 0;
    const std::string all(reinterpret_cast<const char*>(data + 1), n - 1);
    std::vector<std::string> texts;
    for (std::size_t b = 0, e; b <= all.size(); b = e + 1) {
        e = all.find('\n', b);
        if (e == std::string::npos) e = all.size();
        texts.push_back(all.substr(b, e - b));
    }
    tn::data::tokenizer_options o;
    o.char_level = data[0] & 1;
    o.num_words = data[0] >> 4;
    if (data[0] & 2) o.oov_token = "<unk>";
    tn::data::tokenizer tok(o);
    tok.fit_on_texts(texts);
    const auto seqs = tok.texts_to_sequences(texts);
    fuzz::require(seqs.size() == texts.size(), "one sequence per text");
    const auto ids = tn::data::pad_sequences<7>(seqs);
    for (std::int32_t id : ids) fuzz::require(id >= 0, "ids are >= 0");

    const auto file = fuzz::write("words.txt", data + 1, n - 1);
    tn::data::text_samples train, test;
    if (tn::data::load_word_languages({{"a", file, "fuzz"}, {"b", file, "fuzz"}}, 1, train, test))
        fuzz::require(train.texts.size() == train.labels.size(), "as many labels as words");
    return 0;
}
