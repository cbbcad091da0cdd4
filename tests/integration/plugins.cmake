# The plugin loader's integration tests (included from CMakeLists.txt here).
# Their plugins are the test plugins of tests/plugins, found next to the
# guests: <build>/tests/plugins/<case>/.
volt_add_integration_test(plugin_refusals)
volt_add_integration_test(plugin_echo)
volt_add_integration_test(plugin_help)
