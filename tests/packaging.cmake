# Packaging: the install rules and CPack (install into a prefix, run the installed binary and a
# config from there, pack a .deb and a .tar.gz), and `make demo` from a copy of the checkout with
# an empty shared folder.
add_test(NAME install_and_package
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/install_test.sh ${PROJECT_BINARY_DIR}
          ${BERTGRID_SHARED_DIR})
set_tests_properties(install_and_package PROPERTIES LABELS "packaging" TIMEOUT 600
  PROCESSORS 2)
add_test(NAME demo_without_shared
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/demo_without_shared_test.sh
          ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${BERTGRID_SHARED_DIR})
set_tests_properties(demo_without_shared PROPERTIES LABELS "packaging" TIMEOUT 900
  PROCESSORS 2 RUN_SERIAL TRUE)
