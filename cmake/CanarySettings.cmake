# One INTERFACE target carries the project-wide compiler settings; every target links it.
add_library(canary_settings INTERFACE)
add_library(Canary::Settings ALIAS canary_settings)

target_compile_features(canary_settings INTERFACE cxx_std_20)

target_compile_definitions(canary_settings INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    # Qt 6.7 and later refuse connect(sender, signal, functor) without a context object; Debian's 6.4 ignores
    # it, so tests/arch/checklayers.cmake looks for such connects in the meantime.
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_FOREACH
    QT_NO_KEYWORDS
    QT_STRICT_ITERATORS
    QT_USE_QSTRINGBUILDER
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    $<$<CONFIG:Release>:QT_NO_DEBUG_OUTPUT>)

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(canary_settings INTERFACE
        -Wall -Wextra -Wpedantic
        -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-qual
        -Wimplicit-fallthrough
        # GCC's spelling; clang has no "local only" variant and its -Wshadow also flags members and globals.
        $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
        $<$<BOOL:${CANARY_WERROR}>:-Werror>)
endif()
