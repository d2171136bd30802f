// The bare-metal core (typenet/embedded.hpp) compiles for the Cortex-M4 with every layer kind:
// cross-compiled by tests/embedded/CMakeLists.txt with arm-none-eabi-g++ -fno-exceptions -fno-rtti
// -Werror. Nothing here runs; deploy_run.cpp runs M2 and M9 under QEMU.
#include <typenet/embedded.hpp>

namespace tn = typenet;

namespace {

// Conv, batch norm, leaky ReLU, dropout, a softmax layer (M10's kinds), average and global pools.
using convs = tn::sequential<tn::input<16, 16, 3>, tn::conv2d<8, 3, tn::strides<2>, tn::same>, tn::batch_norm<>,
                             tn::leaky_relu<>, tn::average_pool2d<2>, tn::conv2d<8, tn::kernel<1, 3>, tn::use_bias<false>>,
                             tn::dropout<0.5>, tn::global_max_pool2d, tn::dense<4>, tn::softmax>;
// A residual network (M6's block: conv shortcut, BN, ReLU after the add).
template <int F, int S = 1>
using res_main = tn::path<tn::conv2d<F, 3, tn::strides<S>, tn::same>, tn::batch_norm<>, tn::relu,
                          tn::conv2d<F, 3, tn::same>, tn::batch_norm<>>;
using resnet = tn::sequential<tn::input<8, 8, 3>, tn::conv2d<4, 3, tn::same>, tn::relu, tn::residual<res_main<4>>, tn::relu,
                              tn::residual<res_main<8, 2>, tn::path<tn::conv2d<8, 1, tn::strides<2>>, tn::batch_norm<>>>,
                              tn::relu, tn::global_average_pool2d, tn::dense<3, tn::softmax>>;
// Text: embedding, conv1d and its pools, every recurrent cell, bidirectional, dense per step.
using text = tn::sequential<tn::tokens<12>, tn::embedding<50, 8>, tn::conv1d<6, 3, tn::relu>, tn::max_pool1d<2>,
                            tn::bidirectional<tn::lstm<5, tn::return_sequences<true>>>, tn::gru<4, tn::return_sequences<true>>,
                            tn::simple_rnn<3, tn::return_sequences<true>>, tn::dense<2, tn::tanh>,
                            tn::global_average_pool1d, tn::dense<1, tn::sigmoid>>;

alignas(64) const float convs_weights[convs::param_count] = {};
alignas(64) const float text_weights[text::param_count] = {};

tn::static_model<resnet> resnet_model;
tn::rom_model<convs> convs_model{convs_weights};
tn::rom_model<text, 2> text_model{text_weights};

}  // namespace

// Every model's inference is instantiated (and kept: the functions have external linkage).
tn::tensor<float, resnet::output_shape_t> run_resnet(const tn::tensor<float, resnet::input_shape_t>& x) {
    return resnet_model.predict(x);
}
tn::tensor<float, convs::output_shape_t> run_convs(const tn::tensor<float, convs::input_shape_t>& x) {
    return convs_model.predict(x);
}
void run_text(const float* ids, float* y, tn::index_t n) {
    text_model.forward(tn::tensor_view<const float, text::input_shape_t>(ids, n),
                       tn::tensor_view<float, text::output_shape_t>(y, n));
}
static_assert(sizeof(tn::rom_model<convs>) < sizeof(tn::static_model<convs>),
              "rom_model holds no copy of the parameters");
