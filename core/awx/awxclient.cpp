#include "awxclient.h"

#include <QJsonDocument>

#include "awxconfig.h"
#include "awxparser.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

namespace {

template<typename T, typename Parse>
AwxResult<T> interpret(const net::HttpResponse &response, Parse parse)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    auto parsed = parse(QByteArrayView(response.body));
    if (!parsed) {
        AwxError error = parsed.error();
        error.url = response.url.adjusted(QUrl::RemoveQuery);
        error.httpStatus = response.status;
        return error;
    }
    return AwxResult<T>(std::move(parsed).value());
}

bool isNumericId(const QString &text)
{
    bool ok = false;
    const int id = text.toInt(&ok);
    return ok && id > 0 && text == QString::number(id);
}

} // namespace

AwxClient::AwxClient(net::RestClient *rest, const QString &apiPath, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
    , m_apiPath(AwxConfig::normaliseApiPath(apiPath))
{ }

net::RestCall *AwxClient::findTemplate(
    const QString &nameOrId, const QObject *context, AwxCallback<JobTemplate> onDone)
{
    const QString reference = nameOrId.trimmed();
    if (isNumericId(reference)) {
        auto *call = m_rest->get(endpoint(u"job_templates/%1/"_s.arg(reference)));
        connect(call, &net::RestCall::finished, context,
            [onDone = std::move(onDone)](const net::HttpResponse &response) {
                onDone(interpret<JobTemplate>(response, parseJobTemplate));
            });
        return call;
    }

    auto *call = m_rest->get(endpoint(u"job_templates/"_s), { { u"name"_s, reference } });
    connect(call, &net::RestCall::finished, context,
        [reference, onDone = std::move(onDone)](const net::HttpResponse &response) {
            auto page = interpret<Page<JobTemplate>>(response, parseJobTemplatePage);
            if (!page)
                return onDone(page.error());
            const auto &results = page->results;
            AwxError error;
            error.url = response.url.adjusted(QUrl::RemoveQuery);
            if (results.isEmpty()) {
                error.kind = AwxError::Kind::NotFound;
                error.message = u"no job template named '%1' is visible to this user"_s.arg(reference);
                return onDone(error);
            }
            if (results.size() > 1 || page->count > 1) {
                QStringList where;
                for (const JobTemplate &jobTemplate : results)
                    where.append(u"#%1 in '%2'"_s.arg(jobTemplate.id).arg(jobTemplate.organization));
                error.kind = AwxError::Kind::Ambiguous;
                error.message = u"%1 job templates are named '%2' (%3): refer to the template by its id"_s
                                    .arg(std::max<qint64>(page->count, results.size()))
                                    .arg(reference, where.join(u", "_s));
                return onDone(error);
            }
            onDone(results.front());
        });
    return call;
}

net::RestCall *AwxClient::launchInfo(int templateId, const QObject *context, AwxCallback<LaunchInfo> onDone)
{
    auto *call = m_rest->get(endpoint(u"job_templates/%1/launch/"_s.arg(templateId)));
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret<LaunchInfo>(response, parseLaunchInfo)); });
    return call;
}

net::RestCall *AwxClient::launch(
    int templateId, const QJsonObject &extraVars, const QObject *context, AwxCallback<LaunchResult> onDone)
{
    // An object, not a string: AWX would otherwise try YAML on it and report both parsers' errors.
    const QJsonObject body { { u"extra_vars"_s, extraVars } };
    // Each POST that arrives starts a job: never sent twice by the network layer on its own.
    auto *call = m_rest->sendOnce("POST", endpoint(u"job_templates/%1/launch/"_s.arg(templateId)), {},
        QJsonDocument(body).toJson(QJsonDocument::Compact));
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            onDone(interpret<LaunchResult>(response, parseLaunchResult));
        });
    return call;
}

net::RestCall *AwxClient::job(int jobId, const QObject *context, AwxCallback<Job> onDone)
{
    auto *call = m_rest->get(endpoint(u"jobs/%1/"_s.arg(jobId)));
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret<Job>(response, parseJob)); });
    return call;
}

net::RestCall *AwxClient::lastSuccessfulJob(
    int templateId, const QObject *context, AwxCallback<std::optional<Job>> onDone)
{
    auto *call = m_rest->get(endpoint(u"job_templates/%1/jobs/"_s.arg(templateId)),
        { { u"status"_s, u"successful"_s }, { u"order_by"_s, u"-finished"_s }, { u"page_size"_s, u"1"_s } });
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            auto page = interpret<Page<Job>>(response, parseJobPage);
            if (!page)
                return onDone(page.error());
            if (page->results.isEmpty())
                return onDone(std::optional<Job>());
            onDone(std::optional<Job>(page->results.front()));
        });
    return call;
}

net::RestCall *AwxClient::jobs(
    const net::QueryItems &query, const QObject *context, AwxCallback<Page<Job>> onDone)
{
    auto *call = m_rest->get(endpoint(u"jobs/"_s), query);
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret<Page<Job>>(response, parseJobPage)); });
    return call;
}

net::RestCall *AwxClient::cancel(int jobId, const QObject *context, AwxCallback<bool> onDone)
{
    auto *call = m_rest->send("POST", endpoint(u"jobs/%1/cancel/"_s.arg(jobId)), {}, QByteArray());
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            if (!response.isSuccess())
                return onDone(errorFromResponse(response));
            onDone(true);
        });
    return call;
}

net::RestCall *AwxClient::stdoutText(int jobId, const QObject *context, AwxCallback<QString> onDone)
{
    auto *call = m_rest->get(endpoint(u"jobs/%1/stdout/"_s.arg(jobId)), { { u"format"_s, u"json"_s } });
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpret<QString>(response, parseStdoutContent)); });
    return call;
}

} // namespace canary::awx
