# `cpack -G DEB` in a build directory (see packaging/README.md) produces canary-console_<ver>_<arch>.deb
# with the three executables, the .desktop entry and the icon.
include(GNUInstallDirs)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/canary-console.desktop
    DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/canary-console.svg
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)

set(CPACK_PACKAGE_NAME "canary-console")
set(CPACK_PACKAGE_VENDOR "Canary Console")
set(CPACK_PACKAGE_CONTACT "Canary Console maintainers <maintainers@canary-console.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# QtKeychain loads libsecret at run time, so shlibdeps cannot see it; a Secret Service keeps the tokens.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libsecret-1-0")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-qpa-plugins, gnome-keyring | kwalletmanager")
set(CPACK_STRIP_FILES ON)
include(CPack)
