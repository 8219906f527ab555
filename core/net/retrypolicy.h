#pragma once

#include <optional>

#include <QByteArray>
#include <QString>

#include "httpresponse.h"

namespace canary::net {

// When and how long to wait before asking again. Only idempotent reads (GET, HEAD) are ever repeated: a
// write (an event ingest, a job launch, a PATCH) that failed may still have taken effect, so it goes back to
// the caller, which knows whether repeating it is safe.
//
// The wait, in order of precedence: the server's Retry-After (seconds or an HTTP date), then
// X-RateLimit-Reset (a Unix time in microseconds: Dynatrace Managed, Monaco's reading), then capped
// exponential backoff with jitter. A server that asks for longer than maxDelayMs gets its answer delivered
// instead: the caller's own schedule (the next refresh) waits for it, not a call that holds a slot.
struct RetryPolicy
{
    int maxAttempts = 3; // the first try included; 1 never repeats
    int baseDelayMs = 500; // the first backoff wait, doubled on each further attempt
    int maxDelayMs = 10'000; // the longest single wait
    double jitter = 0.5; // a backoff wait is scaled by a random factor in [1 - jitter, 1]

    static RetryPolicy none() { return { 1, 0, 0, 0 }; }

    static bool isIdempotent(const QByteArray &verb) { return verb == "GET" || verb == "HEAD"; }

    // Whether `response` is worth another try at all: throttling (429), a gateway or server that is
    // momentarily unavailable (502, 503, 504), a connection that failed or broke off. Not a timeout: a
    // server too slow to answer gets no second request piled onto it.
    // Refusals by the security policy and TLS errors are not: asking again cannot change them.
    static bool isTransient(const HttpResponse &response, bool transportRetryable);

    // How long to wait before attempt `nextAttempt` (2 for the first repeat), or nullopt: deliver
    // `response` now. `nowMs` is the local clock, used when the server sent no Date; `random01` in [0, 1).
    std::optional<int> delayMs(
        const HttpResponse &response, int nextAttempt, qint64 nowMs, double random01) const;

    // What the wait comes from, for the log and the retrying() signal: "Retry-After: 2 s", ...
    static QString reason(const HttpResponse &response);
};

} // namespace canary::net
