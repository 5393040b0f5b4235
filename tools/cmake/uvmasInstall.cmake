# What `cmake --install` puts where: the rooms' libraries and public headers,
# <uvmas/version.hpp>, the tools, the CMake package (uvmas::uvmas and one
# target per room), uvmas.pc, the licence; and the Debian package (CPack).
include(CMakePackageConfigHelpers)
get_property(uvmas_libraries GLOBAL PROPERTY UVMAS_LIBRARIES)
get_property(uvmas_header_dirs GLOBAL PROPERTY UVMAS_HEADER_DIRS)
list(REMOVE_DUPLICATES uvmas_header_dirs)
list(TRANSFORM uvmas_libraries REPLACE "^uvmas_" "" OUTPUT_VARIABLE uvmas_rooms)

# Every imported target a library links must come from
# tools/cmake/uvmasDependencies.cmake, or the installed package could not make it.
foreach(lib ${uvmas_libraries})
  get_target_property(linked ${lib} LINK_LIBRARIES)
  foreach(item ${linked})
    if(TARGET "${item}" AND NOT item IN_LIST uvmas_dependency_targets)
      get_target_property(imported "${item}" IMPORTED)
      if(imported)
        message(FATAL_ERROR "${lib} links ${item}: find it in tools/cmake/uvmasDependencies.cmake so that the installed package finds it too")
      endif()
    endif()
  endforeach()
endforeach()

# uvmas::uvmas: all rooms at once.
add_library(uvmas_all INTERFACE)
set_target_properties(uvmas_all PROPERTIES EXPORT_NAME uvmas)
target_link_libraries(uvmas_all INTERFACE ${uvmas_libraries})
add_library(uvmas::uvmas ALIAS uvmas_all)

set(uvmas_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/uvmas)
install(TARGETS ${uvmas_libraries} uvmas_all EXPORT uvmasTargets
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir ${uvmas_header_dirs} ${PROJECT_BINARY_DIR}/include)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
foreach(tool uvmas uvmas-mosaik-roles)
  if(TARGET ${tool})
    install(TARGETS ${tool})
  endif()
endforeach()
install(FILES LICENSE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Shared libraries outside the system's library folders: the tools find them
# relative to themselves.
if(BUILD_SHARED_LIBS AND NOT "${CMAKE_INSTALL_FULL_LIBDIR}" IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
  set_target_properties(uvmas uvmas-mosaik-roles PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()

# The CMake package.
if(BUILD_SHARED_LIBS)
  set(uvmas_static_libraries OFF)
else()
  set(uvmas_static_libraries ON)
endif()
install(EXPORT uvmasTargets NAMESPACE uvmas:: DESTINATION ${uvmas_cmake_dir})
configure_package_config_file(tools/cmake/uvmasConfig.cmake.in ${PROJECT_BINARY_DIR}/uvmasConfig.cmake
  INSTALL_DESTINATION ${uvmas_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/uvmasConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/uvmasConfig.cmake ${PROJECT_BINARY_DIR}/uvmasConfigVersion.cmake
  tools/cmake/uvmasDependencies.cmake DESTINATION ${uvmas_cmake_dir})

# uvmas.pc, relocatable: paths are relative to the .pc file, so it is right
# for any `cmake --install --prefix`.
# Static libraries need their dependencies on every link line; shared ones
# carry them (and a user of shared libraries may not have blosc's or
# mbedTLS's development files, so they are not even named).
file(RELATIVE_PATH up /x/${CMAKE_INSTALL_LIBDIR}/pkgconfig /x)
string(REGEX REPLACE "/$" "" up "${up}")
set(uvmas_pc_prefix "\${pcfiledir}/${up}")
# Link order: a library before the ones it uses.
set(uvmas_link_order sim framework transports clocks codecs core)
foreach(room ${uvmas_rooms})
  if(NOT room IN_LIST uvmas_link_order)
    message(FATAL_ERROR "tools/cmake/uvmasInstall.cmake: place uvmas_${room} in uvmas_link_order")
  endif()
endforeach()
set(uvmas_pc_libs "")
foreach(room ${uvmas_link_order})
  if(room IN_LIST uvmas_rooms)
    string(APPEND uvmas_pc_libs " -luvmas_${room}")
  endif()
endforeach()
string(STRIP "${uvmas_pc_libs}" uvmas_pc_libs)
set(uvmas_pc_requires "")
if(NOT BUILD_SHARED_LIBS)
  set(uvmas_pc_requires "libuv blosc")
  string(APPEND uvmas_pc_libs " -lmbedtls -lmbedx509 -lmbedcrypto")
endif()
configure_file(tools/cmake/uvmas.pc.in ${PROJECT_BINARY_DIR}/uvmas.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/uvmas.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Debian package: tools/dev package (cpack -G DEB in a build with
# BUILD_SHARED_LIBS=ON and the prefix /usr).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME uvmas)
set(CPACK_PACKAGE_VENDOR "the uvmas authors")
set(CPACK_PACKAGE_CONTACT "the uvmas authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The shared libraries' own dependencies come from SHLIBDEPS; the CMake
# package needs pkg-config to start.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "pkg-config")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "The native counterpart of Python's aiomas 2.x, in C++20: shared
libraries, headers, the CMake package (find_package(uvmas)), uvmas.pc, the
uvmas command-line tool and uvmas-mosaik-roles.")
include(CPack)
