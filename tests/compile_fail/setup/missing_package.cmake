# missing_package.cmake: a header that needs a system package, compiled on a machine without it,
# must stop with typenet's #error that names the package (docs/errors.md, "Setup errors").
#
#   cmake -DCOMPILER=<c++> -DHEADER=<typenet/...hpp> -DINCLUDE_DIR=<typenet include dir>
#         -DHIDE=<file>|<file>... -DEXPECT=<regex> -DWORK_DIR=<dir> -P missing_package.cmake
#
# The package is hidden, not uninstalled: the compiler's own search list is read (`-E -v`), and
# /usr/include is replaced by a folder of links to everything in it except HIDE (paths relative to
# /usr/include). The same compile without HIDE must succeed (the twin), which shows that the links
# stand in for /usr/include and that only the hidden files make the difference.
cmake_minimum_required(VERSION 3.25)
foreach(v IN ITEMS COMPILER HEADER INCLUDE_DIR EXPECT WORK_DIR)
    if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
        message(FATAL_ERROR "missing_package.cmake: -D${v}=... is required")
    endif()
endforeach()
string(REPLACE "|" ";" hide "${HIDE}")

execute_process(COMMAND ${COMPILER} -x c++ -std=c++20 -E -v /dev/null
                OUTPUT_QUIET ERROR_VARIABLE verbose RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot run ${COMPILER}:\n${verbose}")
endif()
string(REGEX MATCH "#include <\\.\\.\\.> search starts here:\n(.*)\nEnd of search list" _ "${verbose}")
string(REPLACE "\n" ";" dirs "${CMAKE_MATCH_1}")

file(REMOVE_RECURSE "${WORK_DIR}")
set(mirror "${WORK_DIR}/usr_include")
file(MAKE_DIRECTORY "${mirror}")
file(GLOB entries RELATIVE /usr/include /usr/include/*)
foreach(e IN LISTS entries)
    list(FIND hide "${e}" at)
    if(at EQUAL -1)
        file(CREATE_LINK /usr/include/${e} "${mirror}/${e}" SYMBOLIC)
    endif()
endforeach()

set(search)
foreach(d IN LISTS dirs)
    string(STRIP "${d}" d)
    if(d STREQUAL "")
        continue()
    endif()
    file(REAL_PATH "${d}" real)
    if(real STREQUAL "/usr/include")
        set(d "${mirror}")
    endif()
    list(APPEND search -isystem "${d}")
endforeach()

file(WRITE "${WORK_DIR}/tu.cpp" "#include <${HEADER}>\nint main() {}\n")
execute_process(COMMAND ${COMPILER} -std=c++20 -fsyntax-only -nostdinc -nostdinc++ -I${INCLUDE_DIR} ${search} "${WORK_DIR}/tu.cpp"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(HIDE STREQUAL "")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "FAIL: the twin (nothing hidden) does not compile:\n${out}")
    endif()
    message(STATUS "PASS: the twin compiles")
    return()
endif()
if(rc EQUAL 0)
    message(FATAL_ERROR "FAIL: ${HEADER} compiles without ${HIDE}")
endif()
if(NOT out MATCHES "${EXPECT}")
    message(NOTICE "${out}")
    message(FATAL_ERROR "FAIL: the output does not match: ${EXPECT}")
endif()
string(REGEX MATCHALL "error:" errors "${out}")
list(LENGTH errors n)
if(n GREATER 1)
    message(NOTICE "${out}")
    message(FATAL_ERROR "FAIL: ${n} errors; the #error must be the only one")
endif()
message(STATUS "PASS: stopped with: ${EXPECT}")
