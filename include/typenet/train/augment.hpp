// augment: seeded, deterministic random image augmentation of (H, W, C) samples, applied on the fly
// to training batches -- Keras' ImageDataGenerator geometry (flip, rotation, shift, shear, zoom;
// fill mode 'nearest', bilinear sampling) and the RandomBrightness / RandomContrast layers.
//
// Each sample gets its own random transform, drawn from the generator in a fixed order, so the
// same seed gives the same output on every platform (the draws use mt19937_64's raw output, not
// std::uniform_real_distribution, whose algorithm differs between standard libraries). The
// geometric part is one resampling pass through a single affine matrix. Nothing is allocated.
#pragma once

#include <typenet/core/config.hpp>
#include <typenet/core/shape.hpp>
#include <typenet/core/tensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <type_traits>

namespace typenet::data {

// Ranges of the random transform; 0 turns a part off. Each sample draws its own values:
struct augment_options {
    bool horizontal_flip = false;  // mirror left-right with probability 1/2
    double rotation_degrees = 0;   // rotate by U(-r, r) degrees about the centre (positive: counter-clockwise)
    double width_shift = 0;        // shift right by U(-s, s) x W pixels (s < 1), or U(-s, s) pixels (s >= 1)
    double height_shift = 0;       // shift down by U(-s, s) x H pixels (s < 1), or U(-s, s) pixels (s >= 1)
    double zoom = 0;               // sample a region U(1-z, 1+z) times the size, per axis (< 1 zooms in); z < 1
    double shear_degrees = 0;      // shear by U(-s, s) degrees
    double brightness = 0;         // add U(-b, b) to every value (values in [0, 1]), then clamp to [0, 1]
    double contrast = 0;           // (x - mean) * U(1-c, 1+c) + mean, per channel, then clamp to [0, 1]; c <= 1
};

// Writes one randomly transformed copy of each of in's n samples (H, W, C) to out. in and out
// hold the same number of samples and must not overlap. With every option 0 out is an exact copy.
template <class T, class S>
void augment(std::type_identity_t<tensor_view<const T, S>> in, tensor_view<T, S> out, const augment_options& opt,
             std::mt19937_64& rng);

// The same for whole batches (out must already hold in's number of samples).
template <class T, class S>
void augment(const batch<T, S>& in, batch<T, S>& out, const augment_options& opt, std::mt19937_64& rng) {
    augment<T, S>(in.view(), out.view(), opt, rng);
}

// Options and a generator owned together: augmenter aug({.horizontal_flip = true}, seed);
// aug(x_in, x_out) per training batch.
class augmenter {
public:
    explicit augmenter(const augment_options& options, std::uint64_t seed = 0) : opt_(options), rng_(seed) {}
    template <class T, class S>
    void operator()(const batch<T, S>& in, batch<T, S>& out) {
        augment(in, out, opt_, rng_);
    }
    template <class T, class S>
    void operator()(std::type_identity_t<tensor_view<const T, S>> in, tensor_view<T, S> out) {
        augment<T, S>(in, out, opt_, rng_);
    }
    const augment_options& options() const { return opt_; }
    std::mt19937_64& rng() { return rng_; }
    void seed(std::uint64_t s) { rng_.seed(s); }

private:
    augment_options opt_;
    std::mt19937_64 rng_;
};

// ------------------------------------------------------------------------------------------
// Implementation details (not part of the public API; exposed for tests).
// ------------------------------------------------------------------------------------------
namespace detail {

// Output pixel (row, col) samples the input at
//   row_in = m[0][0] * row + m[0][1] * col + m[0][2]
//   col_in = m[1][0] * row + m[1][1] * col + m[1][2]
struct affine2d {
    double m[2][3] = {{1, 0, 0}, {0, 1, 0}};
    bool is_identity() const {
        return m[0][0] == 1 && m[0][1] == 0 && m[0][2] == 0 && m[1][0] == 0 && m[1][1] == 1 && m[1][2] == 0;
    }
};

// One sample's drawn transform.
struct transform_params {
    bool flip = false;
    double rotation_degrees = 0;  // counter-clockwise
    double shift_rows = 0;        // pixels, positive moves content down
    double shift_cols = 0;        // pixels, positive moves content right
    double shear_degrees = 0;
    double zoom_rows = 1, zoom_cols = 1;  // input extent / output extent
    double brightness = 0;                // added
    double contrast = 1;                  // factor
};

// U[lo, hi) from the generator's raw 64 bits (the top 53 as a double in [0, 1)).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
    const double u = double(rng() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

inline constexpr double pi = 3.14159265358979323846;

// Draws one sample's transform, in a fixed order, only for the parts that are on.
inline transform_params draw(const augment_options& o, index_t H, index_t W, std::mt19937_64& rng) {
    transform_params t;
    if (o.horizontal_flip) t.flip = (rng() >> 63) != 0;
    if (o.rotation_degrees > 0) t.rotation_degrees = uniform(rng, -o.rotation_degrees, o.rotation_degrees);
    if (o.height_shift > 0)
        t.shift_rows = uniform(rng, -o.height_shift, o.height_shift) * (o.height_shift < 1 ? double(H) : 1.0);
    if (o.width_shift > 0)
        t.shift_cols = uniform(rng, -o.width_shift, o.width_shift) * (o.width_shift < 1 ? double(W) : 1.0);
    if (o.shear_degrees > 0) t.shear_degrees = uniform(rng, -o.shear_degrees, o.shear_degrees);
    if (o.zoom > 0) {  // independent per axis, like ImageDataGenerator
        t.zoom_rows = uniform(rng, 1 - o.zoom, 1 + o.zoom);
        t.zoom_cols = uniform(rng, 1 - o.zoom, 1 + o.zoom);
    }
    if (o.brightness > 0) t.brightness = uniform(rng, -o.brightness, o.brightness);
    if (o.contrast > 0) t.contrast = uniform(rng, 1 - o.contrast, 1 + o.contrast);
    return t;
}

// sin and cos of an angle in degrees, exact at multiples of 90 degrees (so a quarter turn
// resamples exactly onto the pixel grid).
inline void sin_cos_degrees(double deg, double& s, double& c) {
    const double q = deg / 90.0;
    if (q == std::round(q)) {
        const long long k = ((static_cast<long long>(std::round(q)) % 4) + 4) % 4;
        s = k == 1 ? 1 : k == 3 ? -1 : 0;
        c = k == 0 ? 1 : k == 2 ? -1 : 0;
        return;
    }
    s = std::sin(deg * pi / 180.0);
    c = std::cos(deg * pi / 180.0);
}

// The affine map from output to input pixel coordinates for transform t, about the image centre
// ((H-1)/2, (W-1)/2). In (x = col, y = row) coordinates relative to the centre, like Keras'
// apply_affine_transform: input = Rotation . Shift . Shear . Zoom . Flip . output.
inline affine2d affine_of(const transform_params& t, index_t H, index_t W) {
    // 2x2 matrices act on (x, y); a[2] holds the translation.
    struct m3 {
        double a[2][3];
    };
    auto mul = [](const m3& p, const m3& q) {
        m3 r{};
        for (int i = 0; i < 2; ++i) {
            for (int j = 0; j < 3; ++j) r.a[i][j] = p.a[i][0] * q.a[0][j] + p.a[i][1] * q.a[1][j];
            r.a[i][2] += p.a[i][2];
        }
        return r;
    };
    double s = 0, c = 1, ss = 0, sc = 1;
    sin_cos_degrees(t.rotation_degrees, s, c);
    sin_cos_degrees(t.shear_degrees, ss, sc);
    const m3 rotate{{{c, -s, 0}, {s, c, 0}}};
    const m3 shift{{{1, 0, -t.shift_cols}, {0, 1, -t.shift_rows}}};
    const m3 shear{{{1, -ss, 0}, {0, sc, 0}}};
    const m3 zoom{{{t.zoom_cols, 0, 0}, {0, t.zoom_rows, 0}}};
    const m3 flip{{{t.flip ? -1.0 : 1.0, 0, 0}, {0, 1, 0}}};
    const m3 m = mul(rotate, mul(shift, mul(shear, mul(zoom, flip))));
    // Back to pixel coordinates: in = centre + M (out - centre).
    const double cx = (double(W) - 1) / 2, cy = (double(H) - 1) / 2;
    const double tx = cx + m.a[0][2] - m.a[0][0] * cx - m.a[0][1] * cy;
    const double ty = cy + m.a[1][2] - m.a[1][0] * cx - m.a[1][1] * cy;
    affine2d r;
    r.m[0][0] = m.a[1][1];  // row_in from row
    r.m[0][1] = m.a[1][0];  // row_in from col
    r.m[0][2] = ty;
    r.m[1][0] = m.a[0][1];  // col_in from row
    r.m[1][1] = m.a[0][0];  // col_in from col
    r.m[1][2] = tx;
    return r;
}

// A coordinate within 1e-9 of a whole pixel is that pixel, so exact transforms (flips, quarter
// turns, whole-pixel shifts) copy values exactly instead of blending in a 1e-17 of a neighbour.
inline double snap(double v) {
    const double r = std::round(v);
    return std::abs(v - r) < 1e-9 ? r : v;
}

// Resamples each of in's samples (H, W, C) through m into out: bilinear interpolation, and
// 'nearest' fill outside the image (coordinates clamped to the edge, which for bilinear sampling
// is the same as scipy's mode='nearest').
template <class T, class S>
void affine_sample(tensor_view<const T, S> in, tensor_view<T, S> out, const affine2d& a) {
    static_assert(S::rank == 3, "typenet::data::augment: samples must have shape<H, W, C>");
    constexpr index_t H = S::extents[0], W = S::extents[1], C = S::extents[2];
    TYPENET_ASSERT(in.samples() == out.samples(), "typenet::data::augment: in and out hold different numbers of samples");
    for (index_t n = 0; n < in.samples(); ++n) {
        const T* src = in.data() + n * S::size;  // (H, W, C)
        T* dst = out.data() + n * S::size;       // (H, W, C)
        for (index_t r = 0; r < H; ++r) {
            for (index_t c = 0; c < W; ++c) {
                double y = snap(a.m[0][0] * double(r) + a.m[0][1] * double(c) + a.m[0][2]);
                double x = snap(a.m[1][0] * double(r) + a.m[1][1] * double(c) + a.m[1][2]);
                y = std::clamp(y, 0.0, double(H - 1));  // also maps NaN-free huge values to the edge
                x = std::clamp(x, 0.0, double(W - 1));
                const index_t y0 = index_t(y), x0 = index_t(x);  // floor: both are >= 0
                const index_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
                const double fy = y - double(y0), fx = x - double(x0);
                const T* p00 = src + (y0 * W + x0) * C;
                const T* p01 = src + (y0 * W + x1) * C;
                const T* p10 = src + (y1 * W + x0) * C;
                const T* p11 = src + (y1 * W + x1) * C;
                T* q = dst + (r * W + c) * C;
                if (fy == 0 && fx == 0) {
                    for (index_t k = 0; k < C; ++k) q[k] = p00[k];
                    continue;
                }
                for (index_t k = 0; k < C; ++k) {
                    const double top = double(p00[k]) + (double(p01[k]) - double(p00[k])) * fx;
                    const double bottom = double(p10[k]) + (double(p11[k]) - double(p10[k])) * fx;
                    q[k] = static_cast<T>(top + (bottom - top) * fy);
                }
            }
        }
    }
}

// Brightness then contrast on one sample (H, W, C), each followed by a clamp to [0, 1].
template <class T, index_t HW, index_t C>
void adjust_sample(T* x, const transform_params& t, bool brightness, bool contrast) {
    if (brightness) {
        for (index_t i = 0; i < HW * C; ++i) x[i] = static_cast<T>(std::clamp(double(x[i]) + t.brightness, 0.0, 1.0));
    }
    if (contrast) {
        std::array<double, std::size_t(C)> mean{};
        for (index_t p = 0; p < HW; ++p)
            for (index_t k = 0; k < C; ++k) mean[std::size_t(k)] += double(x[p * C + k]);
        for (double& m : mean) m /= double(HW);
        for (index_t p = 0; p < HW; ++p)
            for (index_t k = 0; k < C; ++k) {
                const double m = mean[std::size_t(k)];
                x[p * C + k] = static_cast<T>(std::clamp((double(x[p * C + k]) - m) * t.contrast + m, 0.0, 1.0));
            }
    }
}

}  // namespace detail

template <class T, class S>
void augment(std::type_identity_t<tensor_view<const T, S>> in, tensor_view<T, S> out, const augment_options& opt,
             std::mt19937_64& rng) {
    static_assert(std::is_floating_point_v<T>, "typenet::data::augment: T must be a floating-point type");
    // augment works on images: the per-sample shape must be shape<height, width, channels>.
    static_assert(is_shape_v<S> && S::rank == 3, "typenet::data::augment: samples must have shape<H, W, C>");
    constexpr index_t H = S::extents[0], W = S::extents[1], C = S::extents[2];
    TYPENET_ASSERT(in.samples() == out.samples(), "typenet::data::augment: in and out hold different numbers of samples");
    [[maybe_unused]] const std::less_equal<const T*> le;  // a total order, even across arrays
    TYPENET_ASSERT(in.samples() == 0 || le(in.data() + in.size(), out.data()) || le(out.data() + out.size(), in.data()),
                   "typenet::data::augment: in and out must not overlap");
    TYPENET_ASSERT(opt.rotation_degrees >= 0 && opt.width_shift >= 0 && opt.height_shift >= 0 && opt.shear_degrees >= 0,
                   "typenet::data::augment: ranges must not be negative");
    TYPENET_ASSERT(opt.zoom >= 0 && opt.zoom < 1, "typenet::data::augment: zoom must be in [0, 1)");
    TYPENET_ASSERT(opt.brightness >= 0 && opt.brightness <= 1 && opt.contrast >= 0 && opt.contrast <= 1,
                   "typenet::data::augment: brightness and contrast must be in [0, 1]");
    const bool bright = opt.brightness > 0, contr = opt.contrast > 0;
    for (index_t n = 0; n < in.samples(); ++n) {
        const detail::transform_params t = detail::draw(opt, H, W, rng);
        const detail::affine2d a = detail::affine_of(t, H, W);
        const T* src = in.data() + n * S::size;
        T* dst = out.data() + n * S::size;
        if (a.is_identity())
            std::copy(src, src + S::size, dst);
        else
            detail::affine_sample<T, S>(tensor_view<const T, S>(src, 1), tensor_view<T, S>(dst, 1), a);
        if (bright || contr) detail::adjust_sample<T, H * W, C>(dst, t, bright, contr);
    }
}

}  // namespace typenet::data
