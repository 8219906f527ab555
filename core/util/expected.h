#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace canary {

// The error side of an Expected spelled out, as std::unexpected. Needed only where the value and the error
// have the same type (Expected<QString, QString>: a path, or why there is none); elsewhere an E converts to
// the error by itself.
template<typename E>
struct Unexpected
{
    explicit Unexpected(E e)
        : error(std::move(e))
    { }

    E error;
};

// A value or an error: the shape every fallible core call returns. (std::expected is C++23.)
//
// A call that gives nothing back but may fail returns Expected<void, E>, as std::expected<void, E>:
// `return {};` is success, returning an E (or an Unexpected<E>) the failure, and `if (!result)` reads
// `result.error()`.
template<typename T, typename E>
class Expected
{
public:
    Expected(T value)
        : m_state(std::in_place_index<0>, std::move(value))
    { }
    Expected(E error) requires(!std::is_same_v<T, E>)
        : m_state(std::in_place_index<1>, std::move(error))
    { }
    Expected(Unexpected<E> error)
        : m_state(std::in_place_index<1>, std::move(error.error))
    { }

    bool hasValue() const { return m_state.index() == 0; }
    explicit operator bool() const { return hasValue(); }

    const T &value() const & { return std::get<0>(m_state); }
    T &value() & { return std::get<0>(m_state); }
    T &&value() && { return std::get<0>(std::move(m_state)); }
    const E &error() const { return std::get<1>(m_state); }

    const T *operator->() const { return &value(); }
    const T &operator*() const { return value(); }

private:
    std::variant<T, E> m_state;
};

template<typename E>
class Expected<void, E>
{
public:
    Expected() = default;
    Expected(E error)
        : m_error(std::move(error))
    { }
    Expected(Unexpected<E> error)
        : m_error(std::move(error.error))
    { }

    bool hasValue() const { return !m_error.has_value(); }
    explicit operator bool() const { return hasValue(); }

    const E &error() const { return *m_error; }

private:
    std::optional<E> m_error;
};

} // namespace canary
