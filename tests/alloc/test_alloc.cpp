// Heap-allocation tests. Global operator new / delete are replaced by counting versions (which is
// why this is its own executable, not part of typenet_tests), and the test counts allocations around
//   (a) static_model<M2> and rom_model<M2> inference: none, ever;
//   (b) model<M2>::forward on a pre-sized batch -- after a warm-up call, or after reserve(n): none;
//       the same for a residual network (M6's blocks use layer scratch);
//   (c) assigning an expression (any size, broadcasts, compound assignment) to an existing tensor: none;
//   (d) a training step after the first (every optimizer, BN, dropout, residual, recurrent): none;
//   and the same inference checks for a network of sequence layers.
// Plain main(): prints one line per check, returns 1 if any failed.
#include <typenet/typenet.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

// ---- counting global allocation functions ------------------------------------------------------------
namespace {
std::atomic<long> g_allocations{0};

// Not inlined: g++ would otherwise pair the inlined free() with the caller's new-expression and warn
// (-Wmismatched-new-delete), although replacing both is exactly what the standard allows.
[[gnu::noinline]] void* counted_alloc(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}
[[gnu::noinline]] void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(al);
    const std::size_t rounded = (n + a - 1) / a * a;  // aligned_alloc wants a multiple of the alignment
    return std::aligned_alloc(a, rounded == 0 ? a : rounded);
}
[[gnu::noinline]] void counted_free(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t al) {
    if (void* p = counted_aligned_alloc(n, al)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) {
    if (void* p = counted_aligned_alloc(n, al)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept { return counted_aligned_alloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept { return counted_aligned_alloc(n, al); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }

// ---- the checks -------------------------------------------------------------------------------------
namespace {
using namespace typenet;

int g_failures = 0;

// Allocations made while running f.
template <class F>
long allocations_in(F&& f) {
    const long before = g_allocations.load();
    f();
    return g_allocations.load() - before;
}
void expect(bool ok, const char* what, long got) {
    std::printf("%s %-78s (allocations: %ld)\n", ok ? "ok  " : "FAIL", what, got);
    if (!ok) ++g_failures;
}
void expect_none(const char* what, long got) { expect(got == 0, what, got); }

using M2 = sequential<input<28, 28, 1>, conv2d<32, kernel<3>, relu>, max_pool2d<>, conv2d<64, kernel<3>, relu>,
                      max_pool2d<>, conv2d<64, kernel<3>, relu>, flatten, dense<64, relu>, dense<10, softmax>>;

template <index_t F, index_t S = 1>
using main_path = path<conv2d<F, kernel<3>, strides<S>, same>, batch_norm<>, relu, conv2d<F, kernel<3>, same>, batch_norm<>>;
using RES = sequential<input<16, 16, 3>, conv2d<8, kernel<3>, same>, batch_norm<>, relu, residual<main_path<8>>, relu,
                       residual<main_path<16, 2>, path<conv2d<16, kernel<1>, strides<2>, valid>, batch_norm<>>>, relu,
                       global_average_pool2d, dense<10, softmax>>;

// Static storage: half a megabyte does not belong on the stack, and needs no heap either.
static_model<M2> g_static;
static_model<M2, 4> g_static4;

template <class B>
void fill(B& b, float scale) {
    index_t i = 0;
    for (auto& v : b) v = scale * float((i++ * 7919) % 1000) / 1000.0f;
}
// Token ids in [0, vocabulary).
template <class B>
void fill_ids(B& b, index_t vocabulary) {
    index_t i = 0;
    for (auto& v : b) v = float((i++ * 7919) % vocabulary);
}

void check_counter_works() {
    // A warm-up forward on a fresh model must allocate (its arena): the counter sees the library.
    model<M2> m(1);
    batch<float, shape<28, 28, 1>> x(2);
    batch<float, shape<10>> y(2);
    fill(x, 1.0f);
    const long k = allocations_in([&] { m.forward(x.view(), y.view()); });
    expect(k > 0, "counter sees allocations (the first forward grows the arena)", k);
}

void check_static_model() {
    g_static.initialize(3);  // (initialize() stages through a vector: not inference)
    g_static4.initialize(3);
    tensor<float, shape<28, 28, 1>> x;
    fill(x, 1.0f);
    tensor<float, shape<10>> y;
    expect_none("(a) static_model<M2>::predict(tensor)", allocations_in([&] { y = g_static.predict(x); }));
    static float xs[5 * 28 * 28];
    static float ys[5 * 10];
    for (int i = 0; i < 5 * 28 * 28; ++i) xs[i] = float(i % 13) / 13.0f;
    const tensor_view<const float, shape<28, 28, 1>> xv(xs, 5);
    const tensor_view<float, shape<10>> yv(ys, 5);
    expect_none("(a) static_model<M2>::forward on 5 samples (MaxBatch 1: 5 runs)",
                allocations_in([&] { g_static.forward(xv, yv); }));
    expect_none("(a) static_model<M2, 4>::forward on 5 samples (4 + 1)", allocations_in([&] { g_static4.forward(xv, yv); }));
    float sum = 0;
    for (index_t j = 0; j < 10; ++j) sum += y[j];
    expect(sum > 0.999f && sum < 1.001f, "(a) static_model<M2> output is a softmax", 0);
    // rom_model: the same, reading the parameters in place from const memory.
    static rom_model<M2, 4> rom(g_static4.parameters().data());
    tensor<float, shape<10>> yr;
    expect_none("(a) rom_model<M2>::predict(tensor)", allocations_in([&] { yr = rom.predict(x); }));
    expect_none("(a) rom_model<M2, 4>::forward on 5 samples", allocations_in([&] { rom.forward(xv, yv); }));
    expect(yr[3] == g_static4.predict(x)[3], "(a) rom_model<M2> predicts as static_model<M2>", 0);
}

void check_model_forward() {
    model<M2> m(2);
    batch<float, shape<28, 28, 1>> x(8);
    batch<float, shape<10>> y(8);
    fill(x, 1.0f);
    m.forward(x.view(), y.view());  // warm-up: grows the arena to 8 samples
    expect_none("(b) model<M2>::forward, 8 samples, after a warm-up call", allocations_in([&] { m.forward(x.view(), y.view()); }));
    const tensor_view<const float, shape<28, 28, 1>> x5(x.data(), 5);
    const tensor_view<float, shape<10>> y5(y.data(), 5);
    expect_none("(b) model<M2>::forward, 5 samples after 8 (the arena only grows)",
                allocations_in([&] { m.forward(x5, y5); }));
    const tensor_view<const float, shape<28, 28, 1>> x0(x.data(), 0);
    const tensor_view<float, shape<10>> y0(y.data(), 0);
    expect_none("(b) model<M2>::forward, 0 samples", allocations_in([&] { m.forward(x0, y0); }));
    const long p = allocations_in([&] {
        auto r = m.predict(x);
        (void)r;
    });
    expect(p == 1, "(b) model<M2>::predict(batch) allocates only its result", p);

    model<M2> r(2);
    r.reserve(8);
    expect_none("(b) model<M2>::forward, 8 samples, after reserve(8), first call", allocations_in([&] { r.forward(x.view(), y.view()); }));

    model<RES> res(4);
    batch<float, shape<16, 16, 3>> xr(3);
    batch<float, shape<10>> yr(3);
    fill(xr, 2.0f);
    res.reserve(3);
    expect_none("(b) residual network: forward after reserve(3)", allocations_in([&] { res.forward(xr.view(), yr.view()); }));
    expect_none("(b) residual network: second forward", allocations_in([&] { res.forward(xr.view(), yr.view()); }));
}

void check_expressions() {
    constexpr index_t n = 64;
    using S = shape<12, 12, 7>;
    batch<float, S> a(n), b(n), c(n), y(n);
    tensor<float, shape<7>> scale, shift;
    fill(a, 1.0f);
    fill(b, -1.0f);
    fill(c, 0.5f);
    fill(scale, 2.0f);
    fill(shift, 1.0f);
    expect_none("(c) y = relu(a * 2 + b) - c", allocations_in([&] { y = ops::relu(a * 2 + b) - c; }));
    expect_none("(c) y = sigmoid(a * broadcast(scale) + broadcast(shift)) / (1 + abs(c))", allocations_in([&] {
                    y = ops::sigmoid(a * broadcast_channels(scale) + broadcast_channels(shift)) / (1 + ops::abs(c));
                }));
    expect_none("(c) y += a; y *= 0.5; y -= c; y /= 3", allocations_in([&] {
                    y += a;
                    y *= 0.5;
                    y -= c;
                    y /= 3;
                }));
    tensor<float, S> t;
    expect_none("(c) single-sample tensor and a view as destinations", allocations_in([&] {
                    t = ops::tanh(a.sample(3)) * ops::exp(ops::clamp(b.sample(4), -1, 1));
                    y.sample(2) = t + 1;
                }));
    // eval() is the explicit way to get a new result: exactly one allocation, for that result.
    long evals = allocations_in([&] {
        auto e = eval(a + b);
        (void)e;
    });
    expect(evals == 1, "(c) eval(a + b) allocates exactly its result", evals);
}

// (d) a training step: after the first step at a batch size, none -- for every optimizer, for BN,
//     dropout and residual networks, and for whole fit() epochs after the first.
template <class Net>
void check_training(const char* name, optimizer opt) {
    model<Net> m(4);
    m.compile(opt, sparse_categorical_crossentropy{}, metrics::accuracy);
    constexpr index_t n = 8;
    batch<float, typename Net::input_shape_t> x(n);
    if constexpr (Net::token_input) fill_ids(x, Net::template layer_type<0>::input_dim);
    else fill(x, 1.0f);
    float t[n];
    for (index_t i = 0; i < n; ++i) t[i] = float(i % 10);
    m.train_on_batch(x.data(), t, n);  // first step: sizes the training memory and kernel scratch
    char what[128];
    std::snprintf(what, sizeof what, "(d) %s: train_on_batch after the first step", name);
    expect_none(what, allocations_in([&] {
                    for (int k = 0; k < 3; ++k) m.train_on_batch(x.data(), t, n);
                }));
}

void check_fit_epochs() {
    // fit() allocates its per-run buffers up front; epochs 2.. allocate nothing more than epoch 1's
    // history entries. Count the difference between a 2-epoch and a 5-epoch fit.
    auto run = [](int epochs) {
        model<RES> m(5);
        m.compile(adam{}, sparse_categorical_crossentropy{}, metrics::accuracy);
        batch<float, shape<16, 16, 3>> x(24);
        fill(x, 1.0f);
        std::vector<std::int32_t> y(24);
        for (int i = 0; i < 24; ++i) y[std::size_t(i)] = i % 10;
        return allocations_in([&] { m.fit(x, y, {.epochs = epochs, .batch_size = 2, .verbose = 0}); });
    };
    const long two = run(2), five = run(5);
    // Per epoch, the history appends one value to each of its series (amortised vector growth):
    // allow that, but not one allocation per step (12 steps per epoch would add 36).
    expect((five - two) <= 3 * 6, "(d) fit: epochs 3..5 allocate only history growth, nothing per step", five - two);
}

}  // namespace

// Sequence models: an embedding, stacked and bidirectional recurrent layers, conv1d; ids 1.
using SEQ = sequential<tokens<12>, embedding<50, 8>, conv1d<8, 3, same, relu>, lstm<6, return_sequences<true>>,
                       bidirectional<gru<5, return_sequences<true>>>, simple_rnn<4>, dense<10, softmax>>;
static_model<SEQ> g_static_seq;

void check_sequences() {
    tensor<float, shape<12>> ids;
    fill_ids(ids, 50);
    tensor<float, shape<10>> out;
    g_static_seq.initialize(3);
    expect_none("(a) static_model<LSTM/GRU/bidirectional net>::predict(tensor)",
                allocations_in([&] { out = g_static_seq.predict(ids); }));
    model<SEQ> m(5);
    batch<float, shape<12>> x(6);
    batch<float, shape<10>> y(6);
    fill_ids(x, 50);
    m.reserve(6);
    expect_none("(b) recurrent network: forward after reserve(6)", allocations_in([&] { m.forward(x.view(), y.view()); }));
}

int main() {
    check_training<SEQ>("embedding, conv1d, LSTM, bidirectional GRU, SimpleRNN with Adam", adam{});
    check_sequences();
    check_training<M2>("M2 with SGD", sgd{});
    check_training<M2>("M2 with Adam", adam{});
    check_training<RES>("residual network with BN, RMSprop", rmsprop{});
    check_training<sequential<input<6, 6, 2>, conv2d<4, kernel<3>, same, relu>, flatten, dense<16, relu>, dropout<1, 2>,
                              dense<10, softmax>>>("conv + dropout with SGD momentum", sgd{.momentum = 0.9});
    check_fit_epochs();
    check_counter_works();
    check_static_model();
    check_model_forward();
    check_expressions();
    std::printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "passed", g_failures);
    return g_failures ? 1 : 0;
}
