// typenet::kernels: the float micro-kernels of every x86-64 instruction set, compiled once
// (backend/cpu/isa/instances.ipp), for programs that link the library instead of compiling them in
// each translation unit. Opt-in and optional: a program that only includes the headers compiles
// the same kernels itself (docs/compile-time.md). Elsewhere than x86-64 the library is empty.
#ifndef TYPENET_BUILD_KERNELS  // set by CMake; also when compiled by hand
#define TYPENET_BUILD_KERNELS
#endif
#include <typenet/backend/cpu/dispatch.hpp>
