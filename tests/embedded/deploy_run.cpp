// One generated model (tools/keras_to_typenet.py) run on fixed inputs, built twice from this file:
//  - for the Cortex-M4 (TYPENET_BOARD): weights in flash (rom_model reads them in place), the model
//    object in painted RAM; prints each output's exact bits, the arena's and the stack's
//    high-water marks through semihosting (QEMU);
//  - for the host: runs the same inputs, reads what the board printed (argv[1]) and checks every
//    output within 1e-5 of its own, and that the board's arena high-water mark is exactly
//    Net::arena_bytes.
// MODEL_HEADER and MODEL_NS name the generated header and its namespace.
#include <cstdint>
#include <cstring>
#include <new>

#include MODEL_HEADER

#ifdef TYPENET_BOARD
#include "board.hpp"
#else
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#endif

namespace {
namespace tn = typenet;
namespace M = MODEL_NS;
using Net = M::net;
using Model = M::model;
constexpr int samples = 4;
constexpr unsigned char paint = 0xA5;

// Sample s, element i: a fixed pseudo-random input in [0, 1) (an id in [0, V) for a text network).
template <class N = Net>
float input_value(int s, tn::index_t i) {
    std::uint32_t v = std::uint32_t(s) * 2654435761u + std::uint32_t(i) * 40503u + 12345u;
    v ^= v >> 13;
    v *= 0x5bd1e995u;
    v ^= v >> 15;
    if constexpr (tn::detail::token_network<N>) {
        using E = typename N::template layer_type<0>;
        return float(v % std::uint32_t(E::input_dim));
    } else {
        return float(v >> 8) / float(1u << 24);
    }
}

// The model object, constructed in a buffer painted beforehand, with room after it: the deepest
// byte that changed, counted from the arena's start, is what inference used of it.
alignas(64) unsigned char storage[sizeof(Model) + 1024];
tn::tensor<float, Net::input_shape_t> x;
tn::tensor<float, Net::output_shape_t> y[samples];

std::uint32_t arena_high_water(const Model& m) {
    const auto* arena = reinterpret_cast<const unsigned char*>(m.arena().data());
    const unsigned char* end = storage + sizeof storage;
    while (end > arena && end[-1] == paint) --end;
    return std::uint32_t(end - arena);
}

std::uint32_t run_all() {
    std::memset(storage, paint, sizeof storage);
    Model* m = new (storage) Model(M::weights);
    for (int s = 0; s < samples; ++s) {
        for (tn::index_t i = 0; i < Net::input_shape_t::size; ++i) x[i] = input_value(s, i);
        y[s] = m->predict(x);
    }
    return arena_high_water(*m);
}

}  // namespace

#ifdef TYPENET_BOARD
int main() {
    const std::uint32_t arena = run_all();
    for (int s = 0; s < samples; ++s) {
        board::write("y");
        for (tn::index_t i = 0; i < Net::output_shape_t::size; ++i) {
            board::write(" ");
            board::write_float_bits(y[s][i]);
        }
        board::write("\n");
    }
    board::write("arena_high_water ");
    board::write_uint(arena);
    board::write("\narena_bytes ");
    board::write_uint(std::uint32_t(Net::arena_bytes));
    board::write("\nstack_high_water ");
    board::write_uint(board::stack_high_water());
    board::write("\n");
    return 0;
}
#else
int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " BOARD_OUTPUT\n";
        return 2;
    }
    const std::uint32_t host_arena = run_all();
    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << argv[1] << ": cannot read the board's output\n";
        return 1;
    }
    int failures = 0, rows = 0;
    long arena = -1, stack = -1;
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string key;
        ls >> key;
        if (key == "y") {
            if (rows >= samples) { ++failures; break; }
            for (tn::index_t i = 0; i < Net::output_shape_t::size; ++i) {
                std::string hex;
                if (!(ls >> hex)) { std::cerr << "sample " << rows << ": output " << i << " missing\n"; ++failures; break; }
                const std::uint32_t u = std::uint32_t(std::stoul(hex, nullptr, 16));
                float b;
                std::memcpy(&b, &u, 4);
                const float h = y[rows][i];
                const double err = std::fabs(double(b) - double(h));
                if (!(err <= 1e-5 * std::fabs(double(h)) + 1e-6)) {
                    std::cerr << "sample " << rows << " output " << i << ": board " << b << ", host " << h << "\n";
                    ++failures;
                }
            }
            ++rows;
        } else if (key == "arena_high_water") {
            ls >> arena;
        } else if (key == "stack_high_water") {
            ls >> stack;
        }
    }
    if (rows != samples) {
        std::cerr << "the board printed " << rows << " outputs, expected " << samples << "\n";
        ++failures;
    }
    std::cout << "outputs: " << rows << " samples x " << Net::output_shape_t::size << ", board vs host within 1e-5\n";
    std::cout << "arena: board high-water " << arena << " B, host " << host_arena << " B, Net::arena_bytes "
              << Net::arena_bytes << " B\n";
    std::cout << "stack high-water on the board: " << stack << " B\n";
    if (arena != long(Net::arena_bytes) || host_arena != std::uint32_t(Net::arena_bytes)) {
        std::cerr << "the arena high-water mark is not Net::arena_bytes\n";
        ++failures;
    }
    if (failures) std::cerr << failures << " failure(s)\n";
    return failures ? 1 : 0;
}
#endif
