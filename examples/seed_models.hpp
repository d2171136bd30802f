// seed_models: the Keras tutorial models typenet must reproduce (../shared/SEED_MODELS.md), as types.
// Shared by examples/seed_models.cpp and the tests.
#pragma once

#include <typenet/typenet.hpp>

namespace seed {
namespace tn = typenet;

// M1: Conv2D(32,3x3,relu,same) -> MaxPool2 -> Flatten -> Dense(128,relu) -> Dense(10,softmax)
using m1 = tn::sequential<tn::input<32, 32, 3>,
                          tn::conv2d<32, tn::kernel<3, 3>, tn::same, tn::relu>, tn::max_pool2d<2>,
                          tn::flatten,
                          tn::dense<128, tn::relu>,
                          tn::dense<10, tn::softmax>>;

// M2: the Fashion-MNIST CNN.
using m2 = tn::sequential<tn::input<28, 28, 1>,
                          tn::conv2d<32, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                          tn::conv2d<64, tn::kernel<3, 3>, tn::relu>, tn::max_pool2d<2>,
                          tn::conv2d<64, tn::kernel<3, 3>, tn::relu>,
                          tn::flatten,
                          tn::dense<64, tn::relu>,
                          tn::dense<10, tn::softmax>>;

// M3: Embedding(10000,128,input_length=20) -> SimpleRNN(64) -> Dense(1,sigmoid)
using m3 = tn::sequential<tn::tokens<20>, tn::embedding<10000, 128>, tn::simple_rnn<64>, tn::dense<1, tn::sigmoid>>;

// M4: Embedding(10000,128,input_length=20) -> LSTM(64) -> Dense(1,sigmoid)
using m4 = tn::sequential<tn::tokens<20>, tn::embedding<10000, 128>, tn::lstm<64>, tn::dense<1, tn::sigmoid>>;

// VGG16's convolutional base (Keras applications.VGG16, include_top=False) as a layer list.
using vgg16_base = tn::path<
    tn::conv2d<64, tn::kernel<3>, tn::same, tn::relu>, tn::conv2d<64, tn::kernel<3>, tn::same, tn::relu>,
    tn::max_pool2d<2>,
    tn::conv2d<128, tn::kernel<3>, tn::same, tn::relu>, tn::conv2d<128, tn::kernel<3>, tn::same, tn::relu>,
    tn::max_pool2d<2>,
    tn::conv2d<256, tn::kernel<3>, tn::same, tn::relu>, tn::conv2d<256, tn::kernel<3>, tn::same, tn::relu>,
    tn::conv2d<256, tn::kernel<3>, tn::same, tn::relu>, tn::max_pool2d<2>,
    tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>, tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>,
    tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>, tn::max_pool2d<2>,
    tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>, tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>,
    tn::conv2d<512, tn::kernel<3>, tn::same, tn::relu>, tn::max_pool2d<2>>;

// The same base, frozen (transfer learning): its 14,714,688 parameters count as non-trainable.
using vgg16_base_frozen = tn::frozen<vgg16_base>;

// VGG16 with its 1000-class top.
using vgg16 = tn::sequential<tn::input<224, 224, 3>, vgg16_base, tn::flatten,
                             tn::dense<4096, tn::relu>, tn::dense<4096, tn::relu>, tn::dense<1000, tn::softmax>>;

// M5: frozen VGG16 base -> Flatten -> Dense(256,relu) -> Dense(10,softmax)
using m5 = tn::sequential<tn::input<224, 224, 3>, vgg16_base_frozen, tn::flatten,
                          tn::dense<256, tn::relu>, tn::dense<10, tn::softmax>>;

// M6: ResNet for CIFAR-10. A residual block: main = Conv(k3, stride, same) -> BN -> ReLU ->
// Conv(k3, same) -> BN; shortcut = identity, or Conv2D(1x1, stride, valid) -> BN; then ReLU(add).
template <tn::index_t F, tn::index_t S = 1>
using res_main = tn::path<tn::conv2d<F, tn::kernel<3>, tn::strides<S>, tn::same>, tn::batch_norm<>, tn::relu,
                          tn::conv2d<F, tn::kernel<3>, tn::same>, tn::batch_norm<>>;
template <tn::index_t F, tn::index_t S>
using conv_shortcut = tn::path<tn::conv2d<F, tn::kernel<1>, tn::strides<S>, tn::valid>, tn::batch_norm<>>;

template <tn::index_t F>
using rb = tn::residual<res_main<F>>;  // identity shortcut
template <tn::index_t F, tn::index_t S>
using rb_proj = tn::residual<res_main<F, S>, conv_shortcut<F, S>>;

using m6 = tn::sequential<tn::input<32, 32, 3>,
                          tn::conv2d<32, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::relu,
                          rb<32>, tn::relu, rb<32>, tn::relu,
                          rb_proj<64, 2>, tn::relu, rb<64>, tn::relu,
                          rb_proj<128, 2>, tn::relu, rb<128>, tn::relu,
                          tn::average_pool2d<4>, tn::flatten,
                          tn::dense<256>, tn::batch_norm<>, tn::relu, tn::dropout<1, 2>,
                          tn::dense<10, tn::softmax>>;

// M7: linear regression y = 2x - 1.
using m7 = tn::sequential<tn::input<1>, tn::dense<1>>;

// M8: a plain fully connected network on CIFAR-sized input.
using m8 = tn::sequential<tn::input<32, 32, 3>, tn::flatten,
                          tn::dense<200, tn::relu>, tn::dense<150, tn::relu>, tn::dense<10, tn::softmax>>;

// M9: strided convolutions with TensorFlow's asymmetric "same" padding.
using m9 = tn::sequential<tn::input<32, 32, 3>,
                          tn::conv2d<10, tn::kernel<4, 4>, tn::strides<2>, tn::same>,
                          tn::conv2d<20, tn::kernel<3, 3>, tn::strides<2>, tn::same>,
                          tn::flatten, tn::dense<10, tn::softmax>>;

// M10: conv -> BN -> LeakyReLU blocks, then a BN/Dropout head.
template <tn::index_t F, tn::index_t S>
using conv_bn_leaky = tn::path<tn::conv2d<F, tn::kernel<3>, tn::strides<S>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>>;
using m10 = tn::sequential<tn::input<32, 32, 3>,
                           tn::conv2d<32, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>,
                           tn::conv2d<32, tn::kernel<3>, tn::strides<2>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>,
                           tn::conv2d<64, tn::kernel<3>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>,
                           tn::conv2d<64, tn::kernel<3>, tn::strides<2>, tn::same>, tn::batch_norm<>, tn::leaky_relu<>,
                           tn::flatten,
                           tn::dense<128>, tn::batch_norm<>, tn::leaky_relu<>, tn::dropout<1, 2>,
                           tn::dense<10>, tn::softmax>;

// M11-M13: cats vs dogs on 125x94x3 images.
using m11 = tn::sequential<tn::input<125, 94, 3>, tn::flatten, tn::dense<512, tn::relu>, tn::dense<1, tn::sigmoid>>;
using m12 = tn::sequential<tn::input<125, 94, 3>,
                           tn::conv2d<24, tn::kernel<3>, tn::relu>, tn::max_pool2d<2>, tn::flatten,
                           tn::dense<128, tn::relu>, tn::dense<128, tn::relu>, tn::dense<1, tn::sigmoid>>;
using m13 = tn::sequential<tn::input<125, 94, 3>,
                           tn::conv2d<48, tn::kernel<3>, tn::relu>, tn::max_pool2d<2>,
                           tn::conv2d<48, tn::kernel<3>, tn::relu>, tn::max_pool2d<2>, tn::flatten,
                           tn::dense<256, tn::relu>, tn::dense<256, tn::relu>, tn::dense<1, tn::sigmoid>>;

// Keras' numbers (../shared/SEED_MODELS.md), checked at compile time.
static_assert(m1::param_count == 1'050'890 && m1::non_trainable_count == 0);
static_assert(m2::param_count == 93'322);
static_assert(m3::param_count == 1'292'417 && m3::output_shape == tn::shape<1>{});
static_assert(m4::param_count == 1'329'473 && m4::output_shape == tn::shape<1>{});
static_assert(m5::param_count == 21'140'042 && m5::trainable_count == 6'425'354 && m5::non_trainable_count == 14'714'688);
static_assert(m6::param_count == 833'610 && m6::trainable_count == 830'858 && m6::non_trainable_count == 2'752);
static_assert(m7::param_count == 2);
static_assert(m8::param_count == 646'260);
static_assert(m9::param_count == 15'120);
static_assert(m10::param_count == 592'554 && m10::trainable_count == 591'914 && m10::non_trainable_count == 640);
static_assert(m11::param_count == 18'049'025);
static_assert(m12::param_count == 8'637'473);
static_assert(m13::param_count == 7'928'177);
static_assert(vgg16::param_count == 138'357'544);
static_assert(m1::output_shape == tn::shape<10>{} && m6::output_shape == tn::shape<10>{});

}  // namespace seed
