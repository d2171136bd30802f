# normalize.cmake: compiler output as the must-not-compile checks compare it (tests/compile_fail/
# check.cmake, tests/docs/run_snippet.cmake): "typenet::" removed, and "> >" closed up to ">>"
# (g++ 12 prints a space between closing brackets, clang does not).
function(typenet_normalize_diagnostics text out)
    string(REPLACE "typenet::" "" text "${text}")
    while(text MATCHES "> >")
        string(REPLACE "> >" ">>" text "${text}")
    endwhile()
    set(${out} "${text}" PARENT_SCOPE)
endfunction()
