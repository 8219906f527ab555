#include "livefeed.h"

#include <algorithm>

#include <QDateTime>

#include "dynatrace/apierror.h"
#include "session/canarysession.h"
#include "store/auditlog.h"
#include "traffic/trafficbackend.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"
#include "util/terminaltext.h"
#include "verdict/snapshotjudge.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::watch {

namespace {

QJsonObject splitJson(const traffic::Split &split)
{
    return { { u"stable"_s, split.stable }, { u"canary"_s, split.canary } };
}

} // namespace

QString LiveChange::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Split:
        return u"split"_s;
    case Kind::SplitChangedOutside:
        return u"split-changed-outside"_s;
    case Kind::SplitReadFailed:
        return u"split-read-failed"_s;
    case Kind::Verdict:
        return u"verdict"_s;
    case Kind::Event:
        return u"event"_s;
    case Kind::Problem:
        return u"problem"_s;
    case Kind::Audit:
        return u"audit"_s;
    case Kind::ReadFailed:
        break;
    }
    return u"read-failed"_s;
}

QString LiveChange::line() const
{
    return QDateTime::fromMSecsSinceEpoch(atMs).toString(u"HH:mm:ss"_s) + u' ' + terminalSafe(text);
}

LiveFeed::LiveFeed(const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{ }

void LiveFeed::emitChange(LiveChange::Kind kind, const QString &text, QJsonObject json)
{
    LiveChange change;
    change.kind = kind;
    change.atMs = m_clock.nowMs();
    change.text = text;
    json.insert(u"kind"_s, LiveChange::kindName(kind));
    json.insert(u"atMs"_s, change.atMs);
    change.json = std::move(json);
    Q_EMIT changed(change);
}

void LiveFeed::watchTraffic(traffic::TrafficController *controller)
{
    if (!controller)
        return;
    const auto backendName
        = [controller] { return controller->backend() ? controller->backend()->description() : QString(); };
    connect(controller, &traffic::TrafficController::splitChangedOutside, this,
        [this, backendName](
            const traffic::Split &from, const traffic::Split &to, const traffic::ChangeOrigin &origin) {
            QJsonObject json { { u"from"_s, splitJson(from) }, { u"to"_s, splitJson(to) },
                { u"backend"_s, backendName() } };
            QString text
                = tr("traffic changed from %1 to %2 (stable/canary) outside this process, through %3")
                      .arg(from.toString(), to.toString(), backendName());
            if (origin.isKnown()) {
                text += tr(": %1").arg(origin.toString());
                json.insert(u"origin"_s, origin.toJson());
            }
            emitChange(LiveChange::Kind::SplitChangedOutside, text, json);
        });
    connect(controller, &traffic::TrafficController::splitRead, this,
        [this, backendName](const traffic::Split &split) {
            // Every cadence reads it: only the first read and a change are news.
            if (m_lastSplit == split)
                return;
            m_lastSplit = split;
            emitChange(LiveChange::Kind::Split,
                tr("split %1 (stable/canary), canary %2 %, read from %3")
                    .arg(split.toString())
                    .arg(split.canary)
                    .arg(backendName()),
                { { u"split"_s, splitJson(split) }, { u"backend"_s, backendName() } });
        });
    connect(controller, &traffic::TrafficController::splitApplied, this,
        [this](const traffic::Split &, const traffic::Split &to) { m_lastSplit = to; });
    connect(controller, &traffic::TrafficController::readFailed, this,
        [this](const traffic::TrafficError &error) {
            emitChange(LiveChange::Kind::SplitReadFailed,
                tr("cannot read the split: %1").arg(error.summary()), { { u"error"_s, error.summary() } });
        });
}

void LiveFeed::watchSession(session::CanarySession *session, const traffic::BuildRoles &roles)
{
    if (!session)
        return;
    m_session = session;
    m_roles = roles;
    connect(session, &session::CanarySession::snapshotChanged, this, &LiveFeed::onSnapshot);
    connect(session, &session::CanarySession::eventsChanged, this, &LiveFeed::onEvents);
    connect(session, &session::CanarySession::problemsChanged, this, &LiveFeed::onProblems);
    const auto failed = [this](const QString &what) {
        return [this, what](const dynatrace::ApiError &error) {
            emitChange(LiveChange::Kind::ReadFailed, tr("cannot read the %1: %2").arg(what, error.summary()),
                { { u"what"_s, what }, { u"error"_s, error.summary() } });
        };
    };
    connect(session, &session::CanarySession::refreshFailed, this, failed(u"metrics"_s));
    connect(session, &session::CanarySession::eventsFailed, this, failed(u"events"_s));
    connect(session, &session::CanarySession::problemsFailed, this, failed(u"problems"_s));
}

void LiveFeed::onSnapshot()
{
    const session::Snapshot &snapshot = m_session->snapshot();
    const auto roles = traffic::resolveBuildRoles(snapshot.builds, m_roles);
    const verdict::Verdict judged = verdict::judgeSnapshot(snapshot, roles, snapshot.fetchedAtMs);
    const QString outcome = verdict::outcomeName(judged.overall);
    const QString key = outcome + u'\n' + judged.summary;
    if (key == m_lastVerdict)
        return;
    m_lastVerdict = key;
    emitChange(LiveChange::Kind::Verdict, tr("verdict %1: %2").arg(outcome, judged.summary),
        { { u"verdict"_s, outcome }, { u"summary"_s, judged.summary }, { u"canary"_s, roles.canary },
            { u"stable"_s, roles.stable } });
}

void LiveFeed::onEvents()
{
    // The first list is the past, not news: it is only remembered.
    const bool primed = std::exchange(m_eventsPrimed, true);
    for (const dynatrace::Event &event : m_session->events()) {
        if (m_seenEvents.contains(event.eventId))
            continue;
        m_seenEvents.insert(event.eventId);
        if (!primed)
            continue;
        emitChange(LiveChange::Kind::Event, tr("event %1: %2").arg(event.eventType, event.title),
            { { u"eventId"_s, event.eventId }, { u"eventType"_s, event.eventType },
                { u"title"_s, event.title }, { u"startMs"_s, event.startMs } });
    }
}

void LiveFeed::onProblems()
{
    for (const dynatrace::Problem &problem : m_session->problems()) {
        const auto known = m_problemStatus.constFind(problem.problemId);
        if (known != m_problemStatus.cend() && *known == problem.status)
            continue;
        m_problemStatus.insert(problem.problemId, problem.status);
        emitChange(LiveChange::Kind::Problem,
            tr("problem %1 %2: %3").arg(problem.displayId, problem.status, problem.title),
            { { u"problemId"_s, problem.problemId }, { u"displayId"_s, problem.displayId },
                { u"status"_s, problem.status }, { u"title"_s, problem.title } });
    }
}

void LiveFeed::watchAudit(store::AuditLog *audit, int intervalMs)
{
    if (!audit)
        return;
    m_audit = audit;
    if (!m_auditTimer) {
        m_auditTimer = new QTimer(this);
        connect(m_auditTimer, &QTimer::timeout, this, &LiveFeed::onAuditTick);
    }
    m_auditTimer->start(std::max(1'000, intervalMs));
    onAuditTick(); // primes: what was written before the watch began is history, not news
}

void LiveFeed::onAuditTick()
{
    // The newest rows only: a busy log between two ticks shows its last 200 rows.
    const auto rows = m_audit->entries(200);
    if (!rows) {
        emitChange(LiveChange::Kind::ReadFailed, tr("the audit log could not be read: %1").arg(rows.error()),
            { { u"source"_s, u"audit"_s }, { u"error"_s, rows.error() } });
        return;
    }
    const bool primed = m_lastAuditId.has_value();
    for (const store::AuditEntry &row : rows.value()) {
        if (m_lastAuditId && row.id <= *m_lastAuditId)
            continue;
        m_lastAuditId = row.id;
        if (!primed)
            continue;
        const QString result = store::resultName(row.result);
        emitChange(LiveChange::Kind::Audit,
            tr("%1 %2 by %3 on %4: %5").arg(row.action, result, row.operatorName, row.target, row.message),
            { { u"id"_s, row.id }, { u"action"_s, row.action }, { u"result"_s, result },
                { u"operator"_s, row.operatorName }, { u"target"_s, row.target },
                { u"message"_s, row.message }, { u"detail"_s, row.detail } });
    }
    if (!m_lastAuditId)
        m_lastAuditId = 0; // an empty log is primed too
}

} // namespace canary::watch
