#include "retrypolicy.h"

#include <algorithm>
#include <cmath>

#include <QDateTime>

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

namespace {

// The server's idea of now: its Date header when it sent one (clocks differ; the wait it asks for is
// relative to its own), else ours.
qint64 serverNowMs(const HttpResponse &response, qint64 localNowMs)
{
    const QDateTime date = parseHttpDate(response.header("Date"));
    return date.isValid() ? date.toMSecsSinceEpoch() : localNowMs;
}

// The wait the server asked for, in ms; nullopt when it asked for none (or nothing readable).
std::optional<qint64> requestedWaitMs(const HttpResponse &response, qint64 localNowMs)
{
    const QByteArray retryAfter = response.header("Retry-After").trimmed();
    if (!retryAfter.isEmpty()) {
        bool isNumber = false;
        const qlonglong seconds = retryAfter.toLongLong(&isNumber);
        if (isNumber)
            return std::max<qint64>(0, seconds) * 1000;
        const QDateTime until = parseHttpDate(retryAfter);
        if (until.isValid())
            return std::max<qint64>(0, until.toMSecsSinceEpoch() - serverNowMs(response, localNowMs));
    }
    const QByteArray reset = response.header("X-RateLimit-Reset").trimmed();
    if (!reset.isEmpty()) {
        bool isNumber = false;
        const qlonglong micros = reset.toLongLong(&isNumber);
        if (isNumber)
            return std::max<qint64>(0, micros / 1000 - serverNowMs(response, localNowMs));
    }
    return std::nullopt;
}

} // namespace

bool RetryPolicy::isTransient(const HttpResponse &response, bool transportRetryable)
{
    switch (response.failure) {
    case HttpResponse::Failure::Canceled:
        return false;
    case HttpResponse::Failure::Timeout:
        // A server too slow to answer is not helped by being asked again at once: the caller's next
        // refresh asks, and meanwhile nothing piles up on it.
        return false;
    case HttpResponse::Failure::Transport:
        return transportRetryable;
    case HttpResponse::Failure::None:
        break;
    }
    return response.status == 429 || response.status == 502 || response.status == 503
        || response.status == 504;
}

std::optional<int> RetryPolicy::delayMs(
    const HttpResponse &response, int nextAttempt, qint64 nowMs, double random01) const
{
    if (nextAttempt > maxAttempts)
        return std::nullopt;
    if (const auto asked = requestedWaitMs(response, nowMs)) {
        if (*asked > maxDelayMs)
            return std::nullopt;
        return int(*asked);
    }
    const double exponential = double(baseDelayMs) * std::pow(2.0, std::max(0, nextAttempt - 2));
    const double capped = std::min(exponential, double(maxDelayMs));
    const double factor = 1.0 - jitter * std::clamp(random01, 0.0, 1.0);
    return int(std::lround(capped * factor));
}

QString RetryPolicy::reason(const HttpResponse &response)
{
    if (const QByteArray value = response.header("Retry-After").trimmed(); !value.isEmpty())
        return u"HTTP %1, Retry-After: %2"_s.arg(response.status).arg(QString::fromLatin1(value));
    if (const QByteArray value = response.header("X-RateLimit-Reset").trimmed(); !value.isEmpty())
        return u"HTTP %1, X-RateLimit-Reset: %2"_s.arg(response.status).arg(QString::fromLatin1(value));
    if (response.failure == HttpResponse::Failure::Timeout)
        return u"no answer in time"_s;
    if (response.failure == HttpResponse::Failure::Transport)
        return response.errorString;
    return u"HTTP %1"_s.arg(response.status);
}

} // namespace canary::net
