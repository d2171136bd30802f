// model: a network type bound to a policy, its parameters owned on the heap (or the device, for
// GPU policies) -- VGG16-sized networks construct. model<Net, Policy, T> runs inference, moves
// weights in and out in Keras' get_weights() order and layouts, prints Keras' summary, and holds
// the primitives training is built from (train/model.hpp adds compile / fit on top).
// static_model and rom_model (model/static_model.hpp) are the forms without heap or threads.
#pragma once

#include <cstdint>
#include <span>
#include <type_traits>

#include "../backend/cpu/policy.hpp"
#include "model_io.hpp"
#include "static_model.hpp"

namespace typenet {

template <network Net, class Policy = cpu, class T = float>
class basic_model : public detail::model_base<basic_model<Net, Policy, T>, Net, T> {
    static_assert(std::is_floating_point_v<T>, "typenet::model<Net, Policy, T>: T must be float or double");
    using base = detail::model_base<basic_model<Net, Policy, T>, Net, T>;
    friend base;

public:
    using policy_type = Policy;
    explicit basic_model(std::uint64_t seed = 0) : params_(Net::param_count) { this->initialize(seed); }
    // A policy object that carries state (a GPU context) can be given explicitly.
    explicit basic_model(Policy policy, std::uint64_t seed = 0) : policy_(std::move(policy)), params_(Net::param_count) {
        this->initialize(seed);
    }
    Policy& policy() { return policy_; }

    // Direct access to the flat parameter vector (host policies): get_weights() order, concatenated.
    std::span<T> parameters()
        requires Policy::host_memory
    {
        return {params_.data(), std::size_t(Net::param_count)};
    }
    std::span<const T> parameters() const
        requires Policy::host_memory
    {
        return {params_.data(), std::size_t(Net::param_count)};
    }

    // Grows the activation arena for batches of up to n samples ahead of time; inference on
    // batches up to that size then allocates nothing. A policy that plans its kernels per batch
    // size (cuda: cuDNN and cuBLASLt plans and their scratch) makes them now, with one pass over
    // zeros, so the first forward at size n allocates nothing either.
    void reserve(index_t n) {
        grow_arena(n);
        if constexpr (requires { Policy::plans_per_batch; }) {
            if constexpr (Policy::plans_per_batch && Net::valid) {
                if (n <= 0) return;
                constexpr index_t in = Net::input_shape_t::size, out = Net::output_shape_t::size;
                io_.resize(n * (in + out));
                run(io_.data(), io_.data() + n * in, n);
            }
        }
    }

    // ---- training primitives ------------------------------------------------------------------------
    using train_plan_t = detail::train_plan<typename Net::chain>;

    // Sizes the training memory for batches of up to n samples (no allocation afterwards).
    void reserve_training(index_t n) {
        constexpr auto& tp = train_plan_t::value;
        train_.resize(n * (tp.saved() + tp.backward_scratch()) + tp.fixed());
        grads_.resize(Net::param_count);
        dy_.resize(n * Net::output_shape_t::size);
        if constexpr (requires { policy_.prepare(); }) policy_.prepare();
    }
    // Training forward pass on x (n samples, policy memory); returns the output (policy memory,
    // valid until the next call). Keeps what backward() needs.
    const T* train_forward(const T* x, index_t n, const train_context& ctx) {
        reserve_training(n);
        if constexpr (Net::valid)
            return detail::train_forward_chain<T, typename Net::chain>(policy_, params_.data(), Net::plan.param_offset, x,
                                                                      n, memory(n), ctx);
        else
            return x;
    }
    // The loss gradient w.r.t. the output goes here (n samples) before backward().
    T* output_gradient() { return dy_.data(); }
    // Backward pass after train_forward on the same x: fills gradients().
    void backward(const T* x, index_t n, const train_context& ctx) {
        if constexpr (Net::valid)
            detail::backward_chain<T, typename Net::chain>(policy_, params_.data(), grads_.data(), Net::plan.param_offset,
                                                          x, dy_.data(), nullptr, n, memory(n), ctx, true);
    }
    std::span<T> gradients()
        requires Policy::host_memory
    {
        return {grads_.data(), std::size_t(Net::param_count)};
    }
    T* parameter_data() { return params_.data(); }
    T* gradient_data() { return grads_.data(); }

private:
    detail::train_memory<T> memory(index_t n) {
        constexpr auto& tp = train_plan_t::value;
        T* base_ptr = train_.data();
        return {base_ptr, base_ptr + n * tp.saved(), base_ptr + n * tp.saved() + tp.fixed()};
    }
    void run(const T* x, T* y, index_t n) {
        if (n <= 0) return;
        grow_arena(n);
        if constexpr (Net::valid) {
            const auto pass = [&] {
                detail::run_chain<T, typename Net::chain>(policy_, params_.data(), Net::plan.param_offset, x, y, n,
                                                          arena_.data());
            };
            // A policy that can replay a whole forward pass (cuda's CUDA graphs) is given it with
            // every address the pass uses: the same addresses and batch size replay the same pass.
            if constexpr (requires { policy_.run_forward(pass, x, y, n, params_.data(), arena_.data()); })
                policy_.run_forward(pass, x, y, n, params_.data(), arena_.data());
            else
                pass();
        }
    }
    void grow_arena(index_t n) {
        arena_.resize(n * Net::arena_elems);
        if constexpr (requires { policy_.prepare(); }) policy_.prepare();
    }
    // Host tensors in and out: device policies stage them through a buffer of their own.
    void run_host(const T* x, T* y, index_t n) {
        if constexpr (Policy::host_memory) {
            run(x, y, n);
        } else {
            if (n <= 0) return;
            constexpr index_t in = Net::input_shape_t::size, out = Net::output_shape_t::size;
            io_.resize(n * (in + out));
            io_.upload(x, n * in);
            run(io_.data(), io_.data() + n * in, n);
            io_.download(y, n * out, n * in);  // download synchronises: the forward pass has finished
        }
    }
    void read_params(T* host) const { params_.download(host, Net::param_count); }
    void write_params(const T* host) { params_.upload(host, Net::param_count); }
    void read_block(T* host, index_t at, index_t n) const { params_.download(host, n, at); }
    void write_block(const T* host, index_t at, index_t n) { params_.upload(host, n, at); }

    Policy policy_{};
    typename Policy::template buffer<T> params_;
    typename Policy::template buffer<T> arena_;
    typename Policy::template buffer<T> train_, grads_, dy_;
    typename Policy::template buffer<T> io_;
};

}  // namespace typenet
