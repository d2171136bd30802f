// isa/instances.ipp: the float micro-kernels of one instruction set -- the largest functions of a
// build, templated on the tile only (never on a layer's shape or on what follows it) -- named as
// explicit instantiations. Included at the end of isa/kernels.ipp, inside the instruction set's
// namespace and target region, in two cases:
//   TYPENET_PRECOMPILED_KERNELS (a program linked with the typenet::kernels library, CMake):
//       "extern template": the program's translation units compile none of them;
//   TYPENET_BUILD_KERNELS (src/kernels.cpp, the library itself): "template": compiled once.
// A tile this list misses is still compiled where it is used (implicit instantiation), so the list
// can never make a program fail to link; it only decides how much every translation unit compiles.
// The lists follow the tiers of isa/simd.ipp (conv_tile, gemm_tile, conv_dw_tile).

#if defined(TYPENET_BUILD_KERNELS)
#define TYPENET_INSTANCE template
#else
#define TYPENET_INSTANCE extern template
#endif

#define TYPENET_CONV_MICRO(S, PX, NV)                                                                       \
    TYPENET_INSTANCE void conv_micro<S, PX, NV, float, act_store<float>>(                                  \
        const conv_geometry&, const float*, const float*, const float*, const float*, const conv_pixel*,   \
        index_t, bool, float*, index_t, const act_store<float>&);
#define TYPENET_CONV_MICRO_COLS(PX)                                                                         \
    TYPENET_INSTANCE void conv_micro_cols<PX, float, act_store<float>>(                                    \
        const conv_geometry&, const float*, const float*, const float*, const float*, const conv_pixel*,   \
        index_t, float*, index_t, index_t, const act_store<float>&);
#define TYPENET_GEMM_MICRO(S, MR, NV)                                                                       \
    TYPENET_INSTANCE void gemm_micro<S, MR, NV, float, act_store<float>>(                                  \
        const gemm_args<float>&, index_t, index_t, index_t, index_t, index_t, gemm_init, const act_store<float>&);
#define TYPENET_DW_MICRO(S, MR, NV)                                                                         \
    TYPENET_INSTANCE void conv_dw_micro<S, MR, NV, float>(float*, const float*, const index_t*, const float*, \
                                                           index_t, index_t, index_t, bool);

TYPENET_INSTANCE void gemm_micro_cols<float, act_store<float>>(const gemm_args<float>&, index_t, index_t, index_t,
                                                                index_t, index_t, index_t, gemm_init,
                                                                const act_store<float>&);
TYPENET_INSTANCE void conv_dw_micro_cols<float>(float*, const float*, const index_t*, const float*, index_t, index_t,
                                                index_t, index_t, bool);

#if TYPENET_CPU_ISA_LEVEL == 2
// 6 x 4 zmm, 12 x 2, 12 x 1, 6 x 1 ymm (and the half-height and one-row variants).
TYPENET_CONV_MICRO(simd<float>, 6, 4)
TYPENET_CONV_MICRO(simd<float>, 3, 4)
TYPENET_CONV_MICRO(simd<float>, 6, 2)
TYPENET_CONV_MICRO(simd<float>, 3, 2)
TYPENET_CONV_MICRO(simd<float>, 12, 2)
TYPENET_CONV_MICRO(simd<float>, 6, 1)
TYPENET_CONV_MICRO(simd<float>, 12, 1)
TYPENET_CONV_MICRO(simd_half<float>, 6, 1)
TYPENET_CONV_MICRO(simd_half<float>, 12, 1)
TYPENET_CONV_MICRO_COLS(6)
TYPENET_CONV_MICRO_COLS(12)
TYPENET_GEMM_MICRO(simd<float>, 1, 4)
TYPENET_GEMM_MICRO(simd<float>, 6, 4)
TYPENET_GEMM_MICRO(simd<float>, 1, 2)
TYPENET_GEMM_MICRO(simd<float>, 12, 2)
TYPENET_GEMM_MICRO(simd<float>, 1, 1)
TYPENET_GEMM_MICRO(simd<float>, 12, 1)
TYPENET_GEMM_MICRO(simd_half<float>, 1, 1)
TYPENET_GEMM_MICRO(simd_half<float>, 6, 1)
TYPENET_DW_MICRO(simd<float>, 3, 4)
TYPENET_DW_MICRO(simd<float>, 6, 4)
TYPENET_DW_MICRO(simd<float>, 6, 2)
TYPENET_DW_MICRO(simd<float>, 6, 1)
TYPENET_DW_MICRO(simd_half<float>, 6, 1)
#elif TYPENET_CPU_ISA_LEVEL == 1
// 6 x 2 ymm, 6 x 1.
TYPENET_CONV_MICRO(simd<float>, 6, 2)
TYPENET_CONV_MICRO(simd<float>, 3, 2)
TYPENET_CONV_MICRO(simd<float>, 6, 1)
TYPENET_CONV_MICRO_COLS(6)
TYPENET_GEMM_MICRO(simd<float>, 1, 2)
TYPENET_GEMM_MICRO(simd<float>, 6, 2)
TYPENET_GEMM_MICRO(simd<float>, 1, 1)
TYPENET_GEMM_MICRO(simd<float>, 6, 1)
TYPENET_DW_MICRO(simd<float>, 3, 2)
TYPENET_DW_MICRO(simd<float>, 6, 2)
TYPENET_DW_MICRO(simd<float>, 6, 1)
#else
// The x86 fallback (isa_generic in a dispatching x86 build): 2 x 4 scalars, 2 x 1.
TYPENET_CONV_MICRO(simd1<float>, 2, 4)
TYPENET_CONV_MICRO(simd1<float>, 1, 4)
TYPENET_CONV_MICRO(simd1<float>, 2, 1)
TYPENET_CONV_MICRO_COLS(2)
TYPENET_GEMM_MICRO(simd1<float>, 1, 4)
TYPENET_GEMM_MICRO(simd1<float>, 2, 4)
TYPENET_GEMM_MICRO(simd1<float>, 1, 1)
TYPENET_GEMM_MICRO(simd1<float>, 2, 1)
TYPENET_DW_MICRO(simd1<float>, 1, 4)
TYPENET_DW_MICRO(simd1<float>, 2, 4)
TYPENET_DW_MICRO(simd1<float>, 2, 1)
#endif

#undef TYPENET_CONV_MICRO
#undef TYPENET_CONV_MICRO_COLS
#undef TYPENET_GEMM_MICRO
#undef TYPENET_DW_MICRO
#undef TYPENET_INSTANCE
