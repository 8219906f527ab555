#pragma once

#include <functional>
#include <optional>

#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include "awxerror.h"
#include "job.h"
#include "jobtemplate.h"
#include "launchinfo.h"
#include "launchresult.h"
#include "net/restclient.h"
#include "page.h"
#include "util/expected.h"

namespace canary::awx {

template<typename T>
using AwxResult = Expected<T, AwxError>;
template<typename T>
using AwxCallback = std::function<void(const AwxResult<T> &)>;

// AWX / Automation Controller API v2 over one RestClient (which holds the URL, the Authorization header and
// the timeout; see AwxConfig::authorizationHeader). Every call returns the RestCall that owns the reply
// (cancel it to give up) and delivers exactly one result to `onDone`, unless `context` died first.
class AwxClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AwxClient)

public:
    // apiPath: "/api/v2/" (AWX, Tower, AAP <= 2.4) or "/api/controller/v2/" (AAP 2.5+ gateway).
    AwxClient(net::RestClient *rest, const QString &apiPath, QObject *parent = nullptr);

    QString apiPath() const { return m_apiPath; }
    // The API path joined with `relative`, which must end in '/' like every AWX URI.
    QString endpoint(const QString &relative) const { return m_apiPath + relative; }

    // A numeric reference reads job_templates/{id}/; anything else is an exact name (job_templates/?name=):
    // no match is NotFound, several (names are unique per organization only) Ambiguous.
    net::RestCall *findTemplate(
        const QString &nameOrId, const QObject *context, AwxCallback<JobTemplate> onDone);
    net::RestCall *launchInfo(int templateId, const QObject *context, AwxCallback<LaunchInfo> onDone);
    // POST job_templates/{id}/launch/ with {"extra_vars": extraVars}. A 201 may still have dropped variables:
    // check LaunchResult::ignoredFields.
    net::RestCall *launch(int templateId, const QJsonObject &extraVars, const QObject *context,
        AwxCallback<LaunchResult> onDone);
    net::RestCall *job(int jobId, const QObject *context, AwxCallback<Job> onDone);
    // The most recently finished successful job of a template; nullopt when there is none.
    net::RestCall *lastSuccessfulJob(
        int templateId, const QObject *context, AwxCallback<std::optional<Job>> onDone);
    // One page of GET jobs/ with AWX's filters and ordering (job_template__in=7,9, status__in=…,
    // created__gte=…, order_by=-id, page_size=…).
    net::RestCall *jobs(const net::QueryItems &query, const QObject *context, AwxCallback<Page<Job>> onDone);
    // POST jobs/{id}/cancel/: true once AWX accepted (202); a finished job answers NotAllowed (405).
    net::RestCall *cancel(int jobId, const QObject *context, AwxCallback<bool> onDone);
    // The job's output as text (GET jobs/{id}/stdout/?format=json).
    net::RestCall *stdoutText(int jobId, const QObject *context, AwxCallback<QString> onDone);

private:
    QPointer<net::RestClient> m_rest;
    QString m_apiPath;
};

} // namespace canary::awx
