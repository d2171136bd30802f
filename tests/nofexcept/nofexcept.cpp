// Built with -fno-exceptions -fno-rtti: the umbrella header must compile, and a static_model (no heap
// during inference) must run. Plain main(): returns non-zero on any failed check.
#include <typenet/typenet.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this test must be compiled with -fno-exceptions"
#endif
#if defined(__cpp_rtti) || defined(__GXX_RTTI)
#error "this test must be compiled with -fno-rtti"
#endif

namespace {
using namespace typenet;

// M2: the TensorFlow CNN tutorial on 28x28x1 (Keras: 93,322 parameters).
using M2 = sequential<input<28, 28, 1>, conv2d<32, kernel<3>, relu>, max_pool2d<>, conv2d<64, kernel<3>, relu>,
                      max_pool2d<>, conv2d<64, kernel<3>, relu>, flatten, dense<64, relu>, dense<10, softmax>>;
static_assert(M2::param_count == 93'322);
static_assert(M2::trainable_count == 93'322 && M2::non_trainable_count == 0);
static_assert(std::is_same_v<M2::output_shape_t, shape<10>>);

static_model<M2> g_model;  // parameters and arena in static storage

// M4 (Keras: 1,329,473 parameters), token ids in.
using M4 = sequential<tokens<20>, embedding<10000, 128>, lstm<64>, dense<1, sigmoid>>;
static_assert(M4::param_count == 1'329'473);
static_model<M4> g_text;

int g_failures = 0;
void expect(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++g_failures;
}
}  // namespace

int main() {
    g_model.initialize(7);
    expect(g_model.parameters().size() == 93'322, "static_model<M2> holds 93,322 parameters");
    expect(g_model.parameters()[0] != 0.0f, "initialize() filled the kernels");

    tensor<float, shape<28, 28, 1>> x;
    for (index_t i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 255) / 255.0f;
    const tensor<float, shape<10>> y = g_model.predict(x);

    float sum = 0;
    bool finite = true;
    for (index_t j = 0; j < 10; ++j) {
        finite = finite && std::isfinite(y[j]) && y[j] >= 0.0f;
        sum += y[j];
    }
    expect(finite, "predict gives finite, non-negative probabilities");
    expect(std::fabs(sum - 1.0f) < 1e-5f, "the softmax output sums to 1");

    // Deterministic: a second prediction is bit-identical.
    const tensor<float, shape<10>> y2 = g_model.predict(x);
    bool same = true;
    for (index_t j = 0; j < 10; ++j) same = same && y[j] == y2[j];
    expect(same, "a second predict gives the same result");

    g_text.initialize(3);
    tensor<std::int32_t, shape<20>> ids;
    for (index_t t = 0; t < 20; ++t) ids[t] = std::int32_t(t < 5 ? 0 : t * 431);
    const float p = g_text.predict(ids)[0];
    expect(p > 0.0f && p < 1.0f, "static_model<M4> (embedding, LSTM) predicts a probability from token ids");

    std::printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "passed", g_failures);
    return g_failures ? 1 : 0;
}
