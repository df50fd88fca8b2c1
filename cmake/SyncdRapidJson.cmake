# RapidJSON as an interface target; on its own so that the fuzz build
# (SYNCD_FUZZ: domain/ only) needs nothing else.
if(NOT TARGET syncd_rapidjson)
  find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
  add_library(syncd_rapidjson INTERFACE)
  target_include_directories(syncd_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
  # std::string support in RapidJSON's API.
  target_compile_definitions(syncd_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()
