// model_io: what the model kinds do with files and text -- Keras weight arrays through .npz, the
// layer names and summary -- kept out of the bare-metal core (model/static_model.hpp forwards
// to it). Included by model/model.hpp and typenet.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../core/status.hpp"
#include "../io/npz.hpp"
#include "static_model.hpp"
#include "summary.hpp"

namespace typenet {

namespace detail {

template <class Net, class T>
struct model_io {
    static std::vector<std::string> layer_names() { return keras_names(Net::summary_rows); }

    template <class Model>
    static status set_weights(Model& m, const std::vector<weight_array<T>>& ws) {
        std::vector<io::npy_array> arrays;
        for (std::size_t i = 0; i < ws.size(); ++i) {
            // The values must fill the shape before they are read (make_npy reads as many as the
            // shape holds).
            const std::vector<std::int64_t> shape(ws[i].shape.begin(), ws[i].shape.end());
            std::int64_t need = 0;
            const bool valid = io::detail::element_count(shape, need);
            if (!valid || std::uint64_t(need) != ws[i].values.size())
                return status::error("set_weights: array " + std::to_string(i) + " holds " +
                                     std::to_string(ws[i].values.size()) + " values but its shape " +
                                     shape_string(ws[i].shape) + " needs " + (valid ? std::to_string(need) : "an invalid number") +
                                     "; model unchanged");
            arrays.push_back(io::make_npy<T>("arr_" + std::to_string(i), shape, ws[i].values.data()));
        }
        return m.set_weights_from(arrays, "set_weights");
    }

    template <class Model>
    static status load_npz(Model& m, const std::filesystem::path& path) {
        std::vector<io::npy_array> arrays;
        if (status s = io::read_npz(path, arrays); !s) return s;
        return m.set_weights_from(arrays, path.string());
    }

    template <class Model>
    static status save_npz(const Model& m, const std::filesystem::path& path) {
        const std::vector<T> flat = m.flat_parameters();
        std::vector<io::npy_array> arrays;
        for (std::size_t i = 0; i < Net::param_blocks.size(); ++i) {
            const auto& b = Net::param_blocks[i];
            arrays.push_back(io::make_npy<T>("arr_" + std::to_string(i),
                                             std::vector<std::int64_t>(b.shape.e, b.shape.e + b.shape.rank),
                                             flat.data() + Net::block_offsets[i]));
        }
        return io::write_npz(path, arrays);
    }

    template <class Os>
    static void summary(Os& os, std::string_view name, int line_length) {
        print_summary<Net>(os, name, 4, line_length);
    }
};

}  // namespace detail

// Print a network type's summary without building a model.
template <network Net, class Os>
void summary(Os& os, std::string_view name = "sequential", int line_length = 0) {
    print_summary<Net>(os, name, 4, line_length);
}

}  // namespace typenet
