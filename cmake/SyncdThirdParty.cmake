# Header-only third-party libraries as interface targets, so each module
# says which ones it uses (and no other module sees them).
include(SyncdRapidJson)

find_path(WEBSOCKETPP_INCLUDE_DIR websocketpp/server.hpp REQUIRED)
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(syncd_websocketpp INTERFACE)
target_include_directories(syncd_websocketpp SYSTEM INTERFACE
  ${WEBSOCKETPP_INCLUDE_DIR} ${ASIO_INCLUDE_DIR})
target_compile_definitions(syncd_websocketpp INTERFACE ASIO_STANDALONE
  _WEBSOCKETPP_CPP11_STL_)
target_link_libraries(syncd_websocketpp INTERFACE Threads::Threads)
