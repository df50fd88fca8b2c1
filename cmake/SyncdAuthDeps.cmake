# The accounts module's libraries (Debian libjwt-dev, libargon2-dev), found
# through their pkg-config files as imported targets.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
