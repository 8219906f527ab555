#include "outboxsender.h"

#include <algorithm>
#include <cmath>

#include <QCoreApplication>
#include <QSysInfo>
#include <QUuid>

#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "outbox.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::store {

OutboxSender::OutboxSender(
    Outbox *outbox, dynatrace::EventsClient *events, QString tenant, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_outbox(outbox)
    , m_events(events)
    , m_tenant(std::move(tenant))
    , m_clock(clock)
    , m_random(std::random_device {}())
    // Its process and host ride along, so that a sender on this host whose process died is known gone at
    // once (Outbox::isHeldElsewhere), not only once its claim runs out.
    , m_claimToken(u"%1 %2 %3"_s.arg(QUuid::createUuid().toString(QUuid::WithoutBraces))
                       .arg(QCoreApplication::applicationPid())
                       .arg(QSysInfo::machineHostName()))
{
    if (m_events)
        m_problems = std::make_unique<dynatrace::ProblemsClient>(m_events->restClient());
    m_timer.setSingleShot(true);
    refreshCount();
    connect(&m_timer, &QTimer::timeout, this, &OutboxSender::tick);
    if (m_outbox) {
        connect(m_outbox, &Outbox::enqueued, this, [this] {
            refreshCount();
            if (!isSending() && m_retryAtMs == 0)
                sendNext();
        });
    }
}

OutboxSender::~OutboxSender()
{
    // The send out now dies with this sender (its answer has nowhere to go): another process need not wait
    // for the claim to run out. Had it landed, the copy sent again carries the same canary.outbox.id.
    if (m_outbox && isSending())
        m_outbox->releaseClaim(m_sendingId, m_claimToken);
}

int OutboxSender::requestTimeoutMs() const
{
    return m_events && m_events->restClient() ? m_events->restClient()->timeoutMs()
                                              : net::RestClient::DefaultTimeoutMs;
}

void OutboxSender::start()
{
    refreshCount();
    if (!isSending() && m_retryAtMs == 0)
        sendNext();
}

void OutboxSender::flush()
{
    m_timer.stop();
    m_retryAtMs = 0;
    if (!isSending())
        sendNext();
}

void OutboxSender::tick()
{
    if (isSending())
        return;
    if (isWaitingBehind() && m_retryAtMs == 0)
        return sendNext();
    if (m_retryAtMs == 0)
        return;
    const qint64 remaining = m_retryAtMs - m_clock.nowMs();
    if (remaining > 0) {
        m_timer.start(int(std::min<qint64>(remaining, 60'000)));
        return;
    }
    m_retryAtMs = 0;
    sendNext();
}

void OutboxSender::sendNext()
{
    if (!m_outbox)
        return;
    m_waitingBehindId.clear();
    const auto claim
        = m_outbox->claimNext(m_tenant, m_claimToken, m_clock.nowMs() + requestTimeoutMs() + ClaimMarginMs);
    if (!claim) {
        m_lastError = claim.error();
        ++m_failures;
        scheduleRetry();
        Q_EMIT deliveryFailed({}, claim.error());
        return;
    }
    if (claim->heldElsewhere) {
        // Another process is sending the oldest entry; what is behind it waits (order is kept). The clock
        // judges its claim: looking again soon finds it delivered, given back or run out.
        m_waitingBehindId = claim->heldElsewhere->id;
        refreshCount();
        m_timer.start(LookAgainMs);
        return;
    }
    if (!claim->entry) {
        m_failures = 0;
        refreshCount();
        Q_EMIT drained();
        return;
    }
    const OutboxEntry entry = *claim->entry;
    m_sendingId = entry.id;
    if (!m_events) {
        m_lastErrorConnectionOrAuth = true;
        // Reported on the next turn, like an answer, so callers see one order of signals.
        QTimer::singleShot(
            0, this, [this, id = entry.id] { onAnswer(id, tr("no Dynatrace connection"), {}); });
        return;
    }
    if (entry.kind == OutboxEntry::Kind::ProblemComment) {
        m_problems->addComment(entry.comment.problemId, entry.comment.message, entry.comment.context, this,
            [this, id = entry.id](const dynatrace::CommentResult &result) {
                m_lastErrorConnectionOrAuth = !result && result.error().isConnectionOrAuth();
                if (!result)
                    return onAnswer(id, result.error().summary(), {});
                onAnswer(id, {}, { result.value() });
            });
        return;
    }
    m_events->ingest(entry.event, this, [this, id = entry.id](const dynatrace::IngestResult &result) {
        m_lastErrorConnectionOrAuth = !result && result.error().isConnectionOrAuth();
        // A 2xx whose body is cut short or garbled: Dynatrace took the event, only its answer was lost.
        // Sending it again would put a copy on the timeline with every later process that tried.
        if (!result && result.error().httpStatus >= 200 && result.error().httpStatus < 300)
            return onAnswer(id, {}, {});
        if (!result)
            return onAnswer(id, result.error().summary(), {});
        if (!result->allAccepted())
            return onAnswer(id, result->failureText(), {});
        onAnswer(id, {}, result->correlationIds());
    });
}

void OutboxSender::onAnswer(const QString &id, const QString &failure, const QStringList &correlationIds)
{
    m_sendingId.clear();
    if (!m_outbox)
        return;
    QString message = failure;
    if (failure.isEmpty()) {
        const auto marked = m_outbox->markDelivered(id, correlationIds);
        if (marked) {
            m_failures = 0;
            m_lastError.clear();
            // Another process delivered it first (this claim had run out): its delivery is the one that
            // counts, and this copy carries the same id.
            if (*marked == Delivery::Marked)
                Q_EMIT delivered(id);
            refreshCount();
            // On the next turn of the loop: a process that ends on this delivery (canaryctl, once its own
            // event is in) must not claim and start sending another entry first, which it would then
            // abandon mid-send, leaving a possible second copy.
            QTimer::singleShot(0, this, [this] {
                if (!isSending() && m_retryAtMs == 0)
                    sendNext();
            });
            return;
        }
        // Not marked although Dynatrace has it: the retry sends a copy with the same id, recognisable as
        // such.
        message
            = tr("Dynatrace has the event, but the outbox could not note it (it will be sent again with the "
                 "same id): %1")
                  .arg(marked.error());
    } else {
        // The note is for people: the retry does not depend on it. The claim goes with it: another process
        // may try before this one's backoff ends.
        m_outbox->recordFailure(id, failure, m_claimToken);
    }
    ++m_failures;
    m_lastError = message;
    scheduleRetry();
    Q_EMIT deliveryFailed(id, message);
}

void OutboxSender::scheduleRetry()
{
    const int doublings = std::clamp(m_failures - 1, 0, 30);
    const double base
        = std::min(double(m_backoff.maxMs), double(m_backoff.initialMs) * std::pow(2.0, doublings));
    const double jitter = std::clamp(m_backoff.jitter, 0.0, 1.0);
    std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0 + jitter);
    // Jitter spreads many consoles that lost the tenant at once; it never goes past the cap.
    const qint64 delay
        = std::max<qint64>(1, qint64(std::min(double(m_backoff.maxMs), base * factor(m_random))));
    m_retryAtMs = m_clock.nowMs() + delay;
    m_timer.start(int(std::min<qint64>(delay, 60'000)));
}

void OutboxSender::refreshCount()
{
    if (!m_outbox)
        return;
    const auto count = m_outbox->pendingCount(m_tenant);
    if (!count || *count == m_pendingCount)
        return;
    m_pendingCount = *count;
    Q_EMIT pendingChanged(m_pendingCount);
}

} // namespace canary::store
