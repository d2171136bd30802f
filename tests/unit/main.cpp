// The doctest runner for every unit test file. It first says which CPU kernels run (the unit,
// unit_avx2 and unit_generic ctest entries choose them with TYPENET_CPU_KERNELS).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include <typenet/backend/cpu/isa.hpp>

int main(int argc, char** argv) {
    std::printf("typenet CPU kernels: %s\n", typenet::cpu_kernels_name());
    doctest::Context context(argc, argv);
    return context.run();
}
