// Every public header, and the templates users instantiate from them, in one translation unit:
// compiled by tests/warnings with the warning set typenet promises (docs/reliability.md) under
// -Werror, at several -O levels, with and without -march=native, by g++ and clang++. A warning
// that only a user's flags reveal (an -O2 -Wmaybe-uninitialized, a -Wconversion in a kernel
// compiled for one instruction set) fails here, not in a user's build.
#include <typenet/embedded.hpp>
#include <typenet/io/datasets.hpp>
#include <typenet/io/image_folder.hpp>
#include <typenet/io/text.hpp>
#include <typenet/typenet.hpp>

#include <cstdint>
#include <iostream>
#include <sstream>
#include <vector>

namespace tn = typenet;

namespace {
using cnn = tn::sequential<tn::input<12, 12, 3>, tn::conv2d<8, 3, tn::same, tn::relu>, tn::batch_norm<>, tn::leaky_relu<>,
                           tn::max_pool2d<2>, tn::conv2d<8, 3, tn::strides<2>, tn::same>, tn::average_pool2d<1>,
                           tn::dropout<25>, tn::flatten, tn::dense<16, tn::relu>, tn::dense<4, tn::softmax>>;
template <int F, int S = 1>
using block = tn::path<tn::conv2d<F, 3, tn::strides<S>, tn::same>, tn::batch_norm<>, tn::relu, tn::conv2d<F, 3, tn::same>,
                       tn::batch_norm<>>;
using resnet = tn::sequential<tn::input<8, 8, 3>, tn::conv2d<4, 3, tn::same>, tn::relu, tn::residual<block<4>>, tn::relu,
                              tn::residual<block<8, 2>, tn::path<tn::conv2d<8, 1, tn::strides<2>>, tn::batch_norm<>>>,
                              tn::relu, tn::global_average_pool2d, tn::dense<3, tn::softmax>>;
using text = tn::sequential<tn::tokens<10>, tn::embedding<30, 6>, tn::conv1d<6, 3, tn::relu>, tn::max_pool1d<2>,
                            tn::bidirectional<tn::lstm<4, tn::return_sequences<true>>>, tn::gru<4, tn::return_sequences<true>>,
                            tn::simple_rnn<3>, tn::dense<1, tn::sigmoid>>;

template <class Net, class Y>
int train_and_use(const Y& y, tn::index_t n) {
    tn::model<Net> m(1);
    tn::batch<float, typename Net::input_shape_t> x(n);
    for (tn::index_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{}, tn::metrics::accuracy);
    tn::model_checkpoint ckpt({.path = "every_header_ckpt.npz"});
    const auto h = m.fit(x, y, {.epochs = 1, .batch_size = 2, .callbacks = {&ckpt}, .verbose = 0});
    auto probs = m.predict(x, 2);
    std::ostringstream os;
    m.summary(os);
    auto s = std::make_unique<tn::static_model<Net, 2>>();
    if (!s->set_weights(m.get_weights())) return 1;
    tn::rom_model<Net> r{m.parameters().data()};
    return int(probs[0] > 2.0f) + int(h.epochs()) + int(r.predict(x)[0] > 2.0f) + int(s->predict(x)[0] > 2.0f) +
           int(!m.save_npz("every_header.npz")) + int(!m.load_npz("every_header.npz")) +
           int(!m.save_training_state("every_header_state.npz")) + int(!m.load_training_state("every_header_state.npz"));
}
}  // namespace

int main() {
    std::vector<int> y4 = {0, 1, 2, 3}, y2 = {0, 1, 1, 0};
    int r = train_and_use<cnn>(y4, 4) + train_and_use<resnet>(std::vector<int>{0, 1, 2, 0}, 4);
    tn::model<text, tn::cpu, double> t(2);
    tn::batch<double, tn::shape<10>> ids(2);
    for (tn::index_t i = 0; i < ids.size(); ++i) ids[i] = double(i % 30);
    r += int(t.predict(ids)[0] > 2.0);
    tn::data::tokenizer tok;
    tok.fit_on_texts({"a b c", "b c d"});
    r += int(tn::data::pad_sequences<5>(tok.texts_to_sequences({"a d"})).size());
    tn::data::labeled<float, tn::shape<28, 28, 1>> mnist;
    r += int(tn::data::load_idx(std::string("missing"), std::string("missing"), mnist).ok());
    tn::data::labeled<float, tn::shape<8, 8, 3>> folder;
    r += int(tn::data::load_image_folder(std::string("missing"), folder).ok());
    std::cout << r << "\n";
    return 0;
}
