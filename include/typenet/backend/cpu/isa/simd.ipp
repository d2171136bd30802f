// isa/simd.ipp: the vectors of one instruction set (TYPENET_CPU_ISA_LEVEL: 0 generic, 1 avx2,
// 2 avx512) and the tiles the micro-kernels use with them. No include guard: included once per
// instruction set inside its namespace and target region by isa/kernels.ipp.

// a * b + c rounded once, as the vector fma: one fused multiply-add where the instruction set has
// it; generic code keeps fn::multiply_add's choice (fused only when the program targets FMA).
template <class T>
TYPENET_INLINE T fmadd(T a, T b, T c) {
#if TYPENET_CPU_ISA_LEVEL >= 1
    if constexpr (sizeof(T) == 4) return __builtin_fmaf(a, b, c);
    else return __builtin_fma(a, b, c);
#else
    return fn::multiply_add{}(a, b, c);
#endif
}

// One value as a one-lane "vector": the scalar tails, and the generic kernels.
template <class T>
struct simd1 {
    static constexpr index_t width = 1;
    using type = T;
    TYPENET_INLINE static type load(const T* p) { return *p; }
    TYPENET_INLINE static void store(T* p, type v) { *p = v; }
    TYPENET_INLINE static void store_values(T* p, type v) { *p = v; }
    TYPENET_INLINE static type splat(T a) { return a; }
    TYPENET_INLINE static type activate(type v, const vec_act<T>& a) { return a(v); }
    TYPENET_INLINE static type fma(type a, type b, type c) { return fmadd(a, b, c); }
};

#if TYPENET_CPU_ISA_LEVEL >= 1
// Bytes-wide vectors (GCC/clang vector extensions, so accumulators stay in registers; with plain
// arrays g++ 12 kept a 4 x 32 tile in memory). The compiler's own builtins are called directly:
// <immintrin.h> costs 0.3 s in every translation unit.
template <class T, int Bytes>
struct simdv {
    static constexpr index_t width = Bytes / index_t(sizeof(T));
    typedef T type __attribute__((vector_size(Bytes)));
    TYPENET_INLINE static type load(const T* p) {
        type v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    TYPENET_INLINE static void store(T* p, type v) { __builtin_memcpy(p, &v, sizeof v); }
    // A store the compiler knows writes T's only (store's memcpy may write anything, so a loop
    // storing with it reloads every constant it holds in memory: finish_run ran at half speed).
    typedef T unaligned __attribute__((vector_size(Bytes), aligned(alignof(T))));
    TYPENET_INLINE static void store_values(T* p, type v) { *reinterpret_cast<unaligned*>(p) = v; }
    TYPENET_INLINE static type splat(T a) {
        return [a]<std::size_t... I>(std::index_sequence<I...>) { return type{((void)I, a)...}; }(
            std::make_index_sequence<std::size_t(width)>{});
    }
    // vec_act on every lane, exactly as its scalar operator(): NaN and -0 give +0 under relu, the
    // leaky select is on v > 0.
    TYPENET_INLINE static type activate(type v, const vec_act<T>& a) {
        if (a.kind == store_act::none) return v;
        const type zero{};
        if (a.kind == store_act::relu) return v > zero ? v : zero;
        return v > zero ? v : splat(a.alpha) * v;
    }
    // a * b + c rounded once, written out so that the compiler's contraction choices (which differ
    // between inlined copies of one loop) cannot make a result depend on the tiling: every tile
    // size, thread split, batch size and vector width gives the same bits.
    TYPENET_INLINE static type fma(type a, type b, type c) {
        if constexpr (Bytes == 32 && sizeof(T) == 4) return __builtin_ia32_vfmaddps256(a, b, c);
        else if constexpr (Bytes == 32) return __builtin_ia32_vfmaddpd256(a, b, c);
        else if constexpr (sizeof(T) == 4) return __builtin_ia32_vfmaddps512_mask(a, b, c, (unsigned short)-1, 4);
        else return __builtin_ia32_vfmaddpd512_mask(a, b, c, (unsigned char)-1, 4);
    }
};
#endif

// The tiles. A micro-kernel keeps ROWS (rows of C, or output pixels) x NV vectors of accumulators
// in registers; the columns of an output row are taken in tiers, widest first:
//   tier 0: NV = nv_full vectors of the primary width, rows_full rows
//   tier 1: 2 vectors (avx512 only: a 32-float remainder, or 32 filters), rows_narrow rows
//   tier 2: 1 vector, rows_narrow rows
//   tier 3: one 256-bit vector (avx512 only), rows_full rows
//   then plain scalars for the last columns.
//   avx512 (32 registers): 6 x 4 zmm = 6 x 64 floats (24 accumulators); 12 x 2; 12 x 1; 6 x 1 ymm
//   avx2 (16 registers):   6 x 2 ymm = 6 x 16 floats (12 accumulators); 6 x 1
//   generic:               4 x 8 scalars; 4 x 1 (an x86 build's fallback: 2 x 4; 2 x 1)
#if TYPENET_CPU_ISA_LEVEL == 2
template <class T>
using simd = simdv<T, 64>;
template <class T>
using simd_half = simdv<T, 32>;
inline constexpr index_t nv_full = 4, rows_full = 6, rows_narrow = 12;
inline constexpr bool has_tier1 = true, has_tier3 = true;
#elif TYPENET_CPU_ISA_LEVEL == 1
template <class T>
using simd = simdv<T, 32>;
template <class T>
using simd_half = simdv<T, 32>;
inline constexpr index_t nv_full = 2, rows_full = 6, rows_narrow = 6;
inline constexpr bool has_tier1 = false, has_tier3 = false;
#else
template <class T>
using simd = simd1<T>;
template <class T>
using simd_half = simd1<T>;
#if TYPENET_CPU_X86
// An x86 build's fallback for processors without AVX2 (before 2013): correct, smaller tiles, so
// that the set every x86 build carries costs less compile time (docs/compile-time.md).
inline constexpr index_t nv_full = 4, rows_full = 2, rows_narrow = 2;
#elif defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
// A microcontroller (Cortex-M4F: 32 single-precision registers, no vectors, code in flash): 8
// accumulators leave registers for the loads, and M2's test program is 21.3 KB of code beside its
// weights (with 4 x 8 tiles: 31.1 KB; docs/embedded.md).
inline constexpr index_t nv_full = 4, rows_full = 2, rows_narrow = 2;
#else
inline constexpr index_t nv_full = 8, rows_full = 4, rows_narrow = 4;
#endif
inline constexpr bool has_tier1 = false, has_tier3 = false;
#endif

// The widest of this instruction set's vectors whose width divides N (simd1 when none does): the
// row kernel's filter blocks and the pooling kernels' channel runs.
template <class T, index_t N>
using vector_dividing = std::conditional_t<N % simd<T>::width == 0, simd<T>,
                                           std::conditional_t<N % simd_half<T>::width == 0, simd_half<T>, simd1<T>>>;

// The tier for `cols` remaining columns (4: scalars), and how many columns it takes.
template <class T>
constexpr int tier_for(index_t cols) {
    constexpr index_t W = simd<T>::width;
    if (cols >= nv_full * W) return 0;
    if (has_tier1 && cols >= 2 * W) return 1;
    if (cols >= W) return 2;
    if (has_tier3 && cols >= simd_half<T>::width) return 3;
    return 4;
}
template <class T>
constexpr index_t tier_cols(int tier, index_t cols) {
    constexpr index_t W = simd<T>::width;
    return tier == 0 ? nv_full * W : tier == 1 ? 2 * W : tier == 2 ? W : tier == 3 ? simd_half<T>::width : cols;
}
// The column tiles of a row of F: count, and the k-th one's first column and width.
template <class T>
constexpr index_t column_tile_count(index_t F) {
    index_t n = 0;
    for (index_t j0 = 0; j0 < F; ++n) j0 += tier_cols<T>(tier_for<T>(F - j0), F - j0);
    return n;
}
template <class T>
constexpr void column_tile(index_t F, index_t k, index_t& j0, index_t& cols) {
    j0 = 0;
    for (;;) {
        cols = tier_cols<T>(tier_for<T>(F - j0), F - j0);
        if (k-- == 0) return;
        j0 += cols;
    }
}

// The tiers a row of F columns uses, as a bit mask (bit k: tier k). Kernels whose column count is
// known at compile time instantiate only those tiers' micro-kernels (each a large function per
// store type: bn_cnn compiled in 19 s with every tier for every layer). Column ranges start
// at 0 or at a multiple of the widest tier, so they use no tier outside their row's mask.
template <class T>
constexpr unsigned tiers_of(index_t F) {
    unsigned m = 0;
    for (index_t j0 = 0; j0 < F;) {
        const int t = tier_for<T>(F - j0);
        m |= 1u << t;
        j0 += tier_cols<T>(t, F - j0);
    }
    return m;
}
inline constexpr unsigned all_tiers = 0x1fu;
