# Helpers that give every rlvr target the same flags and layout.
#
#   rlvr_library(NAME <name> [SOURCES <files>] [GLOB_DIRS <dirs>] [DEPS <targets>])
#     A static library rlvr_<name>. GLOB_DIRS adds every *.cc in those folders (relative to the
#     current source folder), except files ending in _main.cc.
#   rlvr_executable(NAME <name> SOURCES <files> [DEPS <targets>])
#   rlvr_test(NAME <name> [GLOB_DIRS <dirs>] [SOURCES <files>] [DEPS <targets>])
#     One GoogleTest binary per folder; every TEST becomes its own ctest entry.

function(rlvr_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror>)
endfunction()

function(_rlvr_collect out_var)
  cmake_parse_arguments(A "" "" "SOURCES;GLOB_DIRS" ${ARGN})
  set(files ${A_SOURCES})
  foreach(dir ${A_GLOB_DIRS})
    file(GLOB found CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cc)
    list(FILTER found EXCLUDE REGEX "_main\\.cc$")
    list(APPEND files ${found})
  endforeach()
  set(${out_var} ${files} PARENT_SCOPE)
endfunction()

function(rlvr_library)
  cmake_parse_arguments(A "" "NAME" "SOURCES;GLOB_DIRS;DEPS" ${ARGN})
  _rlvr_collect(files SOURCES ${A_SOURCES} GLOB_DIRS ${A_GLOB_DIRS})
  if(NOT files)
    # A folder with no sources yet still offers its include path and dependencies.
    add_library(rlvr_${A_NAME} INTERFACE)
    target_include_directories(rlvr_${A_NAME} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(rlvr_${A_NAME} INTERFACE ${A_DEPS})
    return()
  endif()
  add_library(rlvr_${A_NAME} STATIC ${files})
  target_include_directories(rlvr_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(rlvr_${A_NAME} PUBLIC ${A_DEPS})
  rlvr_warnings(rlvr_${A_NAME})
endfunction()

function(rlvr_executable)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  set_target_properties(${A_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  rlvr_warnings(${A_NAME})
endfunction()

function(rlvr_test)
  cmake_parse_arguments(A "" "NAME" "SOURCES;GLOB_DIRS;DEPS" ${ARGN})
  _rlvr_collect(files SOURCES ${A_SOURCES} GLOB_DIRS ${A_GLOB_DIRS})
  if(NOT files)
    return()
  endif()
  add_executable(${A_NAME} ${files})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${A_NAME} PRIVATE
    RLVR_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    RLVR_BINARY_DIR="${PROJECT_BINARY_DIR}"
    RLVR_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data")
  set_target_properties(${A_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  rlvr_warnings(${A_NAME})
  gtest_discover_tests(${A_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 600)
endfunction()
