# uvmas_add_library(ROOM SOURCE...)
#
# One room's library: target uvmas_ROOM, known as uvmas::ROOM in the build and
# in the installed CMake package, with the room's include/ folder as its public
# headers. Static or shared after BUILD_SHARED_LIBS; shared libraries carry the
# SONAME libuvmas_ROOM.so.MAJOR.MINOR (0.x releases may break the ABI).
# tools/cmake/uvmasInstall.cmake installs every library made here.
function(uvmas_add_library room)
  set(target uvmas_${room})
  add_library(${target} ${ARGN})
  add_library(uvmas::${room} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${room}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # Warnings and sanitizers are the build's business, not the user's.
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:uvmas_build_flags>)
  set_property(GLOBAL APPEND PROPERTY UVMAS_LIBRARIES ${target})
  set_property(GLOBAL APPEND PROPERTY UVMAS_HEADER_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/include)
endfunction()
