# Run with cmake -P (see CMakeLists.txt): install typenet into PREFIX, then build and run the consumer.
# Inputs: TYPENET_SOURCE_DIR, CONSUMER_SOURCE_DIR, WORK_DIR, PREFIX, GENERATOR, MAKE_PROGRAM, CXX_COMPILER.
cmake_minimum_required(VERSION 3.25)

foreach(v IN ITEMS TYPENET_SOURCE_DIR CONSUMER_SOURCE_DIR WORK_DIR PREFIX GENERATOR CXX_COMPILER)
    if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
        message(FATAL_ERROR "consumer: ${v} is not set")
    endif()
endforeach()

# Run one step; stop the test with its output on failure.
function(step name)
    message(STATUS "consumer: ${name}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "consumer: step '${name}' failed (${rc}):\n${ARGN}\n${out}")
    endif()
    set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(common -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
if(MAKE_PROGRAM)
    list(APPEND common -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

# A clean slate: a stale prefix or build must not hide a broken install.
file(REMOVE_RECURSE "${WORK_DIR}" "${PREFIX}")

# (a) Install typenet from the source tree.
step("configure typenet" ${CMAKE_COMMAND} -S ${TYPENET_SOURCE_DIR} -B ${WORK_DIR}/typenet-build ${common}
     -DCMAKE_INSTALL_PREFIX=${PREFIX} -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_EXAMPLES=OFF
     -DTYPENET_BUILD_BENCH=OFF -DTYPENET_CUDA=OFF)
step("build typenet" ${CMAKE_COMMAND} --build ${WORK_DIR}/typenet-build)
step("install typenet" ${CMAKE_COMMAND} --install ${WORK_DIR}/typenet-build)
if(NOT EXISTS "${PREFIX}/include/typenet/typenet.hpp")
    message(FATAL_ERROR "consumer: the install has no include/typenet/typenet.hpp under ${PREFIX}")
endif()
file(GLOB_RECURSE config_files "${PREFIX}/*/typenetConfig.cmake")
if(NOT config_files)
    message(FATAL_ERROR "consumer: the install has no typenetConfig.cmake under ${PREFIX}")
endif()

# (b) Configure and build the consumer against the prefix only (no package registries).
step("configure consumer" ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/consumer-build ${common}
     -DCMAKE_PREFIX_PATH=${PREFIX} -DTYPENET_EXPECTED_PREFIX=${PREFIX}
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
step("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)

# (c) Run it.
step("run consumer" ${WORK_DIR}/consumer-build/typenet_consumer ${WORK_DIR}/roundtrip.npz)
message(STATUS "consumer: output:\n${step_output}")
set(header_only_output "${step_output}")
step("run consumer linked with typenet::kernels" ${WORK_DIR}/consumer-build/typenet_consumer_kernels
     ${WORK_DIR}/roundtrip_kernels.npz)
message(STATUS "consumer (typenet::kernels): output:\n${step_output}")
if(NOT step_output STREQUAL header_only_output)
    message(FATAL_ERROR "consumer: the program linked with typenet::kernels printed something else than the header-only one")
endif()
step("run consumer linked with typenet::images" ${WORK_DIR}/consumer-build/typenet_consumer_images
     ${TYPENET_SOURCE_DIR}/tests/fixtures/images/folder)
message(STATUS "consumer (typenet::images): output:\n${step_output}")
if(NOT step_output MATCHES "images: 6, first label 0, last label 1")
    message(FATAL_ERROR "consumer: the image-folder program printed something unexpected")
endif()
