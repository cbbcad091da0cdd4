# volt_add_plugin(<name> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds one plugin from one set of sources in the project's link mode:
#  - default: a MODULE library <name>.so in ${VOLT_PLUGIN_OUTPUT_DIR}, with
#    hidden visibility (only the entry symbol is exported) and -z defs (a
#    plugin needs no symbol from the volt executable);
#  - VOLT_SLIM: a static library compiled with VOLT_PLUGIN_STATIC, linked into
#    volt; its entry is listed in the generated static plugin table.
# <name> is the plugin's name ("virtio-blk"); its C identifier replaces '-'
# by '_' ("virtio_blk") and must match VOLT_PLUGIN_DEFINE's first argument.

set(VOLT_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/lib/volt/plugins)
set(VOLT_PLUGIN_INSTALL_DIR lib/volt/plugins)
set_property(GLOBAL PROPERTY VOLT_STATIC_PLUGINS "")

function(volt_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBRARIES" ${ARGN})
  string(REPLACE "-" "_" ident ${name})
  set(target volt_plugin_${ident})
  if(VOLT_SLIM)
    add_library(${target} STATIC ${P_SOURCES})
    target_compile_definitions(${target} PRIVATE VOLT_PLUGIN_STATIC)
    set_property(GLOBAL APPEND PROPERTY VOLT_STATIC_PLUGINS ${ident})
  else()
    add_library(${target} MODULE ${P_SOURCES})
    set_target_properties(${target} PROPERTIES
      PREFIX "" OUTPUT_NAME ${name}
      LIBRARY_OUTPUT_DIRECTORY ${VOLT_PLUGIN_OUTPUT_DIR}
      C_VISIBILITY_PRESET hidden)
    if(CMAKE_C_COMPILER_ID STREQUAL "Clang" AND (VOLT_FUZZ OR VOLT_SANITIZE OR VOLT_TSAN))
      # clang keeps the sanitizer runtime in the executable and links none
      # into a shared object, so an instrumented .so cannot satisfy -z defs.
      # The plain builds check -z defs for every plugin.
      target_link_options(${target} PRIVATE -Wl,-z,undefs)
    else()
      target_link_options(${target} PRIVATE -Wl,-z,defs)
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION ${VOLT_PLUGIN_INSTALL_DIR})
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/sdk/include)
  target_link_libraries(${target} PRIVATE volt_flags ${P_LIBRARIES})
endfunction()
