# The optional image decoding part (accelnas::image_io): PNG through libpng and JPEG through
# libjpeg-turbo (Debian's libpng-dev and libjpeg62-turbo-dev), for the image-folder data set
# (include/accelnas/imageio/). Header-only like the rest, but its headers need both libraries at
# link time, so it is its own INTERFACE target, defined only when both are found; it defines
# ACCELNAS_WITH_IMAGE_IO for its users (the app part then accepts `folder:DIR` data specs). The
# header-only core never includes these headers.
find_package(PNG QUIET)
find_package(JPEG QUIET)
if(NOT PNG_FOUND OR NOT JPEG_FOUND)
  message(STATUS "accelnas: libpng or libjpeg not found: image folders (accelnas::image_io) are not built")
  return()
endif()
message(STATUS "accelnas: building image folders (libpng ${PNG_VERSION_STRING}, libjpeg ${JPEG_VERSION})")
add_library(accelnas_image_io INTERFACE)
add_library(accelnas::image_io ALIAS accelnas_image_io)
set_target_properties(accelnas_image_io PROPERTIES EXPORT_NAME image_io)
target_link_libraries(accelnas_image_io INTERFACE accelnas::accelnas PNG::PNG JPEG::JPEG)
target_compile_definitions(accelnas_image_io INTERFACE ACCELNAS_WITH_IMAGE_IO)
target_sources(accelnas_image_io INTERFACE FILE_SET HEADERS BASE_DIRS ${PROJECT_SOURCE_DIR}/include
  FILES ${ACCELNAS_IMAGE_IO_HEADERS})
install(TARGETS accelnas_image_io EXPORT accelnasImageIoTargets FILE_SET HEADERS)
install(EXPORT accelnasImageIoTargets NAMESPACE accelnas:: DESTINATION ${CMAKE_INSTALL_DATADIR}/cmake/accelnas)
export(EXPORT accelnasImageIoTargets NAMESPACE accelnas:: FILE ${PROJECT_BINARY_DIR}/accelnasImageIoTargets.cmake)
