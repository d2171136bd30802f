// composite: layers made of layers -- path<...> (a sub-network without input), residual<main,
// shortcut> (M6's block: branches added, shapes never reconciled silently) and frozen<...>
// (a sub-network whose parameters are not trained, like M5's VGG16 base).
#pragma once

#include <array>

#include "chain.hpp"
#include "training.hpp"

namespace typenet {

struct path_tag {};

// A sub-network: layers applied in order. Used as a residual branch and as the base of frozen.
template <class... Ls>
struct path : layer_base {
    using category = path_tag;
    static constexpr bool is_composite = true;
    using list = detail::plan_of<Ls...>;
    static constexpr std::size_t size = sizeof...(Ls);
    static constexpr const char* name = "sequential";
    static constexpr const char* keras_class = "Sequential";
    static constexpr int block_count = list::total_blocks();
    static constexpr int row_count = list::total_rows();

    template <class In, bool Strict = false>
    using chain = detail::bound_chain<In, Strict, false, Ls...>;

    static constexpr auto plan(dims in, check_options o = {}) { return list::make(in, o); }
    static constexpr verdict check(dims in, check_options o = {}) {
        return plan(in, o).valid() ? verdict{} : verdict{problem::inner_layer};
    }
    static constexpr dims output(dims in) { return plan(in).shape[size]; }
    static constexpr void blocks(dims in, param_block* out) { list::blocks(in, out); }
    static constexpr index_t flops(dims in) { return plan(in).flops; }
    static constexpr index_t workspace(dims in) { return plan(in).arena(); }
    static constexpr void rows(dims in, summary_row* out, int depth) { list::rows(in, out, depth); }

    template <class In, bool Strict>
    static constexpr bool report() {
        return chain<In, Strict>::report();
    }
    // `after`: the elementwise layers that follow this one in the outer chain, for the last store.
    template <class T, class In, class Out, class Policy, class Epi = epilogue<T>>
    static void forward(Policy& pol, const T* params, const T* x, T* y, index_t n, T* ws, const Epi& after = {}) {
        using C = chain<In>;
        detail::run_chain<T, C>(pol, params, C::plan.param_offset, x, y, n, ws, after);
    }

    // ---- training: the inner chain's saved data is this layer's state --------------------------
    static constexpr index_t train_saved(dims in) { return detail::train_plan_of<Ls...>::make(in).saved(); }
    static constexpr index_t train_saved_fixed(dims in) { return detail::train_plan_of<Ls...>::make(in).fixed(); }
    static constexpr index_t train_scratch(dims in) {
        return detail::train_plan_of<Ls...>::make(in).backward_scratch();
    }

    template <class T, class In, class Out, class Policy>
    static void train_forward(Policy& pol, T* params, const T* x, T* y, index_t n, T* state, T* fixed,
                              const train_context& ctx) {
        using C = chain<In>;
        const detail::train_memory<T> mem{state, fixed, nullptr};
        const T* out = detail::train_forward_chain<T, C>(pol, params, C::plan.param_offset, x, n, mem, ctx);
        pol.copy(y, out, n * Out::size);
    }
    template <class T, class In, class Out, class Policy>
    static void backward(Policy& pol, const T* params, T* grads, const T* x, const T*, T* dy, T* dx, index_t n,
                         const T* state, const T* fixed, T* scratch, const train_context& ctx) {
        using C = chain<In>;
        const detail::train_memory<T> mem{const_cast<T*>(state), const_cast<T*>(fixed), scratch};
        detail::backward_chain<T, C>(pol, params, grads, C::plan.param_offset, x, dy, dx, n, mem, ctx, false);
    }
};

// The identity shortcut.
using identity = path<>;

template <class T>
inline constexpr bool is_path_v = false;
template <class... Ls>
inline constexpr bool is_path_v<path<Ls...>> = true;

// A residual block: y = main(x) + shortcut(x). Follow it with an activation layer (relu) as M6 does.
// Parameters and summary rows come in Keras' order for the same functional graph: layers sorted by
// depth from the block's output, main path first at equal depth (Keras' get_weights() order).
template <class Main, class Shortcut = identity>
struct residual : layer_base {  // branches that are not path<...>: only the error, no body to cascade from
    static_assert(is_path_v<Main> && is_path_v<Shortcut>,
                  "typenet::residual<Main, Shortcut>: both branches must be path<layers...> (or identity)");
    static constexpr const char* name = "residual";
    static constexpr const char* keras_class = "Residual";
    static constexpr verdict check(dims, check_options = {}) { return {}; }
    static constexpr dims output(dims in) { return in; }
};
template <class... M, class... Sc>
struct residual<path<M...>, path<Sc...>> : layer_base {
    using Main = path<M...>;
    using Shortcut = path<Sc...>;
    using category = path_tag;
    static constexpr bool is_composite = true;
    static constexpr const char* name = "residual";
    static constexpr const char* keras_class = "Residual";
    static constexpr int m = int(Main::size), s = int(Shortcut::size);
    static constexpr int block_count = Main::block_count + Shortcut::block_count;
    static constexpr int row_count = Main::row_count + Shortcut::row_count + 1;  // + the add row

    struct slot {
        bool shortcut = false;
        int index = 0;
    };
    static constexpr std::array<slot, std::size_t(m + s)> order() {
        std::array<slot, std::size_t(m + s)> o{};
        int i = 0, j = 0, k = 0;
        while (i < m || j < s) {
            const bool take_main = j >= s || (i < m && (m - i) >= (s - j));
            o[std::size_t(k++)] = take_main ? slot{false, i++} : slot{true, j++};
        }
        return o;
    }

    static constexpr verdict check(dims in, check_options o = {}) {
        const auto pm = Main::plan(in, o);
        const auto ps = Shortcut::plan(in, o);
        if (!pm.valid() || !ps.valid()) return {problem::inner_layer};
        const dims a = pm.shape[Main::size], b = ps.shape[Shortcut::size];
        if (!(a == b)) return {problem::residual_branch_mismatch, a, b};
        return {};
    }
    static constexpr dims output(dims in) { return Main::output(in); }

    template <class F>
    static constexpr void each_in_order(dims in, F f) {  // f(slot, layer input dims)
        const auto pm = Main::plan(in);
        const auto ps = Shortcut::plan(in);
        for (slot sl : order()) f(sl, sl.shortcut ? ps.shape[sl.index] : pm.shape[sl.index]);
    }

    static constexpr void blocks(dims in, param_block* out) {
        int k = 0, row = 0;
        each_in_order(in, [&](slot sl, dims lin) {
            const std::size_t i = std::size_t(sl.index);
            const int before = k;
            if (sl.shortcut) {
                Shortcut::list::layer_blocks(i, lin, out + k);
                k += Shortcut::list::layer_block_count(i);
            } else {
                Main::list::layer_blocks(i, lin, out + k);
                k += Main::list::layer_block_count(i);
            }
            for (int j = before; j < k; ++j) out[j].row += row;
            row += sl.shortcut ? Shortcut::list::layer_row_count(i) : Main::list::layer_row_count(i);
        });
    }
    static constexpr void rows(dims in, summary_row* out, int depth) {
        int r = 0;
        each_in_order(in, [&](slot sl, dims lin) {
            const std::size_t i = std::size_t(sl.index);
            if (sl.shortcut) {
                Shortcut::list::layer_rows(i, lin, out + r, depth);
                r += Shortcut::list::layer_row_count(i);
            } else {
                Main::list::layer_rows(i, lin, out + r, depth);
                r += Main::list::layer_row_count(i);
            }
        });
        out[r] = summary_row{"add", "Add", output(in), 0, depth};
    }
    static constexpr index_t flops(dims in) { return Main::flops(in) + Shortcut::flops(in) + output(in).size(); }
    static constexpr index_t workspace(dims in) {
        // The shortcut (identity: none) writes a temporary; then each branch runs with the rest of
        // the scratch as its arena, main last, so that its last store can add the temporary.
        if constexpr (s == 0) return Main::workspace(in);
        else return output(in).size() + detail::max_of(Main::workspace(in), Shortcut::workspace(in));
    }

    // Parameter offsets of each branch's layers inside this block's interleaved parameters.
    struct offsets_t {
        index_t main[std::size_t(m + 1)]{};
        index_t shortcut[std::size_t(s + 1)]{};
    };
    static constexpr offsets_t offsets(dims in) {
        offsets_t o{};
        index_t at = 0;
        each_in_order(in, [&](slot sl, dims lin) {
            const std::size_t i = std::size_t(sl.index);
            if (sl.shortcut) {
                o.shortcut[i] = at;
                at += Shortcut::list::layer_params(i, lin);
            } else {
                o.main[i] = at;
                at += Main::list::layer_params(i, lin);
            }
        });
        return o;
    }

    template <class In, bool Strict>
    static constexpr bool report() {
        if constexpr (!Main::plan(In::value, check_options{Strict}).valid()) return Main::template report<In, Strict>();
        else return Shortcut::template report<In, Strict>();
    }

    // The add, and `after` (what follows the block in the outer chain: M6's relu), are done by the
    // main branch's last store: y = after(main(x) + shortcut(x)) in one pass over y.
    template <class T, class In, class Out, class Policy, class Epi = epilogue<T>>
    static void forward(Policy& pol, const T* params, const T* x, T* y, index_t n, T* ws, const Epi& after = {}) {
        static constexpr offsets_t off = offsets(In::value);
        using MC = typename Main::template chain<In>;
        if constexpr (s == 0) {
            detail::run_chain<T, MC>(pol, params, off.main, x, y, n, ws, epilogue<T, add_stage>{{x}} + after);
        } else {
            using SC = typename Shortcut::template chain<In>;
            T* tmp = ws;
            T* rest = ws + n * Out::size;
            detail::run_chain<T, SC>(pol, params, off.shortcut, x, tmp, n, rest);
            detail::run_chain<T, MC>(pol, params, off.main, x, y, n, rest, epilogue<T, add_stage>{{tmp}} + after);
        }
    }

    // ---- training: both branches' saved data; backward sums the branches' input gradients -------
    static constexpr index_t train_saved(dims in) { return Main::train_saved(in) + Shortcut::train_saved(in); }
    static constexpr index_t train_saved_fixed(dims in) {
        return Main::train_saved_fixed(in) + Shortcut::train_saved_fixed(in);
    }
    // A copy of dy (the main branch overwrites its own), the shortcut's input gradient, then
    // whichever branch needs more.
    static constexpr index_t train_scratch(dims in) {
        return output(in).size() + in.size() + detail::max_of(Main::train_scratch(in), Shortcut::train_scratch(in));
    }

    template <class T, class In, class Out, class Policy>
    static void train_forward(Policy& pol, T* params, const T* x, T* y, index_t n, T* state, T* fixed,
                              const train_context& ctx) {
        static constexpr offsets_t off = offsets(In::value);
        using MC = typename Main::template chain<In>;
        using SC = typename Shortcut::template chain<In>;
        const detail::train_memory<T> mm{state, fixed, nullptr};
        const detail::train_memory<T> ms{state + n * Main::train_saved(In::value), fixed + Main::train_saved_fixed(In::value),
                                         nullptr};
        const T* a = detail::train_forward_chain<T, MC>(pol, params, off.main, x, n, mm, ctx);
        const T* b = detail::train_forward_chain<T, SC>(pol, params, off.shortcut, x, n, ms, ctx);
        pol.add(y, a, b, n * Out::size);
    }
    template <class T, class In, class Out, class Policy>
    static void backward(Policy& pol, const T* params, T* grads, const T* x, const T*, T* dy, T* dx, index_t n,
                         const T* state, const T* fixed, T* scratch, const train_context& ctx) {
        static constexpr offsets_t off = offsets(In::value);
        using MC = typename Main::template chain<In>;
        using SC = typename Shortcut::template chain<In>;
        T* dy_copy = scratch;
        T* dx_short = scratch + n * Out::size;
        T* rest = dx_short + n * In::size;
        pol.copy(dy_copy, dy, n * Out::size);
        T* st = const_cast<T*>(state);
        T* fx = const_cast<T*>(fixed);
        const detail::train_memory<T> mm{st, fx, rest};
        const detail::train_memory<T> ms{st + n * Main::train_saved(In::value), fx + Main::train_saved_fixed(In::value), rest};
        detail::backward_chain<T, MC>(pol, params, grads, off.main, x, dy, dx, n, mm, ctx, false);
        if constexpr (s == 0) {
            if (dx) pol.add(dx, dy_copy, n * In::size);
        } else {
            detail::backward_chain<T, SC>(pol, params, grads, off.shortcut, x, dy_copy, dx ? dx_short : nullptr, n, ms,
                                          ctx, false);
            if (dx) pol.add(dx, dx_short, n * In::size);
        }
    }
};

// A sub-network whose parameters are frozen: counted as non-trainable and never updated.
// In training it behaves as at inference (batch_norm uses its moving statistics, dropout is off),
// as Keras does for a model with trainable = False, and only passes gradients through.
template <class... Ls>
struct frozen : path<Ls...> {
    static constexpr void blocks(dims in, param_block* out) {
        path<Ls...>::blocks(in, out);
        for (int i = 0; i < path<Ls...>::block_count; ++i) out[i].trainable = false;
    }
    static constexpr train_context frozen_context(const train_context& ctx) {
        train_context c = ctx;
        c.training = false;
        c.param_grads = false;
        return c;
    }
    template <class T, class In, class Out, class Policy>
    static void train_forward(Policy& pol, T* params, const T* x, T* y, index_t n, T* state, T* fixed,
                              const train_context& ctx) {
        path<Ls...>::template train_forward<T, In, Out>(pol, params, x, y, n, state, fixed, frozen_context(ctx));
    }
    template <class T, class In, class Out, class Policy>
    static void backward(Policy& pol, const T* params, T* grads, const T* x, const T* y, T* dy, T* dx, index_t n,
                         const T* state, const T* fixed, T* scratch, const train_context& ctx) {
        if (!dx) return;  // nothing to train inside, and no one needs the input gradient
        path<Ls...>::template backward<T, In, Out>(pol, params, grads, x, y, dy, dx, n, state, fixed, scratch,
                                                   frozen_context(ctx));
    }
};

}  // namespace typenet
