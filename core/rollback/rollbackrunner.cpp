#include "rollbackrunner.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>
#include <QUuid>

#include "awx/awxclient.h"
#include "awx/jobrun.h"
#include "dynatrace/eventingest.h"
#include "dynatrace/eventsclient.h"
#include "dynatrace/problemsclient.h"
#include "journalprovenance.h"
#include "net/httpdiagnostics.h"
#include "net/restclient.h"
#include "session/canarysession.h"
#include "store/lease.h"
#include "store/outbox.h"
#include "traffic/changegate.h"
#include "traffic/trafficbackend.h"
#include "traffic/trafficcontroller.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

const QString CommentContext = u"Canary Console"_s;
constexpr qint64 NoticeEveryMs = 30'000;
// AWX's clock and ours may disagree: "created since the launch was sent" allows this much. A job of the
// template someone else started in this margin makes the lookup ambiguous, which ends "unknown": never a
// guess.
constexpr qint64 LaunchLookupMarginMs = 2 * 60'000;
constexpr int LaunchLookupPageSize = 10;

QString isoUtc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString utcTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"HH:mm:ss"_s) + u" UTC"_s;
}

// An answer that never arrived whole: AWX may have started the job. A 2xx whose body cannot be read is AWX
// having accepted it.
bool launchOutcomeUnknown(const awx::AwxError &error)
{
    return error.kind == awx::AwxError::Kind::Timeout || error.kind == awx::AwxError::Kind::Transport
        || (error.httpStatus >= 200 && error.httpStatus < 300);
}

QString minutesText(qint64 ms)
{
    return QObject::tr("%1 min").arg(double(ms) / 60'000.0, 0, 'f', 1);
}

// The ingest body kept for a record that did not go out, read back into what EventsClient sends.
dynatrace::EventIngest ingestFromJson(const QByteArray &body)
{
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    dynatrace::EventIngest event;
    event.eventType = json.value(u"eventType"_s).toString();
    event.title = json.value(u"title"_s).toString();
    event.entitySelector = json.value(u"entitySelector"_s).toString();
    const QJsonObject properties = json.value(u"properties"_s).toObject();
    for (auto it = properties.begin(); it != properties.end(); ++it)
        event.properties.insert(it.key(), it.value().toString());
    return event;
}

} // namespace

RollbackRunner::RollbackRunner(
    RunnerSetup setup, RollbackJournal *journal, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_setup(std::move(setup))
    , m_journal(journal)
    , m_clock(clock)
{
    m_poll.setSingleShot(true);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        switch (m_state.stage) {
        case Stage::Verifying:
            if (!m_state.backendVerified) {
                readBackend();
            } else if (m_clock.nowMs() - m_stageStartedMs > m_setup.verifyTimeoutMs) {
                verifyTimedOut();
            } else {
                m_setup.session->refresh();
                m_poll.start(m_setup.pollIntervalMs);
            }
            break;
        default:
            break;
        }
    });
}

RollbackRunner::~RollbackRunner() = default;

void RollbackRunner::setLease(store::Database *database, const QString &target, qint64 ttlMs)
{
    m_leaseDatabase = database;
    m_leaseName = store::Lease::rollbackName(target);
    m_leaseTtlMs = ttlMs;
}

QString RollbackRunner::leaseTarget(const QString &tenant, const QString &entitySelector)
{
    return tenant + u' ' + entitySelector;
}

std::optional<std::pair<Failure, QString>> RollbackRunner::takeLease(const QString &operatorName)
{
    if (!m_leaseDatabase)
        return std::nullopt;
    // Real time, whatever clock the rollback runs on: other processes judge its expiry by theirs.
    m_lease = std::make_unique<store::Lease>(*m_leaseDatabase, Clock::system(), m_leaseName);
    m_lease->setTtlMs(m_leaseTtlMs);
    if (!operatorName.isEmpty())
        m_lease->setUser(operatorName);
    connect(m_lease.get(), &store::Lease::lost, this, [this](const QString &why) { abandon(why); });
    const auto taken = m_lease->tryAcquire();
    if (taken)
        return std::nullopt;
    m_lease.reset();
    const store::LeaseRefusal &refusal = taken.error();
    if (refusal.kind == store::LeaseRefusal::Kind::Held && refusal.holder)
        return std::pair { Failure::Busy,
            tr("refused: a rollback of this target is already under way in %1; nothing was launched")
                .arg(refusal.holder->describe()) };
    return std::pair { Failure::StoreUnusable,
        tr("not started: %1; nothing was launched").arg(refusal.message) };
}

void RollbackRunner::abandon(const QString &why)
{
    if (!m_running)
        return;
    // This process was stopped past the lease's expiry and another one took the rollback over (a resume):
    // it follows the job and writes the journal from now on. Carrying on here would follow it twice and
    // record two outcomes; the journal is left to the new holder.
    m_running = false; // first: a lookup's answer to the cancel below finds the rollback over
    dropJobRun();
    if (m_lookup)
        m_lookup->cancel();
    m_poll.stop();
    if (m_snapshotConnection)
        disconnect(m_snapshotConnection);
    m_snapshotConnection = {};
    if (m_lease) {
        // Inside its own lost() signal: it goes once that returned. Nothing of the new holder's is released.
        m_lease->disconnect(this);
        m_lease.release()->deleteLater();
    }
    m_state.stage = Stage::Finished;
    m_state.failure = Failure::Busy;
    m_state.message = tr("stopped following: %1; the process that holds it now carries this rollback to "
                         "its end")
                          .arg(why);
    const RollbackState state = m_state;
    Q_EMIT stageChanged(Stage::Finished);
    Q_EMIT runningChanged(false);
    Q_EMIT rollbackFailed(state);
}

void RollbackRunner::releaseLease()
{
    m_lease.reset(); // gives it back
}

Expected<void, QString> RollbackRunner::checkInFlight(const RollbackState &state)
{
    // A journal kept in memory was written by this process alone.
    if (!m_audit || !m_journal || m_journal->path().isEmpty())
        return {};
    auto checked = JournalProvenance(*m_audit, m_journal->path()).checkInFlight(state);
    if (!checked)
        m_journalRefusal = checked.error();
    return checked;
}

QString RollbackRunner::damagedJournalText() const
{
    // Someone else's file was not read at all: its own words say whose it is and what to do.
    if (m_journal->isUnsafe())
        return m_journal->loadError() + tr("; nothing was launched");
    return tr("refused: the rollback journal is damaged (%1). It may hold a rollback in flight: read it and "
              "check AWX for the job it names, then move it aside (mv %2 %2.damaged) and try again; nothing "
              "was launched")
        .arg(m_journal->loadError(), m_journal->path());
}

bool RollbackRunner::refuse(RollbackState state, Failure failure, const QString &message)
{
    state.id.clear();
    state.failure = failure;
    state.stage = Stage::Finished;
    state.message = message;
    QTimer::singleShot(0, this, [this, state] { Q_EMIT rollbackFailed(state); });
    return false;
}

void RollbackRunner::setOutbox(store::Outbox *outbox, const QString &tenant)
{
    m_outbox = outbox;
    m_outboxTenant = tenant;
    migrateLegacyPending();
}

int RollbackRunner::migrateLegacyPending()
{
    if (!m_outbox || !m_journal || m_journal->legacyPending().isEmpty())
        return 0;
    // Sent with the operator's token once in the outbox: only what the audit log shows this console wrote.
    if (!m_journal->path().isEmpty()) {
        const auto vouched = m_audit
            ? JournalProvenance(*m_audit, m_journal->path()).checkLegacyPending(m_journal->legacyPending())
            : Expected<void, QString>(tr("refused: records waiting for Dynatrace in the rollback journal %1 "
                                         "cannot be checked without the audit log; they stay in the file, "
                                         "unsent")
                                          .arg(m_journal->path()));
        if (!vouched) {
            m_journalRefusal = vouched.error();
            Q_EMIT notice(vouched.error());
            return 0;
        }
    }
    int moved = 0;
    for (const QJsonValue value : m_journal->legacyPending()) {
        const QJsonObject record = value.toObject();
        const QString rollbackId = record.value(u"rollbackId"_s).toString();
        const QString problemId = record.value(u"problemId"_s).toString();
        // The keys record() uses: a record already in the outbox (an earlier, partial move) is not added
        // twice.
        const auto key
            = [&](const QString &suffix) { return rollbackId.isEmpty() ? QString() : rollbackId + suffix; };
        const auto queued = problemId.isEmpty()
            ? m_outbox->enqueue(m_outboxTenant, ingestFromJson(record.value(u"body"_s).toString().toUtf8()),
                key(u"/result"_s))
            : m_outbox->enqueueComment(m_outboxTenant,
                { problemId, record.value(u"message"_s).toString(), record.value(u"context"_s).toString() },
                key(u"/comment/"_s + problemId));
        if (!queued) {
            // Left in the journal, all of them: the next start tries again.
            Q_EMIT notice(
                tr("records of an earlier rollback could not be moved to the outbox (%1); they stay in "
                   "the journal")
                    .arg(queued.error()));
            return 0;
        }
        ++moved;
    }
    if (const auto dropped = m_journal->dropLegacyPending(); !dropped)
        Q_EMIT notice(dropped.error());
    return moved;
}

bool RollbackRunner::enqueueRecord(const dynatrace::EventIngest &event)
{
    if (!m_outbox)
        return false;
    const auto queued = m_outbox->enqueue(m_outboxTenant, event, m_state.id + u"/result"_s);
    if (!queued) {
        Q_EMIT notice(tr("the rollback's event could not be put in the outbox (%1); sending it directly")
                          .arg(queued.error()));
        return false;
    }
    return true;
}

bool RollbackRunner::enqueueComment(const QString &problemId, const QString &message)
{
    if (!m_outbox)
        return false;
    const auto queued = m_outbox->enqueueComment(
        m_outboxTenant, { problemId, message, CommentContext }, m_state.id + u"/comment/"_s + problemId);
    if (!queued) {
        Q_EMIT notice(tr("the comment on problem %1 could not be put in the outbox (%2); sending it directly")
                          .arg(problemId, queued.error()));
        return false;
    }
    return true;
}

bool RollbackRunner::start(const BackoutPlan &plan, const QString &reason, const QString &operatorName,
    const QStringList &openProblems)
{
    RollbackState state;
    state.plan = plan;
    state.reason = reason;
    state.operatorName = operatorName;
    state.openProblemIds = openProblems;
    if (!plan.needsAction()) {
        state.failure = Failure::NoPlan;
        state.stage = Stage::Finished;
        state.message = tr("nothing to run: the newest change recorded no backout (it was itself a reset)");
        QTimer::singleShot(0, this, [this, state] { Q_EMIT rollbackFailed(state); });
        return false;
    }
    if (!begin(std::move(state)))
        return false;
    if (plan.kind == BackoutPlan::Kind::AwxTemplate)
        preflight();
    else
        triggerPipeline();
    return true;
}

bool RollbackRunner::startFallback(
    const QString &reason, const QString &operatorName, const QStringList &openProblems)
{
    RollbackState state;
    state.fallback = true;
    state.reason = reason;
    state.operatorName = operatorName;
    state.openProblemIds = openProblems;
    if (!begin(std::move(state)))
        return false;
    applyFallback();
    return true;
}

void RollbackRunner::reject(Failure failure, const QString &message)
{
    RollbackState state;
    state.failure = failure;
    state.stage = Stage::Finished;
    state.message = message;
    QTimer::singleShot(0, this, [this, state] { Q_EMIT rollbackFailed(state); });
}

bool RollbackRunner::begin(RollbackState state)
{
    if (m_running) {
        // The one under way is left alone; the refusal is reported on its own.
        return refuse(std::move(state), Failure::Refused,
            tr("refused: a rollback is already running (%1)").arg(stageName(m_state.stage)));
    }
    // A journal that cannot be read may hold a rollback in flight: writing over it would lose that.
    if (m_journal && !m_journal->loadError().isEmpty())
        return refuse(std::move(state), Failure::StoreUnusable, damagedJournalText());
    if (auto refusal = takeLease(state.operatorName))
        return refuse(std::move(state), refusal->first, refusal->second);
    if (m_journal) {
        // Now that no other process can start one, what the others did before is final: read it again.
        m_journal->reload();
        QString why;
        Failure failure = Failure::Refused;
        if (!m_journal->loadError().isEmpty()) {
            failure = Failure::StoreUnusable;
            why = damagedJournalText();
        } else if (const auto &other = m_journal->inFlight(); other && !checkInFlight(*other)) {
            failure = Failure::StoreUnusable;
            why = m_journalRefusal;
        } else if (other) {
            why = tr("refused: a rollback is already in flight (%1, %2 since %3): resume it with "
                     "'canaryctl rollback --resume'")
                      .arg(other->actionText(), stageName(other->stage), utcTime(other->startedAtMs));
        } else if (const auto &last = m_journal->last();
                   last && state.plan.readAtMs > 0 && last->finishedAtMs > state.plan.readAtMs) {
            failure = Failure::Busy;
            why = tr("refused: another rollback (%1, %2) finished at %3, after this plan was read; read the "
                     "plan again before rolling back")
                      .arg(last->actionText(), failureName(last->failure), utcTime(last->finishedAtMs));
        }
        if (!why.isEmpty()) {
            releaseLease();
            return refuse(std::move(state), failure, why);
        }
    }
    state.startedAtMs = m_clock.nowMs();
    // Unique across processes and machines: the outbox keys the rollback's records by it.
    state.id = u"rollback-"_s + QUuid::createUuid().toString(QUuid::WithoutBraces);
    m_state = std::move(state);
    m_output.clear();
    m_running = true;
    Q_EMIT runningChanged(true); // the start row is committed here (auditRollbackActions)
    // Before the journal first names the rollback: a record without its start row could never be resumed
    // (it would be refused as not this console's), and the rollback would have run unrecorded.
    if (m_audit && m_journal && !m_journal->path().isEmpty()) {
        const auto started = JournalProvenance(*m_audit, m_journal->path()).hasStart(m_state.id);
        if (!started || !*started) {
            m_running = false;
            releaseLease();
            Q_EMIT runningChanged(false);
            return refuse(m_state, Failure::StoreUnusable,
                tr("not started: its start could not be committed to the audit log (%1); nothing was "
                   "launched")
                    .arg(started ? tr("the row is not there") : started.error()));
        }
    }
    setStage(Stage::Preflight);
    return true;
}

void RollbackRunner::setStage(Stage stage)
{
    m_state.stage = stage;
    m_stageStartedMs = m_clock.nowMs();
    save();
    Q_EMIT stageChanged(stage);
    Q_EMIT stateChanged(m_state);
}

Expected<void, QString> RollbackRunner::journalState()
{
    if (!m_journal)
        return {};
    return m_journal->save(m_state);
}

void RollbackRunner::save()
{
    if (const auto saved = journalState(); !saved)
        Q_EMIT notice(saved.error());
}

void RollbackRunner::preflight()
{
    if (!m_setup.awx)
        return fail(Failure::LaunchFailed,
            tr("no AWX is configured to launch job template #%1").arg(m_state.plan.templateId));
    // Should the launch's answer be lost, its job is the first one after the newest now. Not knowing it
    // costs nothing but a lookup by time later.
    m_lookup = m_setup.awx->jobs({ { u"job_template"_s, QString::number(m_state.plan.templateId) },
                                     { u"order_by"_s, u"-id"_s }, { u"page_size"_s, u"1"_s } },
        this, [this](const awx::AwxResult<awx::Page<awx::Job>> &page) {
            m_lookup = nullptr;
            if (!m_running || m_state.stage != Stage::Preflight)
                return;
            if (page)
                m_state.newestJobBeforeLaunch = page->results.isEmpty() ? 0 : page->results.constFirst().id;
            makeJobRun()->start(m_state.plan.templateId, {});
        });
}

awx::JobRun *RollbackRunner::makeJobRun()
{
    dropJobRun();
    m_job = new awx::JobRun(m_setup.awx, m_clock, this);
    m_job->setPollIntervalMs(m_setup.pollIntervalMs);
    m_job->setTimeoutMs(m_setup.jobTimeoutMs);
    m_job->setFollowOutput(true);
    connect(m_job, &awx::JobRun::aboutToLaunch, this, &RollbackRunner::launching);
    connect(m_job, &awx::JobRun::launched, this, [this](int jobId) {
        m_state.jobId = jobId;
        m_state.jobUrl = jobUrl(jobId);
        m_state.jobStatus = u"pending"_s;
        m_lastAwxNoticeMs = 0;
        setStage(Stage::Following);
    });
    connect(m_job, &awx::JobRun::statusChanged, this, [this](const QString &status) {
        if (status == m_state.jobStatus)
            return; // polled() told it already
        m_state.jobStatus = status;
        save();
        Q_EMIT stateChanged(m_state);
    });
    connect(m_job, &awx::JobRun::polled, this, [this](const awx::Job &job) {
        m_lastAwxNoticeMs = 0;
        m_state.jobStatus = job.status;
        save();
        Q_EMIT stateChanged(m_state);
    });
    connect(m_job, &awx::JobRun::pollRetrying, this, [this](const awx::AwxError &error) {
        if (m_lastAwxNoticeMs == 0 || m_clock.nowMs() - m_lastAwxNoticeMs >= NoticeEveryMs) {
            m_lastAwxNoticeMs = m_clock.nowMs();
            Q_EMIT notice(
                tr("AWX unreachable, still following job %1: %2").arg(m_state.jobId).arg(error.summary()));
        }
    });
    connect(m_job, &awx::JobRun::outputChanged, this, [this](const QString &text) {
        QStringList lines = text.split(u'\n');
        while (!lines.isEmpty() && lines.constLast().trimmed().isEmpty())
            lines.removeLast();
        if (lines.size() > m_setup.outputLines)
            lines = lines.mid(lines.size() - m_setup.outputLines);
        const QString tail = lines.join(u'\n');
        if (tail != m_output) {
            m_output = tail;
            Q_EMIT outputChanged(m_output);
        }
    });
    connect(m_job, &awx::JobRun::cancelAnswered, this, [this](bool accepted, const awx::AwxError &error) {
        Q_EMIT notice(accepted ? tr("AWX accepted the cancel; waiting for the job to stop")
                               : tr("AWX did not cancel job %1: %2").arg(m_state.jobId).arg(error.summary()));
    });
    connect(m_job, &awx::JobRun::finished, this, &RollbackRunner::jobEnded);
    connect(m_job, &awx::JobRun::failed, this, &RollbackRunner::jobRunFailed);
    return m_job;
}

void RollbackRunner::dropJobRun()
{
    if (!m_job)
        return;
    // It may be the sender of the signal being handled: it goes once that is over.
    m_job->abandon();
    m_job->disconnect(this);
    m_job->deleteLater();
    m_job = nullptr;
}

void RollbackRunner::launching()
{
    // From here on a job may exist: the journal must say so before the request leaves.
    m_state.stage = Stage::Launching;
    m_state.launchSentAtMs = m_clock.nowMs();
    if (const auto saved = journalState(); !saved) {
        m_state.stage = Stage::Preflight;
        dropJobRun();
        return fail(Failure::Refused, tr("not launched: %1").arg(saved.error()));
    }
    setStage(Stage::Launching);
}

void RollbackRunner::jobRunFailed(const awx::JobRunError &error)
{
    dropJobRun();
    const int templateId = m_state.plan.templateId;
    using Kind = awx::JobRunError::Kind;
    switch (error.kind) {
    case Kind::Preflight:
        return fail(Failure::LaunchFailed,
            tr("AWX pre-flight of job template #%1 failed: %2").arg(templateId).arg(error.awx.summary()));
    case Kind::Refused: {
        QStringList missing;
        if (!error.blockers.unansweredVariables.isEmpty())
            missing.append(tr("variables %1").arg(error.blockers.unansweredVariables.join(u", "_s)));
        if (!error.blockers.passwordsNeeded.isEmpty())
            missing.append(tr("passwords %1").arg(error.blockers.passwordsNeeded.join(u", "_s)));
        if (error.blockers.inventoryNeeded)
            missing.append(tr("an inventory"));
        return fail(Failure::LaunchFailed,
            tr("AWX job template #%1 '%2' cannot start without input (%3); a backout must run "
               "unattended")
                .arg(templateId)
                .arg(error.launchInfo.templateName,
                    missing.isEmpty() ? tr("prompts on launch") : missing.join(u"; "_s)));
    }
    case Kind::Launch:
        if (launchOutcomeUnknown(error.awx))
            return findLaunchedJob(error.awx.kind == awx::AwxError::Kind::Timeout
                        || error.awx.kind == awx::AwxError::Kind::Transport
                    ? tr("the launch of AWX job template #%1 got no answer (%2)")
                          .arg(templateId)
                          .arg(error.awx.summary())
                    : tr("AWX accepted the launch of job template #%1, but its answer cannot be read (%2)")
                          .arg(templateId)
                          .arg(error.awx.summary()));
        return fail(Failure::LaunchFailed,
            tr("AWX refused to launch job template #%1: %2").arg(templateId).arg(error.awx.summary()));
    case Kind::IgnoredFields:
        return fail(Failure::LaunchFailed,
            tr("AWX launched job %1 of template #%2 but ignored %3; %4")
                .arg(error.jobId)
                .arg(templateId)
                .arg(error.launch.ignoredFieldNames().join(u", "_s),
                    error.cancelError
                        ? tr("canceling it failed (%1): check the job").arg(error.cancelError->summary())
                        : tr("the job was canceled")));
    case Kind::Poll:
        if (error.awx.kind == awx::AwxError::Kind::NotFound)
            return fail(Failure::JobFailed,
                tr("AWX job %1 no longer exists: %2").arg(error.jobId).arg(error.awx.summary()));
        return fail(Failure::JobFailed,
            tr("AWX job %1 cannot be followed: %2").arg(error.jobId).arg(error.awx.summary()));
    case Kind::TimedOut:
        if (error.lastPollError)
            return fail(Failure::JobFailed,
                tr("AWX job %1: no answer for %2 (%3)")
                    .arg(error.jobId)
                    .arg(minutesText(error.followedMs), error.lastPollError->summary()));
        return fail(Failure::JobFailed,
            tr("AWX job %1 still %2 after %3")
                .arg(error.jobId)
                .arg(error.lastStatus, minutesText(error.followedMs)));
    }
}

void RollbackRunner::findLaunchedJob(const QString &why)
{
    const int templateId = m_state.plan.templateId;
    QUrl templateJobs = m_setup.awxUrl;
    if (m_setup.awx)
        templateJobs.setPath(m_setup.awx->endpoint(u"job_templates/%1/jobs/"_s.arg(templateId)));
    const QString check = tr("check the jobs of template #%1 in AWX (%2) before rolling back again")
                              .arg(templateId)
                              .arg(templateJobs.toString());
    if (!m_setup.awx)
        return fail(Failure::Unknown, tr("%1; launched, details unknown: %2").arg(why, check));
    Q_EMIT launchLost(m_state, why);
    Q_EMIT notice(tr("%1; launched, details unknown: looking for its job in AWX").arg(why));
    const qint64 sentAtMs = m_state.launchSentAtMs > 0 ? m_state.launchSentAtMs : m_state.startedAtMs;
    // After the newest job before the launch when that was read; else by time, with a margin for clocks.
    const auto since = m_state.newestJobBeforeLaunch >= 0
        ? std::pair { u"id__gt"_s, QString::number(m_state.newestJobBeforeLaunch) }
        : std::pair { u"created__gte"_s, isoUtc(sentAtMs - LaunchLookupMarginMs) };
    m_lookup = m_setup.awx->jobs(
        { { u"job_template"_s, QString::number(templateId) }, since, { u"order_by"_s, u"-id"_s },
            { u"page_size"_s, QString::number(LaunchLookupPageSize) } },
        this, [this, why, check, templateId](const awx::AwxResult<awx::Page<awx::Job>> &page) {
            m_lookup = nullptr;
            if (!m_running || m_state.stage != Stage::Launching)
                return;
            if (!page)
                return fail(Failure::Unknown,
                    tr("%1, and looking for its job failed too (%2); launched, details unknown: %3")
                        .arg(why, page.error().summary(), check));
            QList<awx::Job> candidates;
            for (const awx::Job &job : page->results) {
                if (job.templateId == 0 || job.templateId == templateId)
                    candidates.append(job);
            }
            if (candidates.isEmpty())
                return fail(Failure::Unknown,
                    tr("%1, and AWX lists no job of template #%2 created since: whether one started is "
                       "unknown; %3")
                        .arg(why)
                        .arg(templateId)
                        .arg(check));
            if (candidates.size() > 1) {
                QStringList ids;
                for (const awx::Job &job : std::as_const(candidates))
                    ids.append(QString::number(job.id));
                return fail(Failure::Unknown,
                    tr("%1, and AWX lists %2 jobs of template #%3 created since (%4): which one is this "
                       "rollback's is unknown; %5")
                        .arg(why)
                        .arg(candidates.size())
                        .arg(templateId)
                        .arg(ids.join(u", "_s), check));
            }
            followFound(candidates.front());
        });
}

void RollbackRunner::followFound(const awx::Job &job)
{
    m_state.jobId = job.id;
    m_state.jobUrl = jobUrl(job.id);
    m_state.jobStatus = job.status;
    m_lastAwxNoticeMs = 0;
    Q_EMIT notice(tr("found AWX job %1 of template #%2, created since the launch: following it")
                      .arg(job.id)
                      .arg(m_state.plan.templateId));
    Q_EMIT launchFound(m_state);
    setStage(Stage::Following);
    makeJobRun()->follow(job.id);
}

void RollbackRunner::jobEnded(const awx::JobRunResult &result)
{
    dropJobRun();
    const awx::Job &job = result.job;
    // AWX's own time, like the metrics' timestamps: our clock may be skewed against both.
    m_state.jobFinishedAtMs = job.finished.isValid() ? job.finished.toMSecsSinceEpoch() : m_clock.nowMs();
    if (job.isSuccessful())
        return startVerifying();
    QString why = job.jobExplanation;
    if (why.isEmpty() && job.status == u"canceled"_s && result.cancelRequested)
        why = tr("canceled by the operator");
    fail(Failure::JobFailed,
        tr("AWX job %1 %2%3").arg(m_state.jobId).arg(job.status, why.isEmpty() ? QString() : u": "_s + why));
}

QString RollbackRunner::jobUrl(int jobId) const
{
    if (m_setup.awxUrl.isEmpty() || !m_setup.awx)
        return {};
    QUrl url = m_setup.awxUrl;
    url.setPath(m_setup.awx->endpoint(u"jobs/%1/"_s.arg(jobId)));
    return url.toString();
}

void RollbackRunner::cancel()
{
    if (!m_running || m_state.stage != Stage::Following || !m_job)
        return;
    m_job->cancel();
}

void RollbackRunner::triggerPipeline()
{
    m_state.stage = Stage::Launching;
    if (const auto saved = journalState(); !saved) {
        m_state.stage = Stage::Preflight;
        return fail(Failure::Refused, tr("not triggered: %1").arg(saved.error()));
    }
    setStage(Stage::Launching);
    const QUrl url = m_state.plan.triggerUrl;
    QUrl origin = url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment);
    // Only the URL's own trigger token goes there: this client carries no credentials of ours.
    m_triggerRest = std::make_unique<net::RestClient>(origin);
    net::QueryItems query;
    for (const auto &[key, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded))
        query.append({ key, value });
    auto *call = m_triggerRest->send("POST", url.path(QUrl::FullyDecoded), query, {});
    connect(call, &net::RestCall::finished, this, [this](const net::HttpResponse &response) {
        if (!response.isSuccess()) {
            const QString why = response.failure != net::HttpResponse::Failure::None
                ? response.errorString
                : u"HTTP %1 %2: %3"_s.arg(response.status)
                      .arg(net::reasonPhrase(response.status), net::bodyExcerpt(response.body));
            return fail(Failure::LaunchFailed, tr("the pipeline trigger was not accepted: %1").arg(why));
        }
        const QJsonObject pipeline = QJsonDocument::fromJson(response.body).object();
        m_state.jobId = pipeline.value(u"id"_s).toInt();
        m_state.jobUrl = pipeline.value(u"web_url"_s).toString();
        m_state.jobStatus = pipeline.value(u"status"_s).toString(u"created"_s);
        m_state.jobFinishedAtMs = m_clock.nowMs();
        startVerifying();
    });
}

void RollbackRunner::applyFallback()
{
    if (!m_setup.gate)
        return fail(Failure::LaunchFailed, tr("no traffic control to set the canary to 0 %"));
    setStage(Stage::Launching);
    traffic::TrafficController *controller = m_setup.gate->controller();
    // The controller applies one change at a time and keeps only the latest request waiting: the outcome
    // of ours is the first apply that ends after it was asked for, whatever else was under way before.
    auto outcome = std::make_shared<QList<QMetaObject::Connection>>();
    // Someone may move the slider while ours waits: the newer wish replaces it, and the rollback says so.
    auto oursWaits = [controller] {
        const auto waiting = controller->queued() ? controller->queued() : controller->inFlight();
        return waiting && waiting->canary == 0;
    };
    const QString replaced = tr("another traffic change replaced the rollback's 0 % before it was applied");
    auto disconnectAll = [outcome] {
        for (const auto &connection : std::as_const(*outcome))
            QObject::disconnect(connection);
        outcome->clear();
    };
    outcome->append(connect(controller, &traffic::TrafficController::splitApplied, this,
        [this, controller, disconnectAll, oursWaits, replaced](
            const traffic::Split &, const traffic::Split &to) {
            if (m_state.stage != Stage::Launching)
                return disconnectAll();
            if (to.canary != 0) {
                if (oursWaits())
                    return; // an apply that was under way before ours; ours is queued behind it
                disconnectAll();
                return fail(Failure::LaunchFailed, replaced);
            }
            // Someone else's 0 % landed, and a newer wish waits where ours was: ours will never be applied.
            if (const auto next = controller->queued(); next && next->canary != 0) {
                disconnectAll();
                return fail(Failure::LaunchFailed, replaced);
            }
            disconnectAll();
            m_state.jobStatus = u"applied"_s;
            m_state.jobFinishedAtMs = m_clock.nowMs();
            startVerifying();
        }));
    outcome->append(connect(controller, &traffic::TrafficController::applyFailed, this,
        [this, disconnectAll, oursWaits, replaced](
            const traffic::Split &requested, const traffic::TrafficError &error) {
            if (m_state.stage != Stage::Launching)
                return disconnectAll();
            if (requested.canary != 0) {
                if (oursWaits())
                    return;
                disconnectAll();
                return fail(Failure::LaunchFailed, replaced);
            }
            disconnectAll();
            fail(Failure::LaunchFailed, tr("the traffic back-end did not take 0 %: %1").arg(error.summary()));
        }));
    m_setup.gate->requestRollback(tr("rollback without a plan: %1").arg(m_state.reason));
}

void RollbackRunner::startVerifying()
{
    setStage(Stage::Verifying);
    readBackend();
}

void RollbackRunner::readBackend()
{
    if (!m_setup.backend) {
        // Nothing to read: the requests alone have to show it.
        m_state.backendVerified = true;
        return observeRequests();
    }
    m_setup.backend->readSplit(this, [this](const traffic::SplitResult &split) {
        if (m_state.stage != Stage::Verifying)
            return;
        if (split && split->canary == 0) {
            m_state.backendVerified = true;
            save();
            Q_EMIT stateChanged(m_state);
            return observeRequests();
        }
        if (m_clock.nowMs() - m_stageStartedMs > m_setup.verifyTimeoutMs)
            return fail(Failure::NotVerified,
                split ? tr("%1, but the traffic back-end still sends %2 % to the canary")
                            .arg(m_state.actionText())
                            .arg(split->canary)
                      : tr("%1, but the traffic back-end cannot be read: %2")
                            .arg(m_state.actionText(), split.error().summary()));
        if (!split)
            Q_EMIT notice(tr("cannot read the traffic back-end yet: %1").arg(split.error().summary()));
        m_poll.start(m_setup.pollIntervalMs);
    });
}

void RollbackRunner::observeRequests()
{
    if (!m_setup.session) {
        m_state.verified = true;
        m_state.message = tr("%1; the traffic back-end reads 0 % canary").arg(m_state.actionText());
        return record();
    }
    if (!m_snapshotConnection)
        m_snapshotConnection = connect(
            m_setup.session, &session::CanarySession::snapshotChanged, this, &RollbackRunner::onSnapshot);
    m_setup.session->refresh();
    m_poll.start(m_setup.pollIntervalMs);
}

void RollbackRunner::onSnapshot(const session::Snapshot &snapshot)
{
    if (m_state.stage != Stage::Verifying || !m_state.backendVerified)
        return;
    const traffic::BuildRoles roles = traffic::resolveBuildRoles(snapshot.builds, m_setup.roles);
    // The newest slot may still be filling up. Judged by the data's own timestamps rather than our clock, so
    // a skewed workstation clock cannot call a half-empty slot complete.
    qint64 newestSlotEndMs = 0;
    for (const auto &build : snapshot.builds) {
        if (!build.timestamps.empty())
            newestSlotEndMs = std::max(newestSlotEndMs, build.timestamps.back());
    }
    const auto shares
        = traffic::observedShares(snapshot, roles, newestSlotEndMs - 1, 1, m_state.jobFinishedAtMs);
    if (shares.empty())
        return; // no complete interval after the job yet
    m_state.observedCanaryPercent = shares.front().canaryPercent;
    save();
    Q_EMIT stateChanged(m_state);
    if (shares.front().canaryPercent > m_setup.verifiedBelowPercent)
        return; // wait for the next interval, until the timeout
    m_state.verified = true;
    m_state.message
        = tr("%1; verified: the traffic back-end reads 0 % canary and %2 % of requests reached the "
             "canary in the interval ending %3")
              .arg(m_state.actionText())
              .arg(shares.front().canaryPercent, 0, 'f', 1)
              .arg(QDateTime::fromMSecsSinceEpoch(shares.front().slotEndMs).toString(u"HH:mm:ss"_s));
    record();
}

void RollbackRunner::verifyTimedOut()
{
    fail(Failure::NotVerified,
        m_state.observedCanaryPercent
            ? tr("%1 and the back-end reads 0 %, but %2 % of requests still reached the canary after %3")
                  .arg(m_state.actionText())
                  .arg(*m_state.observedCanaryPercent, 0, 'f', 1)
                  .arg(minutesText(m_setup.verifyTimeoutMs))
            : tr("%1 and the back-end reads 0 %, but no complete metric interval after it arrived within %2")
                  .arg(m_state.actionText(), minutesText(m_setup.verifyTimeoutMs)));
}

void RollbackRunner::fail(Failure failure, const QString &message)
{
    m_poll.stop();
    dropJobRun();
    m_state.failure = failure;
    m_state.message = message;
    // Before the launch nothing ran, so there is nothing to record on the target.
    if (m_state.stage == Stage::Preflight)
        return finish();
    record();
}

void RollbackRunner::record()
{
    m_poll.stop();
    if (m_snapshotConnection)
        disconnect(m_snapshotConnection);
    m_snapshotConnection = {};
    setStage(Stage::Recording);

    const bool ok = m_state.failure == Failure::None;
    const QString title = ok                  ? tr("Rollback executed: %1").arg(m_state.actionText())
        : m_state.failure == Failure::Unknown ? tr("Rollback outcome unknown: %1").arg(m_state.actionText())
                                              : tr("Rollback failed: %1").arg(m_state.actionText());
    dynatrace::EventIngest event;
    event.eventType = u"CUSTOM_INFO"_s;
    event.title = title;
    event.entitySelector = m_setup.entitySelector;
    event.properties = { { u"rollback.id"_s, m_state.id },
        { u"rollback.result"_s, ok ? u"succeeded"_s : failureName(m_state.failure) },
        { u"rollback.verified"_s, m_state.verified ? u"true"_s : u"false"_s },
        { u"rollback.message"_s, m_state.message }, { u"rollback.operator"_s, m_state.operatorName },
        // The change events' key too: whoever reads who acted finds it under one name (--operator).
        { u"canary.operator"_s, m_state.operatorName }, { u"dt.event.source"_s, u"Canary Console"_s } };
    if (!m_state.reason.isEmpty())
        event.properties.insert(u"rollback.reason"_s, m_state.reason);
    if (!m_state.jobUrl.isEmpty())
        event.properties.insert(u"rollback.job.url"_s, m_state.jobUrl);
    if (m_state.fallback) {
        event.properties.insert(
            u"rollback.plan"_s, u"fallback: canary to 0 % through the traffic back-end"_s);
    } else {
        event.properties.insert(u"rollback.source.eventId"_s, m_state.plan.source.eventId);
        event.properties.insert(u"rollback.source.title"_s, m_state.plan.source.title);
        event.properties.insert(u"rollback.plan"_s, m_state.plan.shortText());
    }

    m_recordsOutstanding = 0;
    // Through the outbox a record is safe once committed: the outcome need not wait for Dynatrace. Without
    // one it goes out directly, and one Dynatrace refuses is only told about.
    if (m_setup.events && !enqueueRecord(event)) {
        ++m_recordsOutstanding;
        m_setup.events->ingest(event, this, [this](const dynatrace::IngestResult &result) {
            QString why;
            if (!result)
                why = result.error().summary();
            else if (!result->allAccepted())
                why = result->failureText();
            if (!why.isEmpty())
                Q_EMIT notice(tr("the rollback's event did not reach Dynatrace: %1").arg(why));
            if (--m_recordsOutstanding == 0)
                finish();
        });
    }
    if (m_setup.problems) {
        for (const QString &problemId : std::as_const(m_state.openProblemIds)) {
            const QString message = title + u" — "_s + m_state.message;
            if (enqueueComment(problemId, message))
                continue;
            ++m_recordsOutstanding;
            m_setup.problems->addComment(problemId, message, CommentContext, this,
                [this, problemId](const dynatrace::CommentResult &result) {
                    if (!result)
                        Q_EMIT notice(tr("the comment on problem %1 did not reach Dynatrace: %2")
                                          .arg(problemId, result.error().summary()));
                    if (--m_recordsOutstanding == 0)
                        finish();
                });
        }
    }
    if (m_recordsOutstanding == 0)
        finish();
}

void RollbackRunner::finish()
{
    m_poll.stop();
    m_state.finishedAtMs = m_clock.nowMs();
    m_state.stage = Stage::Finished;
    if (m_journal) {
        if (const auto finished = m_journal->finish(m_state); !finished)
            Q_EMIT notice(finished.error());
    }
    // Only once the journal says it is over: the next holder reads it first.
    releaseLease();
    m_running = false;
    const RollbackState state = m_state;
    Q_EMIT stageChanged(Stage::Finished);
    Q_EMIT stateChanged(state);
    Q_EMIT runningChanged(false);
    if (state.succeeded())
        Q_EMIT rollbackSucceeded(state);
    else
        Q_EMIT rollbackFailed(state);
}

bool RollbackRunner::resume()
{
    if (m_running || !m_journal)
        return false;
    // Another process may have finished it, or left one, since this journal was read.
    m_journal->reload();
    if (!m_journal->inFlight())
        return false;
    if (auto refusal = takeLease(m_journal->inFlight()->operatorName)) {
        refuse(*m_journal->inFlight(), refusal->first, refusal->second);
        return true;
    }
    m_journal->reload(); // it may have finished while the lease was being taken
    if (!m_journal->inFlight()) {
        releaseLease();
        return false;
    }
    // Resumed, it acts with the operator's credentials (AWX, the traffic back-end, Dynatrace): only a
    // rollback this console started and audited.
    if (const auto vouched = checkInFlight(*m_journal->inFlight()); !vouched) {
        releaseLease();
        refuse(*m_journal->inFlight(), Failure::StoreUnusable, vouched.error());
        return true;
    }
    m_state = *m_journal->inFlight();
    // A journal from before the plan kept its host: it runs on the AWX configured now.
    if (m_state.plan.kind == BackoutPlan::Kind::AwxTemplate && m_state.plan.awxHost.isEmpty()
        && !m_setup.awxUrl.isEmpty())
        m_state.plan.awxHost = m_setup.awxUrl.port() > 0
            ? u"%1:%2"_s.arg(m_setup.awxUrl.host()).arg(m_setup.awxUrl.port())
            : m_setup.awxUrl.host();
    m_running = true;
    m_stageStartedMs = m_clock.nowMs();
    Q_EMIT runningChanged(true);
    Q_EMIT notice(tr("resuming the rollback started %1, which was %2 when the app stopped")
                      .arg(QDateTime::fromMSecsSinceEpoch(m_state.startedAtMs).toString(Qt::ISODate),
                          stageName(m_state.stage)));
    switch (m_state.stage) {
    case Stage::Preflight:
        fail(Failure::LaunchFailed, tr("the app stopped before the launch; nothing ran"));
        break;
    case Stage::Launching:
        if (m_state.fallback || m_state.plan.kind == BackoutPlan::Kind::GitlabPipeline) {
            // Whether the request landed is unknown: the traffic itself will tell.
            m_state.jobFinishedAtMs = m_state.startedAtMs;
            startVerifying();
        } else {
            findLaunchedJob(
                tr("the app stopped while launching AWX job template #%1").arg(m_state.plan.templateId));
        }
        break;
    case Stage::Following:
        setStage(Stage::Following);
        if (!m_setup.awx) {
            fail(Failure::JobFailed, tr("no AWX configured to follow job %1").arg(m_state.jobId));
            break;
        }
        makeJobRun()->follow(m_state.jobId);
        break;
    case Stage::Verifying:
        m_state.backendVerified = false;
        startVerifying();
        break;
    case Stage::Recording:
        record();
        break;
    case Stage::Finished:
        finish();
        break;
    }
    return true;
}

} // namespace canary::rollback
