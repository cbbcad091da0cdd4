# The sandbox's integration tests (docs/sandbox.md), included from
# CMakeLists.txt here. Their test plugins are built from tests/sandbox into
# <build>/tests/sandbox/<name>/ (next to the guests, where the scripts look).
# A static volt loads no plugin files, so it runs only the two that need
# none.
if(NOT VOLT_STATIC)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/sandbox ${CMAKE_BINARY_DIR}/tests/sandbox)
  volt_add_integration_test(sandbox_violation)
  volt_add_integration_test(sandbox_landlock)
  volt_add_integration_test(sandbox_policy)
endif()
volt_add_integration_test(sandbox_filters)
volt_add_integration_test(sandbox_user)
# A slim build's filters are compared with the default build's (build/,
# which scripts/test.sh builds and tests first): same configuration, same
# filters, whether the plugins are .so files or linked in. A sanitizer build
# has rules of its own, so it is never compared.
set(VOLT_SANDBOX_COMPARE_BUILD ${PROJECT_SOURCE_DIR}/build CACHE PATH
    "The default (not slim) build whose filters a slim build's integration.sandbox_filters compares")
if(VOLT_SLIM AND NOT VOLT_SANITIZE AND NOT VOLT_FUZZ)
  set_tests_properties(integration.sandbox_filters PROPERTIES
    ENVIRONMENT "VOLT_COMPARE_VOLT=${VOLT_SANDBOX_COMPARE_BUILD}/core/volt")
endif()
