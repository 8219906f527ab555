#include "awxtrafficbackend.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QUuid>

#include "awx/jobrun.h"
#include "net/urlbuilder.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

namespace {

const QString BackendName = u"AWX"_s;

// Which call failed: the same HTTP status means something else for a lookup than for a launch.
enum class Step { FindTemplate, LaunchInfo, Launch, PollJob, LastJob, ListJobs };

// Enough for the newest successful jobs of a few templates; the read picks the one that finished last.
constexpr int ReadPageSize = 5;
// Jobs of the template created since a launch began, for finding the one it started; more than any
// launch could start in the time.
constexpr int RecoveryPageSize = 50;
// AWX's clock and ours may disagree: "created since the launch began" allows this much.
constexpr qint64 ClockSkewMarginMs = 10 * 60'000;

QString isoUtc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

// A and b are successful jobs: which one left the state that holds now.
bool finishedAfter(const awx::Job &a, const awx::Job &b)
{
    if (a.finished.isValid() && b.finished.isValid() && a.finished != b.finished)
        return a.finished > b.finished;
    return a.id > b.id;
}

TrafficError makeError(TrafficError::Kind kind, const QString &message, const QString &detail = {})
{
    TrafficError error;
    error.kind = kind;
    error.backend = BackendName;
    error.message = message;
    error.detail = detail;
    return error;
}

TrafficError::Kind kindFor(awx::AwxError::Kind kind)
{
    using Awx = awx::AwxError::Kind;
    switch (kind) {
    case Awx::Transport:
    case Awx::Canceled:
        return TrafficError::Kind::Transport;
    case Awx::Timeout:
        return TrafficError::Kind::Timeout;
    case Awx::Unauthorized:
        return TrafficError::Kind::Unauthorized;
    case Awx::Forbidden:
        return TrafficError::Kind::Forbidden;
    case Awx::NotFound:
        return TrafficError::Kind::NotFound;
    case Awx::NotAllowed:
    case Awx::BadRequest:
    case Awx::HttpError:
        return TrafficError::Kind::Rejected;
    case Awx::ServerError:
        return TrafficError::Kind::ServerError;
    case Awx::MalformedJson:
    case Awx::UnexpectedShape:
        return TrafficError::Kind::UnexpectedShape;
    case Awx::Ambiguous:
        return TrafficError::Kind::Configuration;
    }
    return TrafficError::Kind::Transport;
}

QString quoted(const QStringList &names)
{
    QStringList quotedNames;
    for (const QString &name : names)
        quotedNames.append(u'\'' + name + u'\'');
    return quotedNames.join(u", "_s);
}

// Whole percent from an artifact or extra variable, which a playbook may publish as 30, 30.0 or "30".
std::optional<int> weightValue(const QJsonValue &value)
{
    if (value.isDouble()) {
        const double number = value.toDouble();
        if (number == double(qint64(number)))
            return int(qint64(number));
        return std::nullopt;
    }
    if (value.isString()) {
        bool ok = false;
        const int number = value.toString().trimmed().toInt(&ok);
        if (ok)
            return number;
    }
    return std::nullopt;
}

// The failed task and its message from a job's output, for playbook failures AWX gives no explanation for:
// "task 'Check canary_weight': canary_weight must be between 0 and 100, got 150".
QString failedTaskSummary(const QString &output)
{
    static const QRegularExpression failure(
        u"^(?:fatal|failed): \\[[^\\]]*\\].*$"_s, QRegularExpression::MultilineOption);
    static const QRegularExpression task(
        u"^TASK \\[(.*)\\] \\**\\s*$"_s, QRegularExpression::MultilineOption);
    static const QRegularExpression message(u"\"msg\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\""_s);

    qsizetype failureAt = -1;
    auto failures = failure.globalMatch(output);
    while (failures.hasNext())
        failureAt = failures.next().capturedStart();
    if (failureAt < 0)
        return {};

    QString taskName;
    auto tasks = task.globalMatch(output.left(failureAt));
    while (tasks.hasNext())
        taskName = tasks.next().captured(1);
    // The result object follows the "fatal:" line and ends before the next play, task or recap.
    QString rest = output.mid(failureAt);
    const qsizetype nextSection = rest.indexOf(u"\n\n"_s);
    if (nextSection > 0)
        rest.truncate(nextSection);
    QString text = message.match(rest).captured(1);
    text.replace(u"\\\""_s, u"\""_s).replace(u"\\n"_s, u" "_s).replace(u"\\\\"_s, u"\\"_s);
    if (taskName.isEmpty())
        return text;
    return text.isEmpty() ? u"task '%1' failed"_s.arg(taskName) : u"task '%1': %2"_s.arg(taskName, text);
}

QString lastNonEmptyLine(const QString &text)
{
    const QStringList lines = text.split(u'\n', Qt::SkipEmptyParts);
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (!it->trimmed().isEmpty())
            return it->trimmed();
    }
    return {};
}

} // namespace

// One readSplit() or applySplit(): a chain of AWX calls, each handled by a callback on this object, ending
// in exactly one result. Owns the call in flight and the poll timer; dies with its caller's context.
class AwxTrafficBackend::Operation final : public QObject
{
public:
    Operation(AwxTrafficBackend *backend, const QObject *context, SplitCallback onDone)
        : QObject(backend)
        , m_backend(backend)
        , m_context(context)
        , m_hasContext(context != nullptr)
        , m_onDone(std::move(onDone))
    {
        if (context)
            connect(context, &QObject::destroyed, this, &Operation::abandon);
    }

    ~Operation() override
    {
        dropCall();
        delete m_run; // stops without signals, while the client it uses still exists
    }

    void read()
    {
        resolveTemplate([this] { readNewestSuccessfulJob(); });
    }

    void apply(const Split &split)
    {
        m_split = split;
        if (!split.isValid()) {
            return fail(makeError(TrafficError::Kind::InvalidInput,
                u"the split %1 does not add up to 100"_s.arg(split.toString())));
        }
        resolveTemplate([this] { checkNoneUnderWay(); });
    }

private:
    const awx::AwxConfig &config() const { return m_backend->m_config; }
    awx::AwxClient &client() { return m_backend->m_client; }
    // A copy: another operation may drop the back-end's cached template (on a 404) while this one runs.
    const awx::JobTemplate &jobTemplate() const { return *m_template; }

    QString templateName() const
    {
        if (m_template)
            return u"'%1' (#%2)"_s.arg(jobTemplate().name).arg(jobTemplate().id);
        return u"'%1'"_s.arg(config().templateRef.trimmed());
    }

    void track(net::RestCall *call) { m_call = call; }

    void dropCall()
    {
        if (m_call && !m_call->isFinished()) {
            // Cancelling finishes the call synchronously; its handler must not run into a dying operation.
            QObject::disconnect(m_call, nullptr, this, nullptr);
            m_call->cancel();
        }
        m_call = nullptr;
    }

    void abandon()
    {
        if (m_done)
            return;
        m_done = true;
        dropCall();
        if (m_run)
            m_run->abandon();
        deleteLater();
    }

    void finish(const SplitResult &result)
    {
        if (m_done)
            return;
        m_done = true;
        // Always from the event loop, so no caller gets its answer inside applySplit() itself.
        QMetaObject::invokeMethod(
            this,
            [this, result] {
                deleteLater();
                if (result && m_origin)
                    m_backend->setLastReadOrigin(m_origin);
                // The callback may destroy the back-end, and this operation with it: touch nothing after it.
                const SplitCallback onDone = std::move(m_onDone);
                if (!m_hasContext || m_context)
                    onDone(result);
            },
            Qt::QueuedConnection);
    }

    void fail(const TrafficError &error) { finish(error); }

    // AWX's own text, with what an operator can do about it.
    TrafficError fromAwx(const awx::AwxError &error, Step step)
    {
        TrafficError result = makeError(kindFor(error.kind), error.message, error.url.path());
        result.httpStatus = error.httpStatus;
        const QString alternative = awx::AwxConfig::alternativeApiPath(config().apiPath);
        const QString otherPath = alternative.isEmpty()
            ? u"AWX serves /api/v2/, the AAP 2.5+ gateway /api/controller/v2/"_s
            : alternative == awx::AwxConfig::GatewayApiPath
            ? u"AAP 2.5 and later serve it at /api/controller/v2/"_s
            : u"AWX, Tower and AAP up to 2.4 serve it at /api/v2/"_s;

        switch (error.kind) {
        case awx::AwxError::Kind::Unauthorized:
            result.message += config().token.isEmpty()
                ? u" — check CONTROLLER_USERNAME and CONTROLLER_PASSWORD; AWX may have Basic authentication "
                  u"turned off, then use a token (CONTROLLER_OAUTH_TOKEN)"_s
                : u" — the token (CONTROLLER_OAUTH_TOKEN) is wrong, expired or revoked"_s;
            break;
        case awx::AwxError::Kind::Forbidden:
            result.message += step == Step::Launch
                ? u" — launching needs a token with 'write' scope and the Execute role on template %1"_s.arg(
                    templateName())
                : u" — the user needs at least the Read role on template %1"_s.arg(templateName());
            break;
        case awx::AwxError::Kind::NotFound:
            if (error.httpStatus == 0)
                break; // a name no template has: the client's message says so
            if (step == Step::FindTemplate) {
                const bool byName = error.url.path().endsWith(u"/job_templates/"_s);
                result.message = byName
                    ? u"%1 — no AWX API at %2: is the API path right? %3"_s.arg(
                        error.message, net::buildUrl(config().url, config().apiPath).toString(), otherPath)
                    : u"%1 — no job template #%2 at %3, or the API path is wrong: %4"_s.arg(error.message,
                        config().templateRef.trimmed(),
                        net::buildUrl(config().url, config().apiPath).toString(), otherPath);
            } else if (step == Step::Launch || step == Step::LaunchInfo || step == Step::LastJob) {
                m_backend->m_template.reset(); // deleted or re-created: look it up again next time
                result.message += u" — template %1 is gone"_s.arg(templateName());
            } else if (step == Step::PollJob) {
                result.message += u" — job #%1 was deleted"_s.arg(m_jobId);
            }
            break;
        case awx::AwxError::Kind::NotAllowed:
            if (step == Step::Launch)
                result.message += u" — AWX refuses to launch template %1"_s.arg(templateName());
            break;
        case awx::AwxError::Kind::BadRequest:
            if (step == Step::Launch)
                result.message
                    = u"AWX refused to launch template %1: %2"_s.arg(templateName(), error.message);
            break;
        default:
            break;
        }
        return result;
    }

    void resolveTemplate(std::function<void()> next)
    {
        if (m_backend->m_template) {
            m_template = m_backend->m_template;
            return next();
        }
        const QString reference = config().templateRef.trimmed();
        if (reference.isEmpty()) {
            return fail(makeError(TrafficError::Kind::Configuration,
                u"no AWX job template configured: give the name or id of the template that sets the canary "
                u"weight"_s));
        }
        track(client().findTemplate(
            reference, this, [this, next = std::move(next)](const awx::AwxResult<awx::JobTemplate> &result) {
                if (!result)
                    return fail(fromAwx(result.error(), Step::FindTemplate));
                m_template = result.value();
                m_backend->m_template = m_template;
                next();
            }));
    }

    // Words what keeps the template from running as asked: without prompting for variables AWX would
    // silently drop the weight and run with the template's own values.
    TrafficError refusal(const awx::LaunchBlockers &blockers) const
    {
        const auto configuration
            = [](const QString &message) { return makeError(TrafficError::Kind::Configuration, message); };
        if (blockers.variablesNotPrompted) {
            return configuration(
                u"AWX template %1 neither prompts for variables on launch nor has a survey, so AWX would "
                u"drop "
                u"%2 and run with the template's own values: tick 'Prompt on launch' for its Variables, or "
                u"add a survey with these variables"_s.arg(templateName(), quoted(sentVariables())));
        }
        if (!blockers.passwordsNeeded.isEmpty()) {
            return configuration(
                u"AWX template %1 needs passwords to start (%2): store them in its "
                u"credentials"_s.arg(templateName(), blockers.passwordsNeeded.join(u", "_s)));
        }
        if (blockers.inventoryNeeded)
            return configuration(
                u"AWX template %1 has no inventory: set one on the template"_s.arg(templateName()));
        if (!blockers.unansweredVariables.isEmpty()) {
            return configuration(
                u"AWX template %1 has required survey questions the console cannot answer "
                u"(%2): give them defaults"_s.arg(templateName(), quoted(blockers.unansweredVariables)));
        }
        return configuration(u"AWX template %1 cannot start without user input (a prompted credential "
                             u"or field): remove the prompt or give it a default"_s.arg(templateName()));
    }

    QStringList sentVariables() const
    {
        QStringList names { config().canaryVariable };
        if (!config().oldVariable.isEmpty())
            names.append(config().oldVariable);
        return names;
    }

    QList<int> watchedTemplateIds() const
    {
        QList<int> ids { jobTemplate().id };
        for (int id : config().resetTemplateIds) {
            if (id > 0 && !ids.contains(id))
                ids.append(id);
        }
        return ids;
    }

    QString watchedTemplateFilter() const
    {
        QStringList ids;
        for (int id : watchedTemplateIds())
            ids.append(QString::number(id));
        return ids.join(u',');
    }

    // A server that ignores a filter must not slip in another template's job.
    bool isWatched(const awx::Job &job) const
    {
        return job.templateId == 0 || watchedTemplateIds().contains(job.templateId);
    }

    bool isResetJob(const awx::Job &job) const
    {
        return job.templateId != jobTemplate().id && config().resetTemplateIds.contains(job.templateId);
    }

    static QString jobName(const awx::Job &job)
    {
        return job.name.isEmpty() ? u"AWX job #%1"_s.arg(job.id)
                                  : u"AWX job #%1 of '%2'"_s.arg(job.id).arg(job.name);
    }

    // Launching over a job still under way would race it: whichever finishes last wins, and nobody chose
    // that.
    void checkNoneUnderWay()
    {
        track(client().jobs(
            { { u"job_template__in"_s, watchedTemplateFilter() },
                { u"status__in"_s, u"new,pending,waiting,running"_s }, { u"order_by"_s, u"-id"_s },
                { u"page_size"_s, QString::number(ReadPageSize) } },
            this, [this](const awx::AwxResult<awx::Page<awx::Job>> &page) {
                if (!page)
                    return fail(fromAwx(page.error(), Step::ListJobs));
                for (const awx::Job &job : page->results) {
                    if (job.isTerminal() || !isWatched(job))
                        continue;
                    QString message = jobName(job);
                    if (!job.launchedBy.isEmpty())
                        message += u", launched by %1,"_s.arg(job.launchedBy);
                    message += job.status == u"running"_s || job.status.isEmpty()
                        ? u" is still running"_s
                        : u" is still %1"_s.arg(job.status);
                    return fail(
                        makeError(TrafficError::Kind::Conflict, message + u": wait for it to finish"_s,
                            m_backend->absoluteJobUrl(job.id, job.url).toString()));
                }
                launch();
            }));
    }

    void launch()
    {
        m_changeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        m_launchBeganMs = m_backend->m_clock.nowMs();
        startRun(0);
    }

    QJsonObject launchVariables() const
    {
        QJsonObject extraVars { { config().canaryVariable, m_split.canary } };
        if (!config().oldVariable.isEmpty())
            extraVars.insert(config().oldVariable, m_split.stable);
        if (!config().changeIdVariable.isEmpty())
            extraVars.insert(config().changeIdVariable, m_changeId);
        return extraVars;
    }

    // Launches (followJobId 0) or follows a job launched before.
    void startRun(int followJobId)
    {
        if (m_run) {
            m_run->abandon();
            m_run->deleteLater(); // it may be the one emitting
        }
        m_run = new awx::JobRun(&client(), m_backend->m_clock, this);
        m_run->setPollIntervalMs(config().pollIntervalMs);
        m_run->setTimeoutMs(config().jobTimeoutMs);
        if (!config().changeIdVariable.isEmpty())
            m_run->setOptionalVariables({ config().changeIdVariable });
        connect(m_run, &awx::JobRun::optionalVariablesIgnored, this, [this] { m_changeIdCarried = false; });
        connect(m_run, &awx::JobRun::launched, this, [this](int jobId, const QString &jobPath) {
            m_jobId = jobId;
            m_jobUrl = m_backend->absoluteJobUrl(jobId, jobPath);
            Q_EMIT m_backend->jobLaunched(m_jobId, m_jobUrl);
            // After the launch answer is handled whole (AWX may have dropped the change id).
            QMetaObject::invokeMethod(this, &Operation::lookForDuplicates, Qt::QueuedConnection);
        });
        connect(m_run, &awx::JobRun::statusChanged, this,
            [this](const QString &status) { Q_EMIT m_backend->jobStatusChanged(m_jobId, status); });
        connect(m_run, &awx::JobRun::finished, this, [this](const awx::JobRunResult &result) {
            if (result.job.isSuccessful())
                return succeeded(result.job);
            jobFailed(result);
        });
        connect(m_run, &awx::JobRun::failed, this, &Operation::runFailed);
        if (followJobId == 0)
            return m_run->start(jobTemplate().id, launchVariables());
        m_jobId = followJobId;
        m_jobUrl = m_backend->absoluteJobUrl(followJobId, {});
        Q_EMIT m_backend->jobLaunched(m_jobId, m_jobUrl);
        m_run->follow(followJobId);
    }

    struct Found
    {
        QList<awx::Job> carrying; // with this launch's change id, oldest first
        QList<awx::Job> unmarked; // created since without any change id: maybe ours, with the id dropped
    };
    using FoundCallback = std::function<void(const std::optional<awx::AwxError> &, const Found &)>;

    // The template's jobs created since the launch began, sorted by whether they carry its change id. A job
    // list that leaves out extra_vars (newer AWX trims lists) gets each candidate's detail read.
    void findOurJobs(FoundCallback onDone)
    {
        track(client().jobs(
            { { u"job_template"_s, QString::number(jobTemplate().id) },
                { u"created__gte"_s, isoUtc(m_launchBeganMs - ClockSkewMarginMs) },
                { u"order_by"_s, u"id"_s }, { u"page_size"_s, QString::number(RecoveryPageSize) } },
            this, [this, onDone = std::move(onDone)](const awx::AwxResult<awx::Page<awx::Job>> &page) {
                if (!page)
                    return onDone(page.error(), {});
                examine(page->results, {}, onDone);
            }));
    }

    void examine(QList<awx::Job> candidates, Found found, FoundCallback onDone)
    {
        while (!candidates.isEmpty()) {
            const awx::Job job = candidates.takeFirst();
            if (job.templateId != 0 && job.templateId != jobTemplate().id)
                continue;
            if (!job.hasExtraVars) {
                track(client().job(job.id, this,
                    [this, candidates, found, onDone](const awx::AwxResult<awx::Job> &detail) mutable {
                        if (!detail)
                            return onDone(detail.error(), {});
                        candidates.prepend(detail.value());
                        candidates.front().hasExtraVars = true; // read whole: no extra_vars is none
                        examine(candidates, found, onDone);
                    }));
                return;
            }
            const QJsonValue id = job.extraVars.value(config().changeIdVariable);
            if (id.toString() == m_changeId)
                found.carrying.append(job);
            else if (id.isUndefined())
                found.unmarked.append(job);
        }
        std::sort(found.carrying.begin(), found.carrying.end(),
            [](const awx::Job &a, const awx::Job &b) { return a.id < b.id; });
        onDone(std::nullopt, found);
    }

    // Every job but the first that carries the change id is a copy of this launch: AWX holds it pending
    // behind the first (allow_simultaneous off), so canceling it stops it before it runs.
    void cancelCopies(const Found &found)
    {
        for (qsizetype i = 1; i < found.carrying.size(); ++i)
            client().cancel(found.carrying.at(i).id, m_backend, [](const awx::AwxResult<bool> &) {});
    }

    // Why after every launch: Qt's HTTP/1.1 channel (qhttpnetworkconnectionchannel.cpp, _q_error() on
    // RemoteHostClosedError while waiting for the answer) calls resendCurrentRequest() whatever the method,
    // so a connection that closes after AWX took the POST starts a second job (test_awx_watch sees two POSTs
    // and two jobs on Qt 6.4). RestClient cannot make a byte-array body non-resendable, and a copy that AWX
    // holds pending behind the first can still be stopped: so look, and cancel the copies.
    void lookForDuplicates()
    {
        if (m_done || !m_changeIdCarried || config().changeIdVariable.isEmpty() || m_duplicatesChecked)
            return;
        m_duplicatesChecked = true;
        findOurJobs([this](const std::optional<awx::AwxError> &error, const Found &found) {
            if (error || found.carrying.size() < 2)
                return; // nothing to mend, or nothing known: the run goes on
            cancelCopies(found);
            if (found.carrying.front().id != m_jobId)
                startRun(found.carrying.front().id);
        });
    }

    // The launch got no answer: AWX may have started the job all the same. Follow it if it did; launch
    // once more only when no job of the template appeared since.
    void recover(const awx::AwxError &launchError)
    {
        findOurJobs([this, launchError](const std::optional<awx::AwxError> &error, const Found &found) {
            if (error) {
                TrafficError result = fromAwx(launchError, Step::Launch);
                result.message
                    += u"; looking for a job it may have started failed too (%1): check template %2 "
                       u"in AWX"_s.arg(error->summary(), templateName());
                result.outcomeUnknown = true; // a job may be running
                return fail(result);
            }
            if (!found.carrying.isEmpty()) {
                m_duplicatesChecked = true;
                cancelCopies(found);
                return startRun(found.carrying.front().id);
            }
            if (!found.unmarked.isEmpty()) {
                const awx::Job &job = found.unmarked.back();
                TrafficError result = makeError(kindFor(launchError.kind),
                    u"the launch of template %1 got no answer (%2), and %3 started since without the change "
                    u"id: it may be this change, so the console does not launch again; check it in AWX"_s.arg(
                        templateName(), launchError.summary(), jobName(job)),
                    m_backend->absoluteJobUrl(job.id, job.url).toString());
                result.outcomeUnknown = true;
                return fail(result);
            }
            if (m_relaunched)
                return fail(fromAwx(launchError, Step::Launch));
            m_relaunched = true;
            startRun(0);
        });
    }

    void runFailed(const awx::JobRunError &error)
    {
        using Kind = awx::JobRunError::Kind;
        switch (error.kind) {
        case Kind::Preflight:
            return fail(fromAwx(error.awx, Step::LaunchInfo));
        case Kind::Refused:
            return fail(refusal(error.blockers));
        case Kind::Launch: {
            const bool unanswered = error.awx.kind == awx::AwxError::Kind::Transport
                || error.awx.kind == awx::AwxError::Kind::Timeout;
            if (unanswered && !config().changeIdVariable.isEmpty())
                return recover(error.awx);
            TrafficError result = fromAwx(error.awx, Step::Launch);
            // A 2xx whose body cannot be read is a launch AWX accepted: never "refused", and never launched
            // again; so is a launch that timed out with no change id to look for it by.
            result.outcomeUnknown = error.awx.kind == awx::AwxError::Kind::Timeout
                || error.awx.kind == awx::AwxError::Kind::MalformedJson
                || error.awx.kind == awx::AwxError::Kind::UnexpectedShape;
            return fail(result);
        }
        case Kind::IgnoredFields:
            return ignored(error);
        case Kind::Poll: {
            // The job was launched; only its status could not be followed.
            TrafficError result = fromAwx(error.awx, Step::PollJob);
            result.outcomeUnknown = true;
            return fail(result);
        }
        case Kind::TimedOut:
            return timedOut(error);
        }
    }

    // The job ran without the weight (or with half of it): JobRun stopped it before it changed anything.
    void ignored(const awx::JobRunError &error)
    {
        QStringList dropped = error.launch.ignoredExtraVars();
        dropped.removeAll(config().changeIdVariable); // harmless on its own, and not what went wrong
        for (const QString &field : error.launch.ignoredFieldNames()) {
            if (!field.startsWith(u"extra_vars"_s))
                dropped.append(field);
        }
        TrafficError result = makeError(TrafficError::Kind::IgnoredVariables,
            u"AWX launched job #%1 of template %2 but ignored %3: the template does not prompt for them "
            u"(tick 'Prompt on launch' for its Variables, or add them to its survey)"_s.arg(
                QString::number(m_jobId), templateName(), quoted(dropped)),
            m_jobUrl.toString());
        result.message += !error.cancelError
            ? u"; the job was canceled"_s
            : u"; canceling it failed (%1): check the job"_s.arg(error.cancelError->summary());
        fail(result);
    }

    void timedOut(const awx::JobRunError &error)
    {
        QString message = u"AWX job #%1 of template %2 did not finish within %3 s (last status: %4); it may "
                          u"still be running: check job #%1 in AWX"_s.arg(QString::number(m_jobId),
                              templateName(), QString::number(config().jobTimeoutMs / 1000.0, 'g', 6),
                              error.lastStatus.isEmpty() ? u"unknown"_s : error.lastStatus);
        if (error.lastPollError)
            message += u"; the last poll failed: "_s + error.lastPollError->summary();
        fail(makeError(TrafficError::Kind::Timeout, message, m_jobUrl.toString()));
    }

    void succeeded(const awx::Job &job)
    {
        const QJsonValue reported = job.artifacts.value(config().canaryVariable);
        if (reported.isUndefined())
            return finish(m_split); // the playbook publishes nothing: its success is the confirmation
        const auto canary = weightValue(reported);
        const auto split = canary ? Split::fromCanaryPercent(*canary) : std::nullopt;
        if (!split || *split != m_split) {
            TrafficError error = makeError(TrafficError::Kind::NotConfirmed,
                u"AWX job #%1 succeeded but reports %2 = %3, not %4"_s.arg(QString::number(m_jobId),
                    config().canaryVariable,
                    reported.isString() ? reported.toString() : QString::number(reported.toDouble()),
                    QString::number(m_split.canary)),
                m_jobUrl.toString());
            return fail(error);
        }
        finish(*split);
    }

    void jobFailed(const awx::JobRunResult &result)
    {
        const awx::Job &job = result.job;
        QString outcome;
        if (job.status == u"failed"_s)
            outcome = u"failed"_s;
        else if (job.status == u"error"_s)
            outcome = u"ended in error"_s;
        else if (job.status == u"canceled"_s)
            outcome = u"was canceled"_s;
        else
            outcome = u"ended '%1'"_s.arg(job.status);
        QString message
            = u"AWX job #%1 of template %2 %3"_s.arg(QString::number(m_jobId), templateName(), outcome);
        if (!job.jobExplanation.isEmpty())
            message += u": "_s + job.jobExplanation;
        if (job.resultTraceback && !job.resultTraceback->trimmed().isEmpty())
            message += u" ("_s + lastNonEmptyLine(*job.resultTraceback) + u')';
        // A failed task leaves job_explanation empty; its message is only in the output.
        if (job.status == u"failed"_s && job.jobExplanation.isEmpty() && result.output) {
            const QString task = failedTaskSummary(*result.output);
            if (!task.isEmpty())
                message += u": "_s + task;
        }
        fail(makeError(TrafficError::Kind::JobFailed, message, m_jobUrl.toString()));
    }

    void readNewestSuccessfulJob()
    {
        track(client().jobs(
            { { u"job_template__in"_s, watchedTemplateFilter() }, { u"status"_s, u"successful"_s },
                { u"order_by"_s, u"-id"_s }, { u"page_size"_s, QString::number(ReadPageSize) } },
            this, [this](const awx::AwxResult<awx::Page<awx::Job>> &page) {
                if (!page)
                    return fail(fromAwx(page.error(), Step::LastJob));
                const awx::Job *newest = nullptr;
                for (const awx::Job &job : page->results) {
                    if (job.isSuccessful() && isWatched(job) && (!newest || finishedAfter(job, *newest)))
                        newest = &job;
                }
                if (!newest) {
                    return fail(makeError(TrafficError::Kind::Configuration,
                        u"no successful job of AWX template %1 yet: the current split is unknown"_s.arg(
                            templateName())));
                }
                readJob(*newest);
            }));
    }

    void readJob(const awx::Job &job)
    {
        if (job.hasArtifacts || job.hasExtraVars)
            return splitFromJob(job);
        const auto &cached = m_backend->m_detailedJob;
        if (cached && cached->id == job.id)
            return splitFromJob(*cached);
        track(client().job(job.id, this, [this](const awx::AwxResult<awx::Job> &detail) {
            if (!detail)
                return fail(fromAwx(detail.error(), Step::LastJob));
            m_backend->m_detailedJob = detail.value();
            splitFromJob(detail.value());
        }));
    }

    void splitFromJob(const awx::Job &job)
    {
        const QUrl jobUrl = m_backend->absoluteJobUrl(job.id, job.url);
        m_origin = ChangeOrigin { jobName(job), job.launchedBy, job.finished.toUTC(), jobUrl };
        QJsonValue value = job.artifacts.value(config().canaryVariable);
        const bool fromArtifacts = !value.isUndefined();
        if (!fromArtifacts && isResetJob(job))
            return finish(Split { 100, 0 }); // the reset template's whole point
        if (!fromArtifacts)
            value = job.extraVars.value(config().canaryVariable);
        if (value.isUndefined()) {
            return fail(makeError(TrafficError::Kind::Configuration,
                u"the last successful job #%1 of AWX template %2 recorded no %3, neither in its artifacts "
                u"nor "
                u"in its extra_vars: publish it with set_stats"_s.arg(
                    QString::number(job.id), templateName(), config().canaryVariable),
                jobUrl.toString()));
        }
        const auto canary = weightValue(value);
        const auto split = canary ? Split::fromCanaryPercent(*canary) : std::nullopt;
        if (!split) {
            return fail(makeError(TrafficError::Kind::UnexpectedShape,
                u"the last successful job #%1 of AWX template %2 recorded %3 = %4 in its %5: not a whole "
                u"percent from 0 to 100"_s.arg(QString::number(job.id), templateName(),
                    config().canaryVariable,
                    value.isString() ? value.toString() : QString::number(value.toDouble()),
                    fromArtifacts ? u"artifacts"_s : u"extra_vars"_s),
                jobUrl.toString()));
        }
        finish(*split);
    }

    AwxTrafficBackend *m_backend;
    QPointer<const QObject> m_context;
    bool m_hasContext;
    SplitCallback m_onDone;
    bool m_done = false;
    QPointer<net::RestCall> m_call;
    awx::JobRun *m_run = nullptr;
    std::optional<awx::JobTemplate> m_template;
    Split m_split;
    std::optional<ChangeOrigin> m_origin; // of the job a read took the split from
    QString m_changeId;
    qint64 m_launchBeganMs = 0;
    bool m_changeIdCarried = true; // until AWX says it dropped it
    bool m_duplicatesChecked = false;
    bool m_relaunched = false;
    int m_jobId = 0;
    QUrl m_jobUrl;
};

AwxTrafficBackend::AwxTrafficBackend(awx::AwxConfig config, QObject *parent)
    : AwxTrafficBackend(std::move(config), Clock::system(), parent)
{ }

namespace {

std::unique_ptr<net::RestClient> makeAwxClient(const awx::AwxConfig &config)
{
    auto rest = std::make_unique<net::RestClient>(config.url);
    rest->setAuthorization(config.authorizationHeader());
    rest->setTimeoutMs(config.requestTimeoutMs);
    return rest;
}

} // namespace

AwxTrafficBackend::AwxTrafficBackend(awx::AwxConfig config, Clock &clock, QObject *parent)
    : TrafficBackend(parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_ownRest(makeAwxClient(m_config))
    , m_client(m_ownRest.get(), m_config.apiPath)
{ }

AwxTrafficBackend::AwxTrafficBackend(
    awx::AwxConfig config, net::RestClient *shared, Clock &clock, QObject *parent)
    : TrafficBackend(parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_client(shared, m_config.apiPath)
{ }

AwxTrafficBackend::~AwxTrafficBackend()
{
    // Operations use the client and the RestClient, which are destroyed before QObject's destructor would
    // get to them.
    const QObjectList children = this->children();
    for (QObject *child : children) {
        if (auto *operation = dynamic_cast<Operation *>(child))
            delete operation;
    }
}

QString AwxTrafficBackend::description() const
{
    const QString host = m_config.hostDisplay();
    if (m_template)
        return u"AWX template '%1' (#%2) on %3"_s.arg(m_template->name).arg(m_template->id).arg(host);
    const QString reference = m_config.templateRef.trimmed();
    bool numeric = false;
    reference.toInt(&numeric);
    if (numeric)
        return u"AWX template #%1 on %2"_s.arg(reference, host);
    return u"AWX template '%1' on %2"_s.arg(reference, host);
}

QString AwxTrafficBackend::targetId() const
{
    return u"AWX template '%1' on %2"_s.arg(m_config.templateRef.trimmed(), m_config.hostDisplay());
}

void AwxTrafficBackend::readSplit(const QObject *context, SplitCallback onDone)
{
    (new Operation(this, context, std::move(onDone)))->read();
}

void AwxTrafficBackend::applySplit(const Split &split, const QObject *context, SplitCallback onDone)
{
    (new Operation(this, context, std::move(onDone)))->apply(split);
}

QUrl AwxTrafficBackend::absoluteJobUrl(int jobId, const QString &serverRelativeUrl) const
{
    if (!serverRelativeUrl.isEmpty())
        return m_config.url.resolved(QUrl(serverRelativeUrl));
    return net::buildUrl(m_config.url, m_client.endpoint(u"jobs/%1/"_s.arg(jobId)));
}

} // namespace canary::traffic
