// Result<T>: the value of an operation that a peer's input can make fail.
//
// DESIGN.md: errors a peer can cause are values, not exceptions. Every parser
// of untrusted input (bencode, JSON, SDP, ng framing) returns a Result: either
// its value or an Error whose reason says what is wrong, in the words the
// caller may put into a log line or an ng `error-reason`. The call commands
// (offer, answer, delete, in-call controls) return one too
// (session::CommandResult). A std::expected
// stand-in (that is C++23), kept small: no monadic helpers until a caller
// needs one.
//
//     Result<Foo> parseFoo(std::string_view in) {
//         if (in.empty()) return Error{"empty input"};
//         return Foo{...};
//     }
//     auto foo = parseFoo(text);
//     if (!foo) return reply(foo.error().reason);
//     use(*foo);
//
// Result<void> carries no value: `return {};` is success.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace ngm {

struct Error {
    std::string reason;
    // Invalid: the input is wrong. Overload: a valid request refused because
    // the daemon is at a configured limit (ng's `load limit` reply).
    enum class Kind : uint8_t { Invalid, Overload } kind = Kind::Invalid;
    bool operator==(const Error&) const = default;
};

namespace detail {
// Asking a Result for what it does not hold is a programming error, not
// something a peer can cause, so it throws.
[[noreturn]] inline void badResultAccess(const char* what, const Error* e) {
    std::string msg = std::string("Result: ") + what;
    if (e) msg += " (error: " + e->reason + ")";
    throw std::logic_error(msg);
}
}  // namespace detail

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
    static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

public:
    using value_type = T;

    // Success, from anything a T can be made of (so `return foo;` and
    // `return "text";` for a Result<std::string> work).
    template <class U = T>
        requires(std::is_constructible_v<T, U &&> &&
                 !std::is_same_v<std::remove_cvref_t<U>, Error> &&
                 !std::is_same_v<std::remove_cvref_t<U>, Result>)
    Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}
    // Failure.
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        check();
        return *std::get_if<0>(&v_);
    }
    const T& value() const& {
        check();
        return *std::get_if<0>(&v_);
    }
    T&& value() && {
        check();
        return std::move(*std::get_if<0>(&v_));
    }
    template <class U>
    T valueOr(U&& fallback) const& {
        return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
    }

    // Unchecked access, as std::optional has it: only after ok().
    T& operator*() & { return *std::get_if<0>(&v_); }
    const T& operator*() const& { return *std::get_if<0>(&v_); }
    T&& operator*() && { return std::move(*std::get_if<0>(&v_)); }
    T* operator->() { return std::get_if<0>(&v_); }
    const T* operator->() const { return std::get_if<0>(&v_); }

    const Error& error() const {
        if (ok()) detail::badResultAccess("error() of a success", nullptr);
        return *std::get_if<1>(&v_);
    }

private:
    void check() const {
        if (!ok()) detail::badResultAccess("value() of an error", std::get_if<1>(&v_));
    }
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;  // success
    Result(Error e) : error_(std::move(e)) {}

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    // Throws on an error, like Result<T>::value().
    void value() const {
        if (!ok()) detail::badResultAccess("value() of an error", &*error_);
    }
    const Error& error() const {
        if (ok()) detail::badResultAccess("error() of a success", nullptr);
        return *error_;
    }

private:
    std::optional<Error> error_;
};

}  // namespace ngm
