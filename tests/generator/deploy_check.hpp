// The check every weighted fixture of tests/fixtures/keras_deploy goes through: the header that
// tools/keras_to_typenet.py wrote for it (net, keras_weights, weights, model = rom_model<net>)
// predicts Keras' outputs on the fixture's inputs, a heap model<net> given the same arrays through
// set_weights predicts the same bits, and typenet names every array as Keras does.
#pragma once

#include <doctest/doctest.h>

#include <typenet/typenet.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deploy {
namespace tn = typenet;

inline std::vector<float> npz_array(const std::vector<tn::io::npy_array>& arrays, const std::string& name) {
    std::vector<float> v;
    bool found = false;
    for (const auto& a : arrays)
        if (a.name == name) {
            REQUIRE(a.to_vector(v).ok());
            found = true;
        }
    REQUIRE_MESSAGE(found, "no array " << name);
    return v;
}

// Keras' outputs within 1e-5 relative, plus 1e-6 absolute.
inline void check_close(const float* got, const std::vector<float>& want, const std::string& what) {
    int bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const float tol = 1e-5f * std::fabs(want[i]) + 1e-6f;
        if (!(std::fabs(got[i] - want[i]) <= tol) && bad++ < 5)
            FAIL_CHECK(what << ": output " << i << " is " << got[i] << ", Keras " << want[i]);
    }
    CHECK_MESSAGE(bad == 0, what << ": " << bad << " of " << want.size() << " outputs differ from Keras'");
}

// Rom: the header's `model` (rom_model<net>); K: the header's keras_weights table.
// same_names: whether typenet's automatic layer names are Keras' for this model (they are unless a
// Keras layer used a name typenet does not count: Bidirectional(GRU(...)) first names its GRU "gru",
// so Keras' next GRU is "gru_1", typenet's "gru").
template <class Rom, class KerasWeights, std::size_t K>
void check_model(const std::string& fixture, const float* weights, const KerasWeights (&keras)[K],
                 bool same_names = true) {
    using Net = typename Rom::network_type;
    using In = typename Net::input_shape_t;
    using Out = typename Net::output_shape_t;
    std::vector<tn::io::npy_array> io;
    const std::string path = std::string(TYPENET_DEPLOY_FIXTURES) + "/" + fixture + ".io.npz";
    REQUIRE_MESSAGE(tn::io::read_npz(path, io).ok(), path);
    const std::vector<float> x = npz_array(io, "x"), y = npz_array(io, "y");
    const auto n = tn::index_t(y.size()) / Out::size;
    REQUIRE(n > 0);
    REQUIRE(tn::index_t(x.size()) == n * In::size);

    // 1. rom_model, parameters read in place from the header's array.
    const auto rom = std::make_unique<Rom>(weights);
    CHECK(rom->parameters().data() == weights);
    tn::batch<float, In> xb(n);
    std::copy(x.begin(), x.end(), xb.data());
    const auto yr = rom->predict(xb);
    check_close(yr.data(), y, fixture + " rom_model");

    // 2. model<net> given the same arrays through set_weights (Keras' get_weights() form).
    std::vector<tn::weight_array<float>> ws;
    tn::index_t at = 0;
    for (const auto& k : keras) {
        tn::weight_array<float> w;
        w.layer = k.layer;
        w.name = k.name;
        w.shape.assign(k.shape.e, k.shape.e + k.shape.rank);
        w.values.assign(weights + at, weights + at + k.shape.size());
        at += k.shape.size();
        ws.push_back(std::move(w));
    }
    CHECK(at == Net::param_count);
    auto heap = tn::make_model<Net>();
    const auto s = heap.set_weights(ws);
    REQUIRE_MESSAGE(s.ok(), s.message());
    const auto yh = heap.predict(xb);
    int differ = 0;
    for (tn::index_t i = 0; i < n * Out::size; ++i) differ += yh.data()[i] != yr.data()[i];
    CHECK_MESSAGE(differ == 0, fixture << ": model<net> and rom_model<net> differ in " << differ << " outputs");
    check_close(yh.data(), y, fixture + " model<net>");

    // 3. typenet names each array as Keras does (layer name and variable).
    const auto got = rom->get_weights();
    REQUIRE(got.size() == K);
    for (std::size_t i = 0; i < K; ++i) {
        const std::string layer = keras[i].layer, name = keras[i].name;
        if (same_names)
            CHECK_MESSAGE(got[i].layer == layer, fixture << " array " << i << ": typenet says " << got[i].layer
                                                          << ", Keras " << layer);
        CHECK_MESSAGE(got[i].name == name, fixture << " array " << i << ": typenet says " << got[i].name
                                                    << ", Keras " << name);
    }

    // 4. Token models also predict from int32 ids, as a tokenizer gives them.
    if constexpr (Net::token_input) {
        tn::batch<std::int32_t, In> ids(n);
        for (std::size_t i = 0; i < x.size(); ++i) ids.data()[i] = std::int32_t(x[i]);
        const auto yi = rom->predict(ids);
        check_close(yi.data(), y, fixture + " rom_model, int32 ids");
    }
}

}  // namespace deploy
