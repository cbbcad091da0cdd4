# How a freestanding test guest is built: tiny ELF64 images loaded like a
# vmlinux (PT_LOAD at 1 MiB, 64-bit entry at _start), compiled with the host
# gcc but none of a host program's flags (sanitizers and fuzzer
# instrumentation need a libc). One definition for Volt's own test guests
# (tests/guests/CMakeLists.txt) and for third parties' (the SDK's
# volt_sdk_add_guest(), installed with it).
#
#   volt_guest_add_runtime(<target> <dir> [WERROR])
#   volt_guest_add(<target> OUTPUT_NAME <name> [OUTPUT_DIR <dir>]
#                  RUNTIME <object-library> LD_SCRIPT <guest.ld>
#                  [WERROR] SOURCES <files...>)
#
# The runtime (entry, serial, exit through the i8042, string helpers) is an
# OBJECT library made once from the sources in <dir> (start.c serial.c
# string.c check.c intr.c and their headers), linked into every guest.

set(VOLT_GUEST_C_FLAGS
  -Wall -Wextra -Wno-unused-parameter
  -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only
  -fno-stack-protector -fno-builtin -fno-asynchronous-unwind-tables
  -fcf-protection=none -O2 -mcmodel=small)

function(volt_guest_add_runtime target dir)
  cmake_parse_arguments(R "WERROR" "" "" ${ARGN})
  add_library(${target} OBJECT
    ${dir}/start.c ${dir}/serial.c ${dir}/string.c ${dir}/check.c ${dir}/intr.c)
  target_compile_options(${target} PRIVATE ${VOLT_GUEST_C_FLAGS} $<$<BOOL:${R_WERROR}>:-Werror>)
  target_include_directories(${target} PUBLIC ${dir})
endfunction()

function(volt_guest_add target)
  cmake_parse_arguments(G "WERROR" "OUTPUT_NAME;OUTPUT_DIR;RUNTIME;LD_SCRIPT" "SOURCES" ${ARGN})
  if(G_UNPARSED_ARGUMENTS OR NOT G_SOURCES OR NOT G_RUNTIME OR NOT G_LD_SCRIPT)
    message(FATAL_ERROR "volt_guest_add(${target}): needs RUNTIME, LD_SCRIPT and SOURCES")
  endif()
  add_executable(${target} ${G_SOURCES} $<TARGET_OBJECTS:${G_RUNTIME}>)
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:${G_RUNTIME},INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(${target} PRIVATE ${VOLT_GUEST_C_FLAGS} $<$<BOOL:${G_WERROR}>:-Werror>)
  target_link_options(${target} PRIVATE
    -nostdlib -static $<$<C_COMPILER_ID:GNU>:-no-pie> -Wl,-T,${G_LD_SCRIPT}
    -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--gc-sections)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${G_OUTPUT_NAME}
    LINK_DEPENDS ${G_LD_SCRIPT}
    POSITION_INDEPENDENT_CODE OFF)
  if(G_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${G_OUTPUT_DIR})
  endif()
endfunction()
