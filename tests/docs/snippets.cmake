# snippets.cmake: typenet_doc_snippets(<page.md> <out dir> <result var>) turns every ```cpp block
# of a Markdown page into a C++ file in <out dir> and returns "name|mode|file" for each (mode:
# run, syntax or fail), following the markers described in tests/docs/README.md:
#
#   <!-- snippet: KIND [no-run: why] -->      or, with hidden code the reader does not need:
#   <!-- snippet: KIND [no-run: why]
#   hidden lines
#   -->
#
# KIND is program, statements, continues, top, fails REGEX or skip: why. Without a marker a block
# that defines main is a program and any other block is statements.

# The text the non-program snippets start with (a program must include what it uses itself).
set(TYPENET_DOC_PRELUDE [=[
#include <typenet/typenet.hpp>
#include <typenet/io/datasets.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <vector>

namespace tn = typenet;
]=])

# Lines of `code` starting with #include go to `includes`; they leave an empty line behind so the
# #line numbers still hold.
function(_typenet_doc_hoist code out_code out_includes)
    set(rest "")
    set(inc "")
    string(REPLACE "\n" ";" ls "${code}")
    foreach(l IN LISTS ls)
        if(l MATCHES "^[ \t]*#[ \t]*include")
            string(APPEND inc "${l}\n")
            string(APPEND rest "\n")
        else()
            string(APPEND rest "${l}\n")
        endif()
    endforeach()
    set(${out_code} "${rest}" PARENT_SCOPE)
    set(${out_includes} "${inc}" PARENT_SCOPE)
endfunction()

function(typenet_doc_snippets page outdir result)
    get_filename_component(stem ${page} NAME_WE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${page})
    file(READ ${page} text)
    # A page as a CMake list of lines: ';' '[' ']' would split or join list elements, so they
    # travel as placeholders and are put back in the generated files.
    string(REPLACE ";" "@TN_SEMI@" text "${text}")
    string(REPLACE "[" "@TN_LB@" text "${text}")
    string(REPLACE "]" "@TN_RB@" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")

    set(state out)
    set(n 0)
    set(marker_end -10)
    set(tops "")       # the page's top blocks so far: visible to every later block
    set(top_incs "")
    set(chain "")      # the statements the last statements/continues block ran
    set(chain_incs "")
    set(out_tests "")
    foreach(line IN LISTS lines)
        math(EXPR n "${n} + 1")
        if(state STREQUAL "code")
            if(NOT line STREQUAL "```")
                string(APPEND code "${line}\n")
                continue()
            endif()
            set(state out)

            # ---- one block: what kind, then the C++ file ----
            math(EXPR before "${code_line} - 2")  # the line before the fence
            if(marker_end EQUAL before)
                set(h "${head}")
                set(hid "${hidden}")
            else()
                set(h "")
                set(hid "")
            endif()
            string(STRIP "${h}" h)
            if(h STREQUAL "")
                if(code MATCHES "int main\\(")
                    set(h program)
                else()
                    set(h statements)
                endif()
            endif()
            string(REGEX MATCH "^[a-z]+" kind "${h}")
            set(no_run FALSE)
            if(h MATCHES "(^| )no-run")
                set(no_run TRUE)
            endif()
            if(NOT kind MATCHES "^(program|statements|continues|top|fails|skip)$")
                message(FATAL_ERROR "${rel}:${before}: unknown snippet kind '${kind}' (program, statements, continues, top, fails, skip)")
            endif()
            if(kind STREQUAL "skip")
                continue()
            endif()
            if(kind STREQUAL "continues" AND chain STREQUAL "")
                message(FATAL_ERROR "${rel}:${before}: 'continues' follows no statements block")
            endif()

            set(name doc_${stem}_${code_line})
            set(hidden_part "")
            if(NOT hid STREQUAL "")
                set(hidden_part "#line ${hidden_line} \"${rel}\"\n${hid}")
            endif()
            set(code_part "#line ${code_line} \"${rel}\"\n${code}")
            set(src "// Generated from ${rel}:${code_line} by tests/docs/snippets.cmake -- edit the page, not this file.\n")
            if(kind STREQUAL "fails")
                string(REGEX REPLACE "^fails[ ]*" "" expect "${h}")
                if(expect STREQUAL "")
                    message(FATAL_ERROR "${rel}:${before}: 'fails' needs the regex the compiler output must match")
                endif()
                string(APPEND src "// expect: ${expect}\n")
            endif()

            if(kind STREQUAL "program")
                string(APPEND src "${hidden_part}${code_part}")
                set(mode run)
            else()
                _typenet_doc_hoist("${hidden_part}${code_part}" body incs)
                string(APPEND src "${TYPENET_DOC_PRELUDE}${top_incs}")
                if(kind STREQUAL "top")
                    string(APPEND src "${incs}${tops}${body}")
                    set(mode syntax)
                    string(APPEND tops "${body}")
                    string(APPEND top_incs "${incs}")
                else()
                    if(kind STREQUAL "continues")
                        string(APPEND chain "${body}")
                        string(APPEND chain_incs "${incs}")
                    else()
                        set(chain "${body}")
                        set(chain_incs "${incs}")
                    endif()
                    string(APPEND src "${chain_incs}${tops}\nint main() {\n${chain}\n#line 1 \"${rel} (end of snippet)\"\n    return 0;\n}\n")
                    set(mode run)
                endif()
            endif()
            if(no_run AND mode STREQUAL "run")
                set(mode syntax)
            endif()
            if(kind STREQUAL "fails")
                set(mode fail)
            endif()

            string(REPLACE "@TN_SEMI@" ";" src "${src}")
            string(REPLACE "@TN_LB@" "[" src "${src}")
            string(REPLACE "@TN_RB@" "]" src "${src}")
            set(file ${outdir}/${name}.cpp)
            if(EXISTS ${file})
                file(READ ${file} old)
            else()
                set(old "")
            endif()
            if(NOT old STREQUAL src)
                file(WRITE ${file} "${src}")
            endif()
            list(APPEND out_tests "${name}|${mode}|${file}")
        elseif(state STREQUAL "marker")
            if(line MATCHES "^[ ]*-->")
                set(state out)
                set(marker_end ${n})
            else()
                string(APPEND hidden "${line}\n")
            endif()
        else()
            if(line MATCHES "^<!-- snippet: ")
                string(REGEX REPLACE "^<!-- snippet: " "" head "${line}")
                set(hidden "")
                math(EXPR hidden_line "${n} + 1")
                if(head MATCHES "-->[ ]*$")
                    string(REGEX REPLACE "[ ]*-->[ ]*$" "" head "${head}")
                    set(marker_end ${n})
                else()
                    set(state marker)
                endif()
            elseif(line STREQUAL "```cpp")
                set(state code)
                set(code "")
                math(EXPR code_line "${n} + 1")
            endif()
        endif()
    endforeach()
    if(NOT state STREQUAL "out")
        message(FATAL_ERROR "${rel}: a ```cpp block or a snippet marker is not closed")
    endif()
    set(${result} "${out_tests}" PARENT_SCOPE)
endfunction()
