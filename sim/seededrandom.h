#pragma once

#include <QtGlobal>

namespace canary::sim {

// SplitMix64: tiny, fast and identical on every platform and standard library, which std::mt19937 plus
// std::uniform_*_distribution is not (the distributions are implementation-defined). The simulator's
// numbers must be reproducible from a seed wherever the tests run.
class SeededRandom
{
public:
    explicit SeededRandom(quint64 seed = 0)
        : m_state(seed)
    { }

    quint64 next()
    {
        quint64 z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1), using the top 53 bits so every value is exactly representable.
    double nextDouble() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }

    // Uniform in [0, bound); the modulo bias is below 2^-50 for the small bounds used here.
    quint64 nextBelow(quint64 bound) { return bound == 0 ? 0 : next() % bound; }

private:
    quint64 m_state;
};

} // namespace canary::sim
