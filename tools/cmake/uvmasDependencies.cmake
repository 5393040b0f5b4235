# The outside libraries uvmas links, found the same way by the build
# (CMakeLists.txt) and by the installed package (uvmasConfig.cmake), so the
# imported targets the exported uvmas targets name exist for a consumer too.
# A new library dependency of a uvmas library goes here, nowhere else.
#
# In:  uvmas_FIND_PRIVATE_DEPENDENCIES — also find the libraries linked only
#      inside uvmas (needed by the build, and by users of static libraries).
# Out: uvmas_MISSING_DEPENDENCIES — what was not found (empty: all found).
set(uvmas_MISSING_DEPENDENCIES "")

find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  list(APPEND uvmas_MISSING_DEPENDENCIES "pkg-config (Debian: pkg-config)")
  return()
endif()

# Every dependency is private: no public header includes a third-party one.
if(uvmas_FIND_PRIVATE_DEPENDENCIES)
  # libuv is the event loop of uvmas::core.
  pkg_check_modules(LIBUV QUIET IMPORTED_TARGET libuv)
  if(NOT LIBUV_FOUND)
    list(APPEND uvmas_MISSING_DEPENDENCIES "libuv (Debian: libuv1-dev)")
  endif()

  # c-blosc compresses MsgPackBlosc frames inside uvmas::codecs.
  pkg_check_modules(BLOSC QUIET IMPORTED_TARGET blosc)
  if(NOT BLOSC_FOUND)
    list(APPEND uvmas_MISSING_DEPENDENCIES "blosc (Debian: libblosc-dev)")
  endif()

  # mbedTLS 2.28 (TLS inside uvmas::transports) ships neither a CMake package
  # nor a pkg-config file: find it by hand, under the target names mbedTLS 3's
  # own package uses.
  find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h)
  find_library(MBEDTLS_LIB mbedtls)
  find_library(MBEDX509_LIB mbedx509)
  find_library(MBEDCRYPTO_LIB mbedcrypto)
  if(MBEDTLS_INCLUDE_DIR AND MBEDTLS_LIB AND MBEDX509_LIB AND MBEDCRYPTO_LIB)
    set(below_mbedcrypto "")
    set(below_mbedx509 MbedTLS::mbedcrypto)
    set(below_mbedtls MbedTLS::mbedx509)
    foreach(lib mbedcrypto mbedx509 mbedtls)
      if(NOT TARGET MbedTLS::${lib})
        string(TOUPPER ${lib} upper)
        add_library(MbedTLS::${lib} UNKNOWN IMPORTED)
        set_target_properties(MbedTLS::${lib} PROPERTIES
          IMPORTED_LOCATION "${${upper}_LIB}"
          INTERFACE_INCLUDE_DIRECTORIES "${MBEDTLS_INCLUDE_DIR}"
          INTERFACE_LINK_LIBRARIES "${below_${lib}}")
      endif()
    endforeach()
  else()
    list(APPEND uvmas_MISSING_DEPENDENCIES "mbedTLS (Debian: libmbedtls-dev)")
  endif()
endif()
