// text_rnn: the Keras text tutorials M3 (Embedding + SimpleRNN) and M4 (Embedding + LSTM) on real
// text that installs with Debian: is a word English or German? The words come from the word lists
// of the packages wamerican and wngerman (tn::data::load_word_languages), read character by
// character: a char-level tokenizer numbers the characters, pad_sequences<20> pads each word at the
// front to M3's and M4's 20 ids. Both models train with fit (Adam, binary cross-entropy, accuracy,
// the test words as validation data), print their summary, progress and test accuracy, and write
// their curves (CSV and SVG).
//
//   text_rnn [--per-class N] [--epochs N] [--batch N] [--out DIR]
//
// --per-class: words of each language (default 10000; 80 % train, 20 % test); --epochs: default
// 10. The tests run a short mode (--per-class 600 --epochs 1).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <typenet/io/text.hpp>
#include <typenet/typenet.hpp>

#include "seed_models.hpp"

namespace tn = typenet;

namespace {

template <class Net, class X>
double train_and_test(const char* name, const X& x_train, const std::vector<std::int32_t>& y_train, const X& x_test,
                      const std::vector<std::int32_t>& y_test, int epochs, tn::index_t batch_size,
                      const std::filesystem::path& out) {
    std::printf("\n=== %s ===\n", name);
    auto m = tn::make_model<Net>(1);
    m.summary(std::cout, name);
    std::cout.flush();
    m.compile(tn::adam{}, tn::binary_crossentropy{}, tn::metrics::accuracy);
    const tn::history h = m.fit(x_train, y_train,
                                {.epochs = epochs, .batch_size = batch_size, .validation = {x_test, y_test}, .seed = 42});
    if (!h.error()) {
        std::fprintf(stderr, "%s\n", h.error().message().c_str());
        return -1;
    }
    const tn::evaluation ev = m.evaluate(x_test, y_test);
    std::printf("%s test accuracy: %.4f (loss %.4f)\n", name, ev.accuracy, ev.loss);
    const std::string stem = std::string(name);
    if (auto s = h.to_csv(out / (stem + "_history.csv")); !s) std::fprintf(stderr, "%s\n", s.message().c_str());
    if (auto s = h.to_svg(out / (stem + "_curves.svg"), stem + ": English or German?"); !s)
        std::fprintf(stderr, "%s\n", s.message().c_str());
    return ev.accuracy;
}

}  // namespace

int main(int argc, char** argv) {
    tn::index_t per_class = 10000, batch_size = 32;
    int epochs = 10;
    std::filesystem::path out = ".";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--per-class") per_class = std::stol(argv[i + 1]);
        else if (a == "--epochs") epochs = std::stoi(argv[i + 1]);
        else if (a == "--batch") batch_size = std::stol(argv[i + 1]);
        else if (a == "--out") out = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }

    // English (label 0) and German (label 1) words; words both lists hold are left out.
    const auto lists = tn::data::debian_word_lists();
    tn::data::text_samples train, test;
    if (auto s = tn::data::load_word_languages({lists[0], lists[1]}, per_class, train, test); !s) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
    }
    tn::data::tokenizer chars({.char_level = true});
    chars.fit_on_texts(train.texts);
    const auto x_train = tn::data::pad_sequences<20>(chars.texts_to_sequences(train.texts));
    const auto x_test = tn::data::pad_sequences<20>(chars.texts_to_sequences(test.texts));
    std::printf("%zu training and %zu test words, %zu distinct characters (ids 1..%zu of the embedding's 10000)\n",
                train.texts.size(), test.texts.size(), chars.words().size(), chars.words().size());
    std::printf("e.g. \"%s\" (%s) -> ids", train.texts[0].c_str(), train.labels[0] == 0 ? "English" : "German");
    for (tn::index_t t = 0; t < 20; ++t) std::printf(" %d", int(x_train.data()[t]));
    std::printf("\n");

    std::filesystem::create_directories(out);
    const double a3 = train_and_test<seed::m3>("m3_simple_rnn", x_train, train.labels, x_test, test.labels, epochs,
                                              batch_size, out);
    const double a4 = train_and_test<seed::m4>("m4_lstm", x_train, train.labels, x_test, test.labels, epochs, batch_size,
                                              out);
    if (a3 < 0 || a4 < 0) return 1;
    std::printf("\ntest accuracy: M3 (SimpleRNN) %.4f, M4 (LSTM) %.4f\n", a3, a4);
    return 0;
}
