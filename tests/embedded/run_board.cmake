# One embedded test: runs ELF under QEMU (mps2-an386, semihosting), has the host build (HOST)
# compare the outputs and the arena's high-water mark, then checks the link: no malloc / free /
# operator new or delete, and flash (text + read-only data + initialised data) <= the weights
# array (WEIGHTS, a symbol) + FLASH_SLACK bytes. Prints the budgets.
execute_process(
    COMMAND ${QEMU} -M mps2-an386 -nographic -monitor none -serial none
            -semihosting-config enable=on,target=native -kernel ${ELF}
    ERROR_FILE ${OUT} OUTPUT_VARIABLE qemu_err RESULT_VARIABLE rc TIMEOUT 240)  # semihosting writes to stderr
if(NOT rc EQUAL 0)
    file(READ ${OUT} board)
    message(FATAL_ERROR "QEMU: exit ${rc}\n${board}${qemu_err}")
endif()
execute_process(COMMAND ${HOST} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the board's outputs differ from the host's (above)")
endif()

# No heap: nothing in the program allocates, so the allocator is not linked at all.
execute_process(COMMAND ${NM} ${ELF} OUTPUT_VARIABLE symbols)
string(REGEX MATCHALL "[ \t](malloc|_malloc_r|calloc|_calloc_r|realloc|_realloc_r|free|_free_r|_sbrk|_sbrk_r|_Znwj|_Znaj|_ZnwjSt11align_val_t|_ZnajSt11align_val_t|_ZdlPv|_ZdaPv|_ZdlPvj|_ZdlPvSt11align_val_t|_ZdaPvSt11align_val_t)\n"
       heap "${symbols}")
file(READ ${MAP} map)
string(REGEX MATCHALL "\\((malloc|_malloc_r|free|_free_r|_sbrk_r|operator new[^)]*)\\)" heap_map "${map}")
if(heap OR heap_map)
    message(FATAL_ERROR "the heap is linked in ${ELF}: ${heap} ${heap_map}")
endif()
message(STATUS "link: no malloc, free, operator new or delete (nm and the link map)")

# Flash: what the image loads into read-only memory.
execute_process(COMMAND ${SIZE} -A ${ELF} OUTPUT_VARIABLE sections)
set(flash 0)
set(ram 0)
foreach(s IN ITEMS .text .ARM.exidx .data .bss .stack)
    if(sections MATCHES "\n\\${s}[ \t]+([0-9]+)")
        if(s STREQUAL ".bss" OR s STREQUAL ".stack")
            math(EXPR ram "${ram} + ${CMAKE_MATCH_1}")
        else()
            math(EXPR flash "${flash} + ${CMAKE_MATCH_1}")
            if(s STREQUAL ".data")
                math(EXPR ram "${ram} + ${CMAKE_MATCH_1}")
            endif()
        endif()
    endif()
endforeach()
execute_process(COMMAND ${NM} -S -C ${ELF} OUTPUT_VARIABLE sized)
if(NOT sized MATCHES "[0-9a-f]+ ([0-9a-f]+) [A-Za-z] ${WEIGHTS}\n")
    message(FATAL_ERROR "no symbol ${WEIGHTS} in ${ELF}")
endif()
math(EXPR weights "0x${CMAKE_MATCH_1}")
math(EXPR code "${flash} - ${weights}")
math(EXPR limit "${weights} + ${FLASH_SLACK}")
message(STATUS "flash: ${flash} B = weights ${weights} B + code and constants ${code} B (limit ${limit} B)")
message(STATUS "RAM: ${ram} B statically allocated (.data + .bss + the 32 KB stack reserve)")
if(flash GREATER limit)
    message(FATAL_ERROR "flash ${flash} B > weights ${weights} B + ${FLASH_SLACK} B")
endif()
