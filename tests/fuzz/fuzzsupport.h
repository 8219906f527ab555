#pragma once

// Shared by every fuzz target: the input as Qt sees it, and a check that stops the run with a message
// libFuzzer keeps next to the crashing input.

#include <cstdio>
#include <cstdlib>

#include <QByteArray>
#include <QByteArrayView>

namespace canary::fuzz {

// Qt's view of libFuzzer's buffer, without a copy: the parsers under test take QByteArrayView.
inline QByteArrayView viewOf(const unsigned char *data, std::size_t size)
{
    return QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size));
}

// A copy for the parsers that take a QByteArray (its own allocation, so ASan sees every overrun).
inline QByteArray bytesOf(const unsigned char *data, std::size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// An invariant the parser promises beyond "does not crash": abort() makes libFuzzer save the input.
#define CANARY_FUZZ_CHECK(condition)                                                                         \
    do {                                                                                                     \
        if (!(condition)) {                                                                                  \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition);      \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

} // namespace canary::fuzz
