// What runs on more than one thread, in a program small enough to build under ThreadSanitizer in
// the suite (scripts/test.sh builds it with TYPENET_SANITIZE=thread and runs it): the worker pool
// under jobs of every size, and training and inference on cpu{2} and cpu{3} against cpu{1}
// (convolutions, dense layers split by units, batch norm, an LSTM, the optimizer's update).
#include <typenet/typenet.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace tn = typenet;

namespace {
int failures = 0;
void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        ++failures;
    }
}

using cnn = tn::sequential<tn::input<10, 10, 3>, tn::conv2d<8, 3, tn::same, tn::relu>, tn::batch_norm<>,
                           tn::max_pool2d<2>, tn::flatten, tn::dense<64, tn::relu>, tn::dense<4, tn::softmax>>;
using rnn = tn::sequential<tn::tokens<12>, tn::embedding<40, 8>, tn::lstm<16>, tn::dense<2, tn::softmax>>;

template <class Net, class X>
std::vector<float> train(int threads, const X& x, const std::vector<int>& y) {
    tn::model<Net> m(tn::cpu{threads}, 7);
    m.compile(tn::adam{}, tn::sparse_categorical_crossentropy{});
    (void)m.fit(x, y, {.epochs = 2, .batch_size = 8, .verbose = 0, .seed = 3});
    const auto p = m.predict(x, 16);
    std::vector<float> out(m.parameters().begin(), m.parameters().end());
    out.insert(out.end(), p.begin(), p.end());
    return out;
}
}  // namespace

int main() {
    // The worker pool under many small jobs: every index of every job is handed out exactly once,
    // the caller returns only when all slices are done, and a pool is reused across jobs of every size.
    for (int threads : {2, 3, 4}) {
        tn::cpu_detail::worker_pool pool(threads);
        std::vector<int> hits(257);
        for (tn::index_t count = 0; count <= 257; count += (count < 16 ? 1 : 37)) {
            std::fill(hits.begin(), hits.end(), 0);
            auto job = [&](tn::index_t b, tn::index_t e) {
                for (tn::index_t i = b; i < e; ++i) ++hits[std::size_t(i)];
            };
            for (int r = 0; r < 20; ++r) pool.run(count, job);
            for (tn::index_t i = 0; i < 257; ++i) expect(hits[std::size_t(i)] == (i < count ? 20 : 0), "worker_pool: each index once per job");
        }
    }
    tn::batch<float, cnn::input_shape_t> images(32);
    for (tn::index_t i = 0; i < images.size(); ++i) images[i] = float((i * 37) % 101) / 101.0f;
    tn::batch<float, rnn::input_shape_t> ids(32);
    for (tn::index_t i = 0; i < ids.size(); ++i) ids[i] = float((i * 13) % 40);
    std::vector<int> y(32);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = int(i % 4);
    std::vector<int> y2(32);
    for (std::size_t i = 0; i < y2.size(); ++i) y2[i] = int(i % 2);
    const auto c1 = train<cnn>(1, images, y), r1 = train<rnn>(1, ids, y2);
    for (int threads : {2, 3}) {
        expect(train<cnn>(threads, images, y) == c1, "cnn: same bits on one thread and several");
        expect(train<rnn>(threads, ids, y2) == r1, "lstm: same bits on one thread and several");
    }
    std::printf("%s\n", failures ? "FAILED" : "thread tests passed");
    return failures ? 1 : 0;
}
