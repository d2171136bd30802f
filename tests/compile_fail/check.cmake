# check.cmake: one must-not-compile check, run as
#
#   cmake -DCOMPILER=<c++ compiler> -DSOURCE=<case.cpp> -DINCLUDE_DIR=<typenet include dir>
#         -DMODE=fail|twin [-DCC=gcc|clang] [-DOUTPUT_FILE=<where to save the compiler output>] -P check.cmake
#
# It compiles SOURCE with `-std=c++20 -fsyntax-only -I<INCLUDE_DIR>` (plus -DTYPENET_FAIL when
# MODE is fail) and passes only if:
#   twin: the compiler exits 0 (the corrected program compiles);
#   fail: the compiler exits non-zero AND its output says what the case expects, read from
#         directives in SOURCE's comments:
#           // expect: REGEX        must match the output (any number, each must match): the
#                                   diag:: type with its arguments (position, layer, shapes).
#           // first-error: REGEX   must match the first "error:" line: the diagnostic is the
#                                   primary error, not something reported after a cascade.
#           // max-errors: N (why)  at most N "error:" lines (default 3: the diagnostic itself, the
#                                   "invalid network" / check_v static_assert that echoes it, and
#                                   clang's follow-up "no matching function for call to make_model").
#           // accepted-by: CC ...  the compilers (gcc, clang) that accept the "mistake" (for example
#                                   dropout<0.25>: floating-point template arguments are g++ >= 11
#                                   only): with them the fail mode must compile.
#         A directive written expect-gcc:, expect-clang:, first-error-gcc: ... applies only when CC
#         names that compiler (the compilers' own messages differ, as for dropout<0.25>).
#         At least one `expect` is required: a bare "it failed to compile" check passes vacuously.
#
# Before matching, the output is normalised so one regex fits g++ and clang alike:
#   - "typenet::" is removed (diag::needs_hwc_input<at_layer<2, conv2d<...>>, got<shape<1152>>>);
#   - "> >" is closed up to ">>" (g++ 12 prints a space between closing brackets, clang does not).
# Regexes are CMake regexes (no \d, no {n}); avoid '[' and ']' (write '.' instead), and remember
# that the compilers differ on default template arguments: g++ prints strides<2, 2> where clang
# prints strides<2>, clang prints dropout<100, 100> where g++ prints dropout<100>; use (, 2)? etc.
cmake_minimum_required(VERSION 3.25)

foreach(v IN ITEMS COMPILER SOURCE INCLUDE_DIR MODE)
    if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
        message(FATAL_ERROR "check.cmake: -D${v}=... is required")
    endif()
endforeach()
if(NOT MODE STREQUAL "fail" AND NOT MODE STREQUAL "twin")
    message(FATAL_ERROR "check.cmake: MODE must be fail or twin, not '${MODE}'")
endif()

set(flags -std=c++20 -fsyntax-only "-I${INCLUDE_DIR}")
if(MODE STREQUAL "fail")
    list(APPEND flags -DTYPENET_FAIL)
endif()

# Plain ASCII quotes in g++'s messages, whatever the environment's locale.
set(ENV{LC_ALL} C)
execute_process(
    COMMAND "${COMPILER}" ${flags} "${SOURCE}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
if(DEFINED OUTPUT_FILE AND NOT OUTPUT_FILE STREQUAL "")
    file(WRITE "${OUTPUT_FILE}" "${out}")
endif()
string(JOIN " " shown "${COMPILER}" ${flags} "${SOURCE}")
if(NOT DEFINED CC)
    set(CC "")
endif()
file(READ "${SOURCE}" src)
string(REGEX MATCH "// accepted-by: [^\n]*" accepted_by "${src}")
set(accepted FALSE)
if(NOT accepted_by STREQUAL "" AND NOT CC STREQUAL "")
    string(REGEX MATCH "(^|[ ,:])${CC}([ ,]|$)" hit "${accepted_by}")
    if(NOT hit STREQUAL "")
        set(accepted TRUE)
    endif()
endif()

if(MODE STREQUAL "twin")
    if(NOT rc EQUAL 0)
        message(NOTICE "${out}")
        message(FATAL_ERROR "FAIL: the corrected twin does not compile (exit ${rc}); its output is above.\n  ${shown}")
    endif()
    message(STATUS "PASS: the corrected twin compiles")
    return()
endif()

# ---- fail mode ----------------------------------------------------------------------------------
if(accepted)
    if(NOT rc EQUAL 0)
        message(NOTICE "${out}")
        message(FATAL_ERROR "FAIL: ${CC} must accept this program (accepted-by: ${CC}), but it does not compile:\n  ${shown}")
    endif()
    message(STATUS "PASS: ${CC} accepts it, as documented (accepted-by)")
    return()
endif()
if(rc EQUAL 0)
    message(FATAL_ERROR "FAIL: the mistake compiled (it must not):\n  ${shown}")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/normalize.cmake)
typenet_normalize_diagnostics("${out}" norm)

# Directives, read without CMake lists (a regex may contain ';').
set(expects 0)
set(problems "")
set(max_errors 3)
set(rest "${src}")
while(TRUE)
    string(REGEX MATCH "// (expect|first-error|max-errors)(-gcc|-clang)?: [^\n]*" d "${rest}")
    if(d STREQUAL "")
        break()
    endif()
    string(FIND "${rest}" "${d}" at)
    string(LENGTH "${d}" len)
    math(EXPR at "${at} + ${len}")
    string(SUBSTRING "${rest}" ${at} -1 rest)

    string(REGEX REPLACE "^// ([a-z-]+): .*" "\\1" kind "${d}")
    string(REGEX REPLACE "^// [a-z-]+: " "" value "${d}")
    string(STRIP "${value}" value)
    if(kind MATCHES "-(gcc|clang)$")  # for one compiler only
        string(REGEX REPLACE "-(gcc|clang)$" "" kind "${kind}")
        if(NOT d MATCHES "^// [a-z-]+-${CC}: ")
            continue()
        endif()
    endif()
    if(kind STREQUAL "expect")
        math(EXPR expects "${expects} + 1")
        if(NOT norm MATCHES "${value}")
            string(APPEND problems "  output does not match  expect: ${value}\n")
        endif()
    elseif(kind STREQUAL "first-error")
        set(first_error "${value}")
    elseif(kind STREQUAL "max-errors")  # a number, then optionally why
        string(REGEX MATCH "^[0-9]+" max_errors "${value}")
    endif()
endwhile()
if(expects EQUAL 0)
    message(FATAL_ERROR "check.cmake: ${SOURCE} has no '// expect: REGEX' line")
endif()

# Error lines ("file:line:col: error: ..."), the first of them, and how many.
string(REGEX MATCHALL "(^|\n)[^\n]*error: " error_lines "${norm}")
list(LENGTH error_lines error_count)
string(REGEX MATCH "(^|\n)[^\n]*error: [^\n]*" first_line "${norm}")
string(STRIP "${first_line}" first_line)
if(DEFINED first_error AND NOT first_line MATCHES "${first_error}")
    string(APPEND problems "  first error is not the diagnostic  first-error: ${first_error}\n"
                           "    first error line: ${first_line}\n")
endif()
if(error_count GREATER max_errors)
    string(APPEND problems "  ${error_count} errors, more than max-errors: ${max_errors} (a cascade after the diagnostic)\n")
endif()

if(NOT problems STREQUAL "")
    # The compiler's own text first (NOTICE prints it unwrapped), then what was wrong with it.
    message(NOTICE "${out}")
    message(NOTICE "FAIL: ${SOURCE} (-DTYPENET_FAIL), compiler output above:\n${problems}  ${shown}\n"
                   "(expect/first-error regexes are matched against the output with 'typenet::' removed "
                   "and '> >' closed up to '>>')")
    message(FATAL_ERROR "FAIL: the mistake was not reported as expected")
endif()
message(STATUS "PASS: rejected with the expected diagnostic (${error_count} error lines)")
