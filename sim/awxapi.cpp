#include "awxapi.h"

#include <algorithm>
#include <limits>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <nlohmann/json.hpp>

#include "httpreply.h"
#include "jsonbody.h"
#include "simrequest.h"
#include "simserver.h"
#include "util/clock.h"
#include "world.h"

using namespace Qt::Literals::StringLiterals;
// Ordered: AWX's serializers emit fields in a fixed order, and the fixtures show it.
using Json = nlohmann::ordered_json;

namespace canary::sim {

namespace {

const QStringList ApiPaths { u"/api/v2/"_s, u"/api/controller/v2/"_s };
constexpr qint64 Never = std::numeric_limits<qint64>::max();
constexpr int DefaultPageSize = 25;
constexpr int MaxPageSize = 200; // AWX's MAX_PAGE_SIZE

const QString ReadScope = u"awx.read"_s;
const QString WriteScope = u"awx.write"_s;
const QString OrganizationName = u"Default"_s;
const QString InventoryName = u"Canary Auto Remediation Inventory"_s;
const QString ProjectName = u"demo-ar-workflows-ansible"_s;
const QString JenkinsUrl
    = u"http://jenkins.example.invalid/job/demo-ar-workflows-ansible/job/4.%20Shift%20traffic/build?delay=0sec"_s;
constexpr int OrganizationId = 1;
constexpr int InventoryId = 2;
constexpr int ProjectId = 6;
constexpr int AdminUserId = 1;
// The workshop's ramp, as (old, canary) steps of ansible/canary.yaml.
constexpr int RampWeights[] = { 30, 70, 100 };

std::string str(const QString &text)
{
    return text.toStdString();
}

QByteArray dump(const Json &value)
{
    return QByteArray::fromStdString(value.dump());
}

HttpReply reply(const Json &body, int status = 200)
{
    return HttpReply::json(dump(body), status);
}

// DRF's shape for 401/403/404/405: {"detail": "…"}.
HttpReply detail(int status, const QString &text)
{
    return reply(Json { { "detail", str(text) } }, status);
}

HttpReply fieldErrors(const QString &field, const QStringList &messages)
{
    Json list = Json::array();
    for (const QString &message : messages)
        list.push_back(str(message));
    return reply(Json { { str(field), std::move(list) } }, 400);
}

QString isoTime(qint64 ms)
{
    // AWX prints microseconds: 2025-11-26T09:15:02.118230Z.
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(u"yyyy-MM-dd'T'HH:mm:ss.zzz"_s) + u"000Z"_s;
}

Json timeOrNull(qint64 ms)
{
    return ms < 0 ? Json(nullptr) : Json(str(isoTime(ms)));
}

Json toJson(const QVariantMap &map)
{
    return Json::parse(
        QJsonDocument(QJsonObject::fromVariantMap(map)).toJson(QJsonDocument::Compact).toStdString(), nullptr,
        false);
}

QVariantMap toVariantMap(const Json &object)
{
    return QJsonDocument::fromJson(dump(object)).object().toVariantMap();
}

// What Ansible's `| int` makes of a variable; nullopt when it is not a whole number.
std::optional<qint64> wholeNumber(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return value.toLongLong();
    case QMetaType::Double: {
        const double number = value.toDouble();
        if (number == double(qint64(number)))
            return qint64(number);
        return std::nullopt;
    }
    case QMetaType::QString: {
        bool ok = false;
        const qint64 number = value.toString().trimmed().toLongLong(&ok);
        return ok ? std::optional<qint64>(number) : std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

QString displayValue(const QVariant &value)
{
    if (value.typeId() == QMetaType::QString)
        return u"'%1'"_s.arg(value.toString());
    return QString::fromUtf8(
        QJsonDocument(QJsonObject::fromVariantMap({ { u"v"_s, value } })).toJson(QJsonDocument::Compact))
        .section(u':', 1)
        .chopped(1);
}

QString yamlOf(const QVariantMap &vars)
{
    QString yaml = u"---\n"_s;
    for (auto it = vars.cbegin(); it != vars.cend(); ++it) {
        const QString value = it.value().typeId() == QMetaType::QString && it.value().toString().isEmpty()
            ? u"\"\""_s
            : it.value().toString();
        yaml += it.key() + u": "_s + value + u'\n';
    }
    return yaml;
}

// Ansible's headings: "TASK [name] " padded with stars to 79 columns.
QString banner(const QString &heading)
{
    const QString text = heading + u' ';
    return text + QString(std::max<qsizetype>(3, 79 - text.size()), u'*') + u'\n';
}

QString recap(int ok, int changed, int failed)
{
    return u"\n"_s + banner(u"PLAY RECAP"_s)
        + u"localhost                  : ok=%1    changed=%2    unreachable=0    failed=%3    skipped=0    "
          u"rescued=0    ignored=0   \n"_s.arg(ok)
              .arg(changed)
              .arg(failed);
}

// What UnifiedJob._result_stdout_raw_limited returns for ?start_line=&end_line=: the lines
// lines[start:end] the way Python slices them (negative counts from the end), and the range it reports.
struct StdoutRange
{
    QString content;
    qsizetype start = 0;
    qsizetype end = 0;
    qsizetype absoluteEnd = 0;

    static StdoutRange of(
        const QString &text, const std::optional<QString> &startLine, const std::optional<QString> &endLine)
    {
        // readlines(): each line keeps its newline; a last line without one still counts.
        QStringList lines;
        for (qsizetype from = 0; from < text.size();) {
            const qsizetype newline = text.indexOf(u'\n', from);
            const qsizetype next = newline < 0 ? text.size() : newline + 1;
            lines.append(text.mid(from, next - from));
            from = next;
        }
        const qsizetype count = lines.size();
        // AWX's int() would fail with a 500 on anything but a whole number; the simulator reads the default.
        const auto number = [](const std::optional<QString> &value) -> std::optional<qsizetype> {
            bool ok = false;
            const qsizetype parsed = value ? value->trimmed().toLongLong(&ok) : 0;
            return ok ? std::optional<qsizetype>(parsed) : std::nullopt;
        };
        const qsizetype start = number(startLine).value_or(0);
        const std::optional<qsizetype> end = number(endLine);
        const auto slice = [count](qsizetype index) {
            return std::clamp<qsizetype>(index < 0 ? index + count : index, 0, count);
        };

        StdoutRange range;
        for (qsizetype i = slice(start); i < slice(end.value_or(count)); ++i)
            range.content += lines.at(i);
        range.absoluteEnd = count;
        if (start < 0) {
            range.start = std::max<qsizetype>(0, count + start);
            range.end = count;
        } else {
            range.start = start;
            range.end = end ? std::min(*end, count) : count;
        }
        return range;
    }
};

bool isActive(const QString &status)
{
    return status == u"new"_s || status == u"pending"_s || status == u"waiting"_s || status == u"running"_s;
}

// The request's query re-encoded, without "page" when `page` is set (for "next" and "previous" links).
QString encodedQuery(const SimRequest &request, std::optional<int> page = std::nullopt)
{
    QStringList items;
    for (const auto &[key, value] : request.query) {
        if (page && key == u"page"_s)
            continue;
        items.append(
            QString::fromLatin1(QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value)));
    }
    if (page)
        items.append(u"page="_s + QString::number(*page));
    return items.join(u'&');
}

QString pageUrl(const SimRequest &request, int page)
{
    return request.path + u'?' + encodedQuery(request, page);
}

// Cuts `items` into the requested page; a page past the end is AWX's 404 "Invalid page.".
template<typename T>
std::optional<HttpReply> paginate(const SimRequest &request, const std::vector<T> &items,
    const std::function<Json(const T &)> &serialize, Json &page)
{
    int pageSize = DefaultPageSize;
    bool ok = false;
    const int requestedSize = request.queryItem(u"page_size"_s).toInt(&ok);
    if (ok && requestedSize > 0)
        pageSize = std::min(requestedSize, MaxPageSize);
    int number = 1;
    if (request.hasQueryItem(u"page"_s)) {
        number = request.queryItem(u"page"_s).toInt(&ok);
        if (!ok || number < 1)
            return detail(404, u"Invalid page."_s);
    }
    const auto count = qsizetype(items.size());
    const qsizetype first = qsizetype(number - 1) * pageSize;
    if (number > 1 && first >= count)
        return detail(404, u"Invalid page."_s);
    Json results = Json::array();
    for (qsizetype i = first; i < std::min(count, first + pageSize); ++i)
        results.push_back(serialize(items[std::size_t(i)]));
    page = Json { { "count", count },
        { "next", first + pageSize < count ? Json(str(pageUrl(request, number + 1))) : Json(nullptr) },
        { "previous", number > 1 ? Json(str(pageUrl(request, number - 1))) : Json(nullptr) },
        { "results", std::move(results) } };
    return std::nullopt;
}

} // namespace

AwxApi::AwxApi(World &world, SimServer &server, QObject *parent)
    : QObject(parent)
    , m_world(world)
    , m_server(server)
    , m_servedApiPaths(ApiPaths)
{
    const QVariantMap rampVars { { u"jenkins_url"_s, JenkinsUrl },
        { u"remediation_template_id"_s, ResetCanaryWeightingTemplateId } };
    const QVariantMap resetVars { { u"jenkins_url"_s, JenkinsUrl },
        { u"remediation_template_id"_s, QString() } };
    const QVariantMap setVars { { u"jenkins_url"_s, JenkinsUrl } };
    const auto add
        = [this](int id, const QString &name, const QString &description, const QString &playbookFile,
              Playbook playbook, bool askVariables, const QStringList &survey, const QVariantMap &vars) {
              m_templates.push_back(Template { id, name, description, playbookFile, playbook, askVariables,
                  !survey.isEmpty(), survey, vars, yamlOf(vars) });
          };
    add(SetCanaryWeightTemplateId, u"Set canary weight"_s,
        u"Routes canary_weight percent of the traffic to the canary build"_s, u"ansible/set_weight.yaml"_s,
        Playbook::SetWeight, true, {}, setVars);
    add(StartCanaryDeploymentTemplateId, u"Start canary deployment"_s,
        u"Shifts traffic to the canary in steps: 30, 70, 100 percent"_s, u"ansible/canary.yaml"_s,
        Playbook::Ramp, true, {}, rampVars);
    add(ResetCanaryWeightingTemplateId, u"Reset canary weighting"_s,
        u"Routes all traffic back to the stable build"_s, u"ansible/canary.yaml"_s, Playbook::Reset, false,
        {}, resetVars);
    add(SetCanaryWeightNoPromptTemplateId, u"Set canary weight (no prompt)"_s,
        u"Like 'Set canary weight', but Variables are not prompted on launch"_s, u"ansible/set_weight.yaml"_s,
        Playbook::NoEffect, false, {}, setVars);
    add(BrokenProjectTemplateId, u"Set canary weight (broken project)"_s,
        u"Its project cannot be updated, so its jobs never run"_s, u"ansible/set_weight.yaml"_s,
        Playbook::BrokenProject, true, {}, setVars);
    add(SetCanaryWeightSurveyTemplateId, u"Set canary weight (survey)"_s,
        u"Asks for canary_weight in a survey; old_weight is not a question"_s, u"ansible/set_weight.yaml"_s,
        Playbook::SetWeight, false, { u"canary_weight"_s }, setVars);

    addRoutes(server, u"job_templates/"_s, { { "GET", &AwxApi::listTemplates } });
    addRoutes(server, u"job_templates/{id}/"_s, { { "GET", &AwxApi::getTemplate } });
    addRoutes(server, u"job_templates/{id}/launch/"_s,
        { { "GET", &AwxApi::getLaunch }, { "POST", &AwxApi::postLaunch } });
    addRoutes(server, u"job_templates/{id}/jobs/"_s, { { "GET", &AwxApi::listTemplateJobs } });
    addRoutes(server, u"jobs/"_s, { { "GET", &AwxApi::listJobs } });
    addRoutes(server, u"jobs/{id}/"_s, { { "GET", &AwxApi::getJob } });
    addRoutes(
        server, u"jobs/{id}/cancel/"_s, { { "GET", &AwxApi::getCancel }, { "POST", &AwxApi::postCancel } });
    addRoutes(server, u"jobs/{id}/stdout/"_s, { { "GET", &AwxApi::getStdout } });

    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &AwxApi::advance);
    if (auto *virtualClock = dynamic_cast<VirtualClock *>(&m_world.clock())) {
        m_virtualClock = true;
        connect(virtualClock, &VirtualClock::advanced, this, &AwxApi::advance);
    }
}

AwxApi::~AwxApi() = default;

void AwxApi::addRoutes(
    SimServer &server, const QString &relative, const QList<QPair<QByteArray, Handler>> &handlers)
{
    static const QList<QByteArray> methods { "GET", "POST", "PUT", "PATCH", "DELETE" };
    for (const QString &apiPath : ApiPaths) {
        const QString pattern = apiPath + relative;
        for (const QByteArray &method : methods) {
            Handler handler = &AwxApi::methodNotAllowed;
            for (const auto &[allowed, allowedHandler] : handlers) {
                if (allowed == method)
                    handler = allowedHandler;
            }
            // An empty scope: AWX authenticates itself, with AWX's answers rather than Dynatrace's.
            server.addRoute(method, pattern, QString(), [this, apiPath, handler](const SimRequest &request) {
                return serve(request, apiPath, handler);
            });
        }
    }
}

std::optional<HttpReply> AwxApi::authorize(const SimRequest &request, bool *canWrite, QString *who) const
{
    static const HttpReply unauthenticated = [] {
        HttpReply answer = detail(401, u"Authentication credentials were not provided."_s);
        answer.headers.append(qMakePair(QByteArray("WWW-Authenticate"),
            QByteArray("Bearer realm=api authorization_url=/api/o/authorize/")));
        return answer;
    }();

    const QByteArray authorization = request.header("Authorization").trimmed();
    const qsizetype space = authorization.indexOf(' ');
    const QByteArray scheme = space > 0 ? authorization.left(space) : authorization;
    const QByteArray credentials = space > 0 ? authorization.mid(space + 1).trimmed() : QByteArray();
    QString token;
    QString user = u"admin"_s;
    if (scheme.compare("Bearer", Qt::CaseInsensitive) == 0) {
        token = QString::fromUtf8(credentials);
        user = m_tokenUsers.value(token, user);
    } else if (scheme.compare("Basic", Qt::CaseInsensitive) == 0) {
        const QByteArray decoded = QByteArray::fromBase64(credentials);
        const qsizetype colon = decoded.indexOf(':');
        if (colon > 0 && decoded.left(colon) == "admin")
            token = QString::fromUtf8(decoded.mid(colon + 1));
    }
    // AWX answers the same for a missing, a wrong and an expired credential.
    if (!m_server.tokenHasScope(token))
        return unauthenticated;

    *canWrite = m_server.tokenHasScope(token, WriteScope);
    *who = user;
    const bool canRead = *canWrite || m_server.tokenHasScope(token, ReadScope);
    const bool writes = request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS";
    if (!canRead || (writes && !*canWrite))
        return detail(403, u"You do not have permission to perform this action."_s);
    return std::nullopt;
}

HttpReply AwxApi::serve(const SimRequest &request, const QString &apiPath, Handler handler)
{
    // Django's APPEND_SLASH answers before any view, so a client that drops the slash sees a redirect (and
    // loses a POST's body).
    if (!request.rawPath.endsWith('/')) {
        HttpReply redirect;
        redirect.status = 301;
        QByteArray location = request.rawPath + '/';
        if (!request.query.isEmpty())
            location += '?' + encodedQuery(request).toUtf8();
        redirect.headers.append(qMakePair(QByteArray("Location"), location));
        return redirect;
    }
    if (!m_servedApiPaths.contains(apiPath))
        return detail(404, u"Not found."_s);
    bool canWrite = false;
    QString user;
    if (auto refused = authorize(request, &canWrite, &user))
        return *refused;
    m_requestCanWrite = canWrite;
    m_requestUser = user;
    advance();
    return (this->*handler)(request, apiPath);
}

HttpReply AwxApi::methodNotAllowed(const SimRequest &request, const QString &)
{
    return detail(405, u"Method \"%1\" not allowed."_s.arg(QString::fromLatin1(request.method)));
}

const AwxApi::Template *AwxApi::findTemplate(const QString &id) const
{
    bool ok = false;
    const int number = id.toInt(&ok);
    for (const Template &jobTemplate : m_templates) {
        if (ok && jobTemplate.id == number)
            return &jobTemplate;
    }
    return nullptr;
}

AwxApi::JobRecord *AwxApi::findJob(const QString &id)
{
    bool ok = false;
    const int number = id.toInt(&ok);
    for (JobRecord &record : m_jobs) {
        if (ok && record.job.id == number)
            return &record;
    }
    return nullptr;
}

// The admin is user 1; anyone else a stable id of their own.
int userId(const QString &user)
{
    return user.isEmpty() || user == u"admin"_s ? AdminUserId : 100 + int(qHash(user) % 900);
}

// The JSON AWX's serializers produce, field for field in their order (JobTemplateSerializer, JobSerializer,
// JobDetailSerializer, JobLaunchSerializer).
class AwxJson
{
public:
    enum class JobView {
        Launch, // JobSerializer plus "job" and "ignored_fields" in front
        List, // no result_traceback (stripped from lists)
        Detail, // adds host_status_counts, playbook_counts, custom_virtualenv
    };

    static Json organization()
    {
        return Json { { "id", OrganizationId }, { "name", str(OrganizationName) }, { "description", "" } };
    }

    static Json inventory()
    {
        return Json { { "id", InventoryId }, { "name", str(InventoryName) }, { "description", "" },
            { "kind", "" } };
    }

    static Json project()
    {
        return Json { { "id", ProjectId }, { "name", str(ProjectName) }, { "description", "" },
            { "status", "successful" }, { "scm_type", "git" } };
    }

    static Json jobTemplate(const AwxApi &api, const AwxApi::Template &item, const QString &apiPath)
    {
        const QString prefix = apiPath + u"job_templates/%1/"_s.arg(item.id);
        const AwxApi::JobRecord *last = nullptr;
        for (const AwxApi::JobRecord &record : api.m_jobs) {
            if (record.job.templateId == item.id)
                last = &record;
        }
        Json related {
            { "named_url",
                str(apiPath + u"job_templates/"_s + item.name + u"++"_s + OrganizationName + u'/') },
            { "organization", str(apiPath + u"organizations/%1/"_s.arg(OrganizationId)) },
            { "inventory", str(apiPath + u"inventories/%1/"_s.arg(InventoryId)) },
            { "project", str(apiPath + u"projects/%1/"_s.arg(ProjectId)) },
            { "credentials", str(prefix + u"credentials/"_s) }
        };
        if (last)
            related["last_job"] = str(apiPath + u"jobs/%1/"_s.arg(last->job.id));
        related["jobs"] = str(prefix + u"jobs/"_s);
        related["launch"] = str(prefix + u"launch/"_s);
        related["survey_spec"] = str(prefix + u"survey_spec/"_s);
        related["webhook_key"] = str(prefix + u"webhook_key/"_s);
        related["webhook_receiver"] = "";

        Json summary { { "organization", organization() }, { "inventory", inventory() },
            { "project", project() } };
        if (last) {
            summary["last_job"] = Json { { "id", last->job.id }, { "name", str(item.name) },
                { "description", str(item.description) }, { "finished", timeOrNull(last->job.finishedMs) },
                { "status", str(last->job.status) }, { "failed", last->job.failed } };
        }
        const bool canWrite = api.m_requestCanWrite;
        summary["user_capabilities"] = Json { { "edit", canWrite }, { "delete", canWrite },
            { "start", canWrite }, { "schedule", canWrite }, { "copy", canWrite } };
        Json recentJobs = Json::array();
        for (auto it = api.m_jobs.crbegin(); it != api.m_jobs.crend() && recentJobs.size() < 10; ++it) {
            if (it->job.templateId == item.id) {
                recentJobs.push_back(Json { { "id", it->job.id }, { "status", str(it->job.status) },
                    { "finished", timeOrNull(it->job.finishedMs) },
                    { "canceled_on", timeOrNull(it->canceledMs) }, { "type", "job" } });
            }
        }
        summary["recent_jobs"] = std::move(recentJobs);
        if (item.surveyEnabled)
            summary["survey"] = Json { { "title", "" }, { "description", "" } };

        const bool isReset = item.playbook == AwxApi::Playbook::Reset;
        const bool isRamp = item.playbook == AwxApi::Playbook::Ramp;
        const QString created = isoTime(api.m_world.startMs());
        return Json { { "id", item.id }, { "type", "job_template" }, { "url", str(prefix) },
            { "related", std::move(related) }, { "summary_fields", std::move(summary) },
            { "created", str(created) }, { "modified", str(created) }, { "name", str(item.name) },
            { "description", str(item.description) }, { "job_type", "run" }, { "inventory", InventoryId },
            { "project", ProjectId }, { "playbook", str(item.playbookFile) }, { "scm_branch", "" },
            { "forks", 0 }, { "limit", "" }, { "verbosity", 0 }, { "extra_vars", str(item.extraVarsYaml) },
            { "job_tags", isReset ? "canary_reset" : "" }, { "force_handlers", false },
            { "skip_tags", isRamp ? "canary_reset" : "" }, { "start_at_task", "" }, { "timeout", 0 },
            { "use_fact_cache", false }, { "organization", OrganizationId },
            { "last_job_run", last ? timeOrNull(last->job.finishedMs) : Json(nullptr) },
            { "last_job_failed", last ? last->job.failed : false }, { "next_job_run", nullptr },
            { "status", last ? str(last->job.status) : "never updated" },
            { "execution_environment", nullptr }, { "host_config_key", "" },
            { "ask_scm_branch_on_launch", false }, { "ask_diff_mode_on_launch", false },
            { "ask_variables_on_launch", item.askVariablesOnLaunch }, { "ask_limit_on_launch", false },
            { "ask_tags_on_launch", false }, { "ask_skip_tags_on_launch", false },
            { "ask_job_type_on_launch", false }, { "ask_verbosity_on_launch", false },
            { "ask_inventory_on_launch", false }, { "ask_credential_on_launch", false },
            { "ask_execution_environment_on_launch", false }, { "ask_labels_on_launch", false },
            { "ask_forks_on_launch", false }, { "ask_job_slice_count_on_launch", false },
            { "ask_timeout_on_launch", false }, { "ask_instance_groups_on_launch", false },
            { "survey_enabled", item.surveyEnabled }, { "become_enabled", false }, { "diff_mode", false },
            { "allow_simultaneous", false }, { "custom_virtualenv", nullptr }, { "job_slice_count", 1 },
            { "webhook_service", "" }, { "webhook_credential", nullptr },
            { "prevent_instance_group_fallback", false } };
    }

    static Json job(const AwxApi &api, const AwxApi::JobRecord &record, const QString &apiPath, JobView view)
    {
        const AwxSimJob &job = record.job;
        const AwxApi::Template *item = api.findTemplate(QString::number(job.templateId));
        const QString jobUrl = apiPath + u"jobs/%1/"_s.arg(job.id);
        const QString templateUrl = apiPath + u"job_templates/%1/"_s.arg(job.templateId);
        const bool ran = job.startedMs >= 0 && item->playbook != AwxApi::Playbook::BrokenProject;
        const qint64 modifiedMs = std::max({ job.createdMs, job.startedMs, job.finishedMs });

        Json related { { "created_by", str(apiPath + u"users/%1/"_s.arg(userId(job.launchedBy))) },
            { "labels", str(jobUrl + u"labels/"_s) },
            { "inventory", str(apiPath + u"inventories/%1/"_s.arg(InventoryId)) },
            { "project", str(apiPath + u"projects/%1/"_s.arg(ProjectId)) },
            { "organization", str(apiPath + u"organizations/%1/"_s.arg(OrganizationId)) },
            { "credentials", str(jobUrl + u"credentials/"_s) }, { "unified_job_template", str(templateUrl) },
            { "stdout", str(jobUrl + u"stdout/"_s) }, { "job_events", str(jobUrl + u"job_events/"_s) },
            { "job_host_summaries", str(jobUrl + u"job_host_summaries/"_s) },
            { "activity_stream", str(jobUrl + u"activity_stream/"_s) },
            { "notifications", str(jobUrl + u"notifications/"_s) },
            { "create_schedule", str(jobUrl + u"create_schedule/"_s) }, { "job_template", str(templateUrl) },
            { "cancel", str(jobUrl + u"cancel/"_s) }, { "relaunch", str(jobUrl + u"relaunch/"_s) } };
        const Json templateSummary { { "id", item->id }, { "name", str(item->name) },
            { "description", str(item->description) } };
        Json unifiedSummary = templateSummary;
        unifiedSummary["unified_job_type"] = "job";
        Json summary { { "organization", organization() }, { "inventory", inventory() },
            { "project", project() }, { "job_template", templateSummary },
            { "unified_job_template", std::move(unifiedSummary) },
            { "created_by",
                Json { { "id", userId(job.launchedBy) }, { "username", str(job.launchedBy) },
                    { "first_name", "" }, { "last_name", "" } } },
            { "user_capabilities",
                Json { { "delete", api.m_requestCanWrite }, { "start", api.m_requestCanWrite } } },
            { "labels", Json { { "count", 0 }, { "results", Json::array() } } },
            { "credentials", Json::array() } };
        if (ran) {
            summary["instance_group"]
                = Json { { "id", 2 }, { "name", "default" }, { "is_container_group", false } };
            summary["execution_environment"] = Json { { "id", 2 }, { "name", "AWX EE (24.6.1)" },
                { "description", "" }, { "image", "quay.io/ansible/awx-ee:24.6.1" } };
        }

        const bool terminal = job.finishedMs >= 0;
        const double elapsed
            = terminal && job.startedMs >= 0 ? double(job.finishedMs - job.startedMs) / 1000.0 : 0.0;
        Json value { { "id", job.id }, { "type", "job" }, { "url", str(jobUrl) },
            { "related", std::move(related) }, { "summary_fields", std::move(summary) },
            { "created", str(isoTime(job.createdMs)) }, { "modified", str(isoTime(modifiedMs)) },
            { "name", str(item->name) }, { "description", str(item->description) }, { "job_type", "run" },
            { "inventory", InventoryId }, { "project", ProjectId }, { "playbook", str(item->playbookFile) },
            { "scm_branch", "" }, { "forks", 0 }, { "limit", "" }, { "verbosity", 0 },
            { "extra_vars", toJson(job.extraVars).dump() },
            { "job_tags", item->playbook == AwxApi::Playbook::Reset ? "canary_reset" : "" },
            { "force_handlers", false },
            { "skip_tags", item->playbook == AwxApi::Playbook::Ramp ? "canary_reset" : "" },
            { "start_at_task", "" }, { "timeout", 0 }, { "use_fact_cache", false },
            { "organization", OrganizationId }, { "unified_job_template", item->id },
            { "launch_type", "manual" }, { "status", str(job.status) }, { "execution_environment", 2 },
            { "failed", job.failed }, { "started", timeOrNull(job.startedMs) },
            { "finished", timeOrNull(job.finishedMs) }, { "canceled_on", timeOrNull(record.canceledMs) },
            { "elapsed", elapsed },
            { "job_args",
                ran ? str(u"[\"ansible-playbook\", \"-u\", \"root\", \"-i\", \"/runner/inventory\", \"-e\", "
                          u"\"@/runner/env/extravars\", \"%1\"]"_s.arg(item->playbookFile))
                    : std::string() },
            { "job_cwd", ran ? "/runner/project" : "" }, { "job_env", Json::object() },
            { "job_explanation", str(job.jobExplanation) }, { "execution_node", ran ? "awx-task-0" : "" },
            { "controller_node", ran ? "awx-task-0" : "" } };
        if (view != JobView::List)
            value["result_traceback"] = "";
        value["event_processing_finished"] = terminal;
        value["launched_by"] = Json { { "id", userId(job.launchedBy) }, { "name", str(job.launchedBy) },
            { "type", "user" }, { "url", str(apiPath + u"users/%1/"_s.arg(userId(job.launchedBy))) } };
        value["work_unit_id"] = ran ? Json(str(u"Sim%1"_s.arg(job.id))) : Json(nullptr);
        value["job_template"] = item->id;
        value["passwords_needed_to_start"] = Json::array();
        value["allow_simultaneous"] = false;
        value["artifacts"] = toJson(job.artifacts);
        value["scm_revision"] = ran ? "4f2b9c1e0d7a6b53e8c2f1a09d3e7b6c5a4f3e21" : "";
        value["instance_group"] = ran ? Json(2) : Json(nullptr);
        value["diff_mode"] = false;
        value["job_slice_number"] = 0;
        value["job_slice_count"] = 1;
        value["webhook_service"] = "";
        value["webhook_credential"] = nullptr;
        value["webhook_guid"] = "";
        if (view == JobView::Detail) {
            Json counts = Json::object();
            if (terminal && ran) {
                if (job.status == u"failed"_s)
                    counts["failures"] = 1;
                else
                    counts = Json { { "ok", 1 },
                        { "changed", record.weight >= 0 || record.rampStep > 0 ? 1 : 0 } };
            }
            value["host_status_counts"] = std::move(counts);
            value["playbook_counts"] = Json { { "play_count", ran ? 1 : 0 }, { "task_count", ran ? 3 : 0 } };
            value["custom_virtualenv"] = nullptr;
        }
        return value;
    }
};

QList<AwxSimJob> AwxApi::jobs()
{
    advance();
    QList<AwxSimJob> result;
    for (const JobRecord &record : m_jobs)
        result.append(record.job);
    return result;
}

std::optional<AwxSimJob> AwxApi::job(int id)
{
    advance();
    for (const JobRecord &record : m_jobs) {
        if (record.job.id == id)
            return record.job;
    }
    return std::nullopt;
}

HttpReply AwxApi::listTemplates(const SimRequest &request, const QString &apiPath)
{
    std::vector<const Template *> matches;
    for (const Template &jobTemplate : m_templates) {
        if (const auto name = request.optionalQueryItem(u"name"_s); name && *name != jobTemplate.name)
            continue;
        if (const auto id = request.optionalQueryItem(u"id"_s); id && *id != QString::number(jobTemplate.id))
            continue;
        matches.push_back(&jobTemplate);
    }
    std::sort(matches.begin(), matches.end(),
        [](const Template *a, const Template *b) { return a->name < b->name; });
    Json page;
    const std::function<Json(const Template *const &)> serialize =
        [this, &apiPath](const Template *const &item) { return AwxJson::jobTemplate(*this, *item, apiPath); };
    if (auto refused = paginate<const Template *>(request, matches, serialize, page))
        return *refused;
    return reply(page);
}

HttpReply AwxApi::getTemplate(const SimRequest &request, const QString &apiPath)
{
    const Template *item = findTemplate(request.pathParameters.value(u"id"_s));
    if (!item)
        return detail(404, u"Not found."_s);
    return reply(AwxJson::jobTemplate(*this, *item, apiPath));
}

HttpReply AwxApi::getLaunch(const SimRequest &request, const QString &)
{
    const Template *item = findTemplate(request.pathParameters.value(u"id"_s));
    if (!item)
        return detail(404, u"Not found."_s);
    Json needed = Json::array();
    for (const QString &variable : item->surveyVariables)
        needed.push_back(str(variable));
    const bool canStart = needed.empty();
    const Json body { { "can_start_without_user_input", canStart },
        { "passwords_needed_to_start", Json::array() }, { "ask_scm_branch_on_launch", false },
        { "ask_variables_on_launch", item->askVariablesOnLaunch }, { "ask_tags_on_launch", false },
        { "ask_diff_mode_on_launch", false }, { "ask_skip_tags_on_launch", false },
        { "ask_job_type_on_launch", false }, { "ask_limit_on_launch", false },
        { "ask_verbosity_on_launch", false }, { "ask_inventory_on_launch", false },
        { "ask_credential_on_launch", false }, { "ask_execution_environment_on_launch", false },
        { "ask_labels_on_launch", false }, { "ask_forks_on_launch", false },
        { "ask_job_slice_count_on_launch", false }, { "ask_timeout_on_launch", false },
        { "ask_instance_groups_on_launch", false }, { "survey_enabled", item->surveyEnabled },
        { "variables_needed_to_start", std::move(needed) }, { "credential_needed_to_start", false },
        { "inventory_needed_to_start", false },
        { "job_template_data",
            Json { { "name", str(item->name) }, { "id", item->id },
                { "description", str(item->description) } } },
        { "defaults",
            Json { { "extra_vars", str(item->extraVarsYaml) }, { "diff_mode", false }, { "limit", "" },
                { "job_tags", "" }, { "skip_tags", "" }, { "job_type", "run" }, { "verbosity", 0 },
                { "inventory", Json { { "name", str(InventoryName) }, { "id", InventoryId } } },
                { "scm_branch", "" }, { "credentials", Json::array() },
                { "execution_environment", Json::object() }, { "forks", 0 }, { "job_slice_count", 1 },
                { "timeout", 0 }, { "instance_groups", Json::array() } } } };
    return reply(body);
}

HttpReply AwxApi::postLaunch(const SimRequest &request, const QString &apiPath)
{
    const Template *item = findTemplate(request.pathParameters.value(u"id"_s));
    if (!item)
        return detail(404, u"Not found."_s);

    // DRF's parser takes an empty body for an empty form.
    const auto parsed = JsonBody::read(request, Json::object());
    if (!parsed)
        return detail(400, u"JSON parse error - Expecting value: line 1 column 1 (char 0)"_s);
    const Json &body = *parsed;
    if (!body.is_object()) {
        return fieldErrors(u"non_field_errors"_s,
            { u"Invalid data. Expected a dictionary, but got %1."_s.arg(
                QString::fromLatin1(body.is_array() ? "list" : body.type_name())) });
    }

    // extra_vars may be an object or a JSON/YAML string; the simulator reads JSON only.
    Json sent = Json::object();
    if (const auto it = body.find("extra_vars"); it != body.end() && !it->is_null()) {
        if (it->is_object()) {
            sent = *it;
        } else if (it->is_string() && !it->get_ref<const std::string &>().empty()) {
            sent = Json::parse(it->get_ref<const std::string &>(), nullptr, false);
            if (sent.is_discarded() || !sent.is_object()) {
                return fieldErrors(u"extra_vars"_s,
                    { u"Cannot parse as JSON (error: Expecting value: line 1 column 1 (char 0)) or YAML "
                      u"(error: "
                      u"Input type `str` is not a dictionary)."_s });
            }
        } else if (!it->is_string()) {
            return fieldErrors(u"extra_vars"_s,
                { u"Cannot parse as JSON (error: Input type `%1` is not a dictionary) or YAML (error: Input "
                  u"type "
                  u"`%1` is not a dictionary)."_s.arg(QString::fromLatin1(it->type_name())) });
        }
    }

    // What the template does not prompt for is dropped, not refused (JobLaunchSerializer's
    // _accept_or_ignore_variables): the launch still answers 201 and names it in ignored_fields.
    Json accepted = Json::object();
    Json ignoredVars = Json::object();
    for (const auto &[key, value] : sent.items()) {
        const bool prompted = item->askVariablesOnLaunch
            || (item->surveyEnabled && item->surveyVariables.contains(QString::fromStdString(key)));
        (prompted ? accepted : ignoredVars)[key] = value;
    }
    Json ignored = Json::object();
    if (!ignoredVars.empty())
        ignored["extra_vars"] = ignoredVars;
    for (const auto &[key, value] : body.items()) {
        if (key != "extra_vars")
            ignored[key] = value; // no other ask_*_on_launch is set on these templates
    }

    const QVariantMap acceptedVars = toVariantMap(accepted);
    if (item->surveyEnabled) {
        // The survey's integer questions, with AWX's messages (_survey_element_validation).
        QStringList errors;
        for (const QString &variable : item->surveyVariables) {
            const auto found = accepted.find(str(variable));
            if (found == accepted.end()) {
                errors.append(u"'%1' value missing"_s.arg(variable));
            } else if (!found->is_number_integer()) {
                errors.append(u"Value %1 for '%2' expected to be an integer."_s.arg(
                    QString::fromStdString(found->dump()), variable));
            } else if (found->get<std::int64_t>() < 0) {
                errors.append(u"'%1' value %2 is too small (must be at least 0)."_s.arg(variable).arg(
                    found->get<std::int64_t>()));
            } else if (found->get<std::int64_t>() > 100) {
                errors.append(u"'%1' value %2 is too large (must be no more than 100)."_s.arg(variable).arg(
                    found->get<std::int64_t>()));
            }
        }
        if (!errors.isEmpty())
            return fieldErrors(u"variables_needed_to_start"_s, errors);
    } else if (item->playbook == Playbook::SetWeight && !acceptedVars.contains(u"canary_weight"_s)) {
        return fieldErrors(u"variables_needed_to_start"_s, { u"'canary_weight' value missing"_s });
    }

    JobRecord record;
    record.job.id = m_nextId++;
    record.job.templateId = item->id;
    record.job.status = u"pending"_s;
    record.job.createdMs = m_world.clock().nowMs();
    record.job.launchedBy = m_requestUser;
    record.job.extraVars = item->extraVars;
    for (auto it = acceptedVars.cbegin(); it != acceptedVars.cend(); ++it)
        record.job.extraVars.insert(it.key(), it.value());
    if (item->playbook == Playbook::BrokenProject)
        record.projectUpdateId = m_nextId++; // the dependency the task manager creates for it
    planJob(record, *item);
    m_jobs.push_back(record);
    Q_EMIT jobLaunched(record.job.id, item->id);
    scheduleTimer();

    Json answer { { "job", record.job.id }, { "ignored_fields", std::move(ignored) } };
    Json job = AwxJson::job(*this, m_jobs.back(), apiPath, AwxJson::JobView::Launch);
    for (auto &[key, value] : job.items())
        answer[key] = std::move(value);
    HttpReply created = reply(answer, 201);
    created.headers.append(
        qMakePair(QByteArray("Location"), (apiPath + u"jobs/%1/"_s.arg(record.job.id)).toUtf8()));
    return created;
}

HttpReply AwxApi::listTemplateJobs(const SimRequest &request, const QString &apiPath)
{
    const Template *item = findTemplate(request.pathParameters.value(u"id"_s));
    if (!item)
        return detail(404, u"Not found."_s);

    std::vector<const JobRecord *> matches;
    const auto status = request.optionalQueryItem(u"status"_s);
    for (const JobRecord &record : m_jobs) {
        if (record.job.templateId == item->id && (!status || *status == record.job.status))
            matches.push_back(&record);
    }
    return listJobsOf(request, apiPath, std::move(matches));
}

// GET jobs/ with the filters AWX's FieldLookupBackend takes that a client of the split uses: exact and
// __in on job_template, unified_job_template, status and id, __gt/__gte/__lt/__lte on id and created. Any
// other field is AWX's 400.
HttpReply AwxApi::listJobs(const SimRequest &request, const QString &apiPath)
{
    static const QStringList paging { u"page"_s, u"page_size"_s, u"order_by"_s, u"count_disabled"_s };
    std::vector<std::function<bool(const AwxSimJob &)>> filters;
    for (const auto &[key, value] : request.query) {
        if (paging.contains(key))
            continue;
        const qsizetype split = key.indexOf(u"__"_s);
        const QString field = split < 0 ? key : key.left(split);
        const QString lookup = split < 0 ? u"exact"_s : key.mid(split + 2);
        const QStringList values = lookup == u"in"_s ? value.split(u',') : QStringList { value };
        if (field == u"job_template"_s || field == u"unified_job_template"_s || field == u"id"_s) {
            QList<qint64> numbers;
            for (const QString &text : values) {
                bool ok = false;
                numbers.append(text.trimmed().toLongLong(&ok));
                if (!ok)
                    return fieldErrors(key, { u"Enter a whole number."_s });
            }
            const bool byId = field == u"id"_s;
            const auto number
                = [byId](const AwxSimJob &job) { return qint64(byId ? job.id : job.templateId); };
            if (lookup == u"exact"_s || lookup == u"in"_s)
                filters.push_back([=](const AwxSimJob &job) { return numbers.contains(number(job)); });
            else if (byId && lookup == u"gt"_s)
                filters.push_back([=](const AwxSimJob &job) { return number(job) > numbers.front(); });
            else if (byId && lookup == u"gte"_s)
                filters.push_back([=](const AwxSimJob &job) { return number(job) >= numbers.front(); });
            else if (byId && lookup == u"lt"_s)
                filters.push_back([=](const AwxSimJob &job) { return number(job) < numbers.front(); });
            else
                return detail(400, u"Unsupported lookup '%1' for field '%2'"_s.arg(lookup, field));
        } else if (field == u"status"_s && (lookup == u"exact"_s || lookup == u"in"_s)) {
            filters.push_back([values](const AwxSimJob &job) { return values.contains(job.status); });
        } else if (field == u"created"_s && lookup != u"exact"_s && lookup != u"in"_s) {
            const QDateTime at = QDateTime::fromString(value, Qt::ISODateWithMs);
            if (!at.isValid())
                return fieldErrors(key, { u"Enter a valid date/time."_s });
            const qint64 ms = at.toMSecsSinceEpoch();
            if (lookup == u"gte"_s)
                filters.push_back([ms](const AwxSimJob &job) { return job.createdMs >= ms; });
            else if (lookup == u"gt"_s)
                filters.push_back([ms](const AwxSimJob &job) { return job.createdMs > ms; });
            else if (lookup == u"lte"_s)
                filters.push_back([ms](const AwxSimJob &job) { return job.createdMs <= ms; });
            else if (lookup == u"lt"_s)
                filters.push_back([ms](const AwxSimJob &job) { return job.createdMs < ms; });
            else
                return detail(400, u"Unsupported lookup '%1' for field '%2'"_s.arg(lookup, field));
        } else {
            return detail(400, u"Cannot resolve keyword '%1' into field."_s.arg(field));
        }
    }
    std::vector<const JobRecord *> matches;
    for (const JobRecord &record : m_jobs) {
        if (std::all_of(
                filters.cbegin(), filters.cend(), [&](const auto &filter) { return filter(record.job); }))
            matches.push_back(&record);
    }
    return listJobsOf(request, apiPath, std::move(matches));
}

HttpReply AwxApi::listJobsOf(
    const SimRequest &request, const QString &apiPath, std::vector<const JobRecord *> matches)
{
    // PostgreSQL's order: NULL sorts above every value, so unfinished jobs lead a descending order.
    QString orderBy = request.queryItem(u"order_by"_s);
    const bool descending = orderBy.startsWith(u'-');
    if (descending)
        orderBy.remove(0, 1);
    const auto key = [&orderBy](const JobRecord *record) -> qint64 {
        const auto orNull = [](qint64 ms) { return ms < 0 ? Never : ms; };
        if (orderBy == u"finished"_s)
            return orNull(record->job.finishedMs);
        if (orderBy == u"started"_s)
            return orNull(record->job.startedMs);
        if (orderBy == u"created"_s)
            return record->job.createdMs;
        return record->job.id;
    };
    static const QStringList orderable { QString(), u"id"_s, u"finished"_s, u"started"_s, u"created"_s };
    if (!orderable.contains(orderBy)) {
        return detail(400,
            u"Cannot resolve keyword '%1' into field. Choices are: created, finished, id, started, status"_s
                .arg(orderBy));
    }
    std::stable_sort(matches.begin(), matches.end(), [&](const JobRecord *a, const JobRecord *b) {
        const qint64 ka = key(a);
        const qint64 kb = key(b);
        if (ka != kb)
            return descending ? ka > kb : ka < kb;
        return descending ? a->job.id > b->job.id : a->job.id < b->job.id;
    });

    Json page;
    const std::function<Json(const JobRecord *const &)> serialize
        = [this, &apiPath](const JobRecord *const &record) {
              return AwxJson::job(*this, *record, apiPath, AwxJson::JobView::List);
          };
    if (auto refused = paginate<const JobRecord *>(request, matches, serialize, page))
        return *refused;
    return reply(page);
}

HttpReply AwxApi::getJob(const SimRequest &request, const QString &apiPath)
{
    const JobRecord *record = findJob(request.pathParameters.value(u"id"_s));
    if (!record)
        return detail(404, u"Not found."_s);
    return reply(AwxJson::job(*this, *record, apiPath, AwxJson::JobView::Detail));
}

HttpReply AwxApi::getCancel(const SimRequest &request, const QString &)
{
    const JobRecord *record = findJob(request.pathParameters.value(u"id"_s));
    if (!record)
        return detail(404, u"Not found."_s);
    return reply(Json { { "can_cancel", isActive(record->job.status) } });
}

HttpReply AwxApi::postCancel(const SimRequest &request, const QString &)
{
    JobRecord *record = findJob(request.pathParameters.value(u"id"_s));
    if (!record)
        return detail(404, u"Not found."_s);
    if (!isActive(record->job.status))
        return detail(405, u"Method \"POST\" not allowed."_s);
    const qint64 now = m_world.clock().nowMs();
    record->canceledMs = now;
    record->job.finishedMs = now;
    record->job.failed = true;
    setStatus(*record, u"canceled"_s);
    scheduleTimer();
    HttpReply accepted;
    accepted.status = 202;
    return accepted;
}

HttpReply AwxApi::getStdout(const SimRequest &request, const QString &)
{
    const JobRecord *record = findJob(request.pathParameters.value(u"id"_s));
    if (!record)
        return detail(404, u"Not found."_s);
    const QString text = output(*record);
    const QString format = request.queryItem(u"format"_s);
    if (format == u"txt"_s || format == u"ansi"_s) {
        HttpReply plain = HttpReply::json(text.toUtf8());
        plain.contentType = "text/plain; charset=utf-8";
        return plain;
    }
    const StdoutRange range = StdoutRange::of(
        text, request.optionalQueryItem(u"start_line"_s), request.optionalQueryItem(u"end_line"_s));
    return reply(Json {
        { "range",
            Json { { "start", range.start }, { "end", range.end }, { "absolute_end", range.absoluteEnd } } },
        { "content", str(range.content) } });
}

// ---- the job life cycle ----

void AwxApi::planJob(JobRecord &record, const Template &jobTemplate) const
{
    const QVariantMap &vars = record.job.extraVars;
    record.outcome = u"successful"_s;
    switch (jobTemplate.playbook) {
    case Playbook::SetWeight: {
        // The playbook's assert task: like Ansible's `| int`, "30" passes and 30.5 or "abc" do not.
        const QVariant canaryValue = vars.value(u"canary_weight"_s);
        const auto canary = wholeNumber(canaryValue);
        if (!canary || *canary < 0 || *canary > 100) {
            record.outcome = u"failed"_s;
            record.failureMessage = u"canary_weight must be a whole number from 0 to 100, got %1"_s.arg(
                vars.contains(u"canary_weight"_s) ? displayValue(canaryValue) : u"nothing"_s);
            break;
        }
        if (vars.contains(u"old_weight"_s)) {
            const auto old = wholeNumber(vars.value(u"old_weight"_s));
            if (!old || *old + *canary != 100) {
                record.outcome = u"failed"_s;
                record.failureMessage
                    = u"old_weight must be 100 - canary_weight = %1, got %2"_s.arg(100 - *canary)
                          .arg(displayValue(vars.value(u"old_weight"_s)));
                break;
            }
        }
        record.weight = int(*canary);
        record.artifacts
            = { { u"canary_weight"_s, record.weight }, { u"old_weight"_s, 100 - record.weight } };
        break;
    }
    case Playbook::Ramp:
        record.artifacts = { { u"canary_weight"_s, 100 }, { u"old_weight"_s, 0 } };
        break;
    case Playbook::Reset:
        record.weight = 0;
        record.artifacts = { { u"canary_weight"_s, 0 }, { u"old_weight"_s, 100 } };
        break;
    case Playbook::NoEffect:
        break;
    case Playbook::BrokenProject:
        record.outcome = u"error"_s;
        break;
    }
}

qint64 AwxApi::nextEventMs(const JobRecord &record) const
{
    const AwxSimJob &job = record.job;
    if (job.status == u"pending"_s) {
        // allow_simultaneous is off: AWX keeps a job pending while an older one of its template is under way.
        qint64 at = job.createdMs + m_pendingMs;
        for (const JobRecord &other : m_jobs) {
            if (other.job.id >= job.id)
                break;
            if (other.job.templateId != job.templateId)
                continue;
            if (isActive(other.job.status))
                return Never;
            at = std::max(at, other.job.finishedMs);
        }
        return at;
    }
    if (job.status != u"running"_s)
        return Never;
    const Template *item = findTemplate(QString::number(job.templateId));
    if (item && item->playbook == Playbook::Ramp) {
        if (record.rampStep < int(std::size(RampWeights)))
            return job.startedMs + qint64(record.rampStep) * m_rampStepMs;
        return job.startedMs + qint64(std::size(RampWeights) - 1) * m_rampStepMs + m_runMs;
    }
    return job.startedMs + m_runMs;
}

WeightOrigin AwxApi::weightOrigin(const JobRecord &record, const Template &jobTemplate, qint64 atMs) const
{
    return WeightOrigin { u"AWX job #%1 of '%2'"_s.arg(record.job.id).arg(jobTemplate.name),
        record.job.launchedBy, ApiPaths.front() + u"jobs/%1/"_s.arg(record.job.id), atMs };
}

void AwxApi::setStatus(JobRecord &record, const QString &status)
{
    record.job.status = status;
    Q_EMIT jobStatusChanged(record.job.id, status);
}

void AwxApi::step(JobRecord &record, qint64 atMs)
{
    AwxSimJob &job = record.job;
    const Template *item = findTemplate(QString::number(job.templateId));
    if (job.status == u"pending"_s) {
        job.startedMs = atMs;
        if (item->playbook == Playbook::BrokenProject) {
            // The task manager's project update failed, so the job itself never ran.
            job.finishedMs = atMs;
            job.failed = true;
            job.jobExplanation
                = u"Previous Task Failed: {\"job_type\": \"project_update\", \"job_name\": \"%1\", \"job_id\": \"%2\"}"_s
                      .arg(ProjectName)
                      .arg(record.projectUpdateId);
            setStatus(record, u"error"_s);
            return;
        }
        setStatus(record, u"running"_s);
        if (item->playbook != Playbook::Ramp)
            return;
    }
    if (item->playbook == Playbook::Ramp && record.rampStep < int(std::size(RampWeights))) {
        const int weight = RampWeights[record.rampStep++];
        m_world.setCanaryWeight(weight, weightOrigin(record, *item, atMs));
        // The playbook hands Jenkins REMEDIATION_ACTION = {{ remediation_template_id }}, launch vars
        // included.
        if (m_weightReporter)
            m_weightReporter(weight, job.extraVars.value(u"remediation_template_id"_s).toString(), atMs);
        return;
    }

    job.finishedMs = atMs;
    job.failed = record.outcome != u"successful"_s;
    if (!job.failed)
        job.artifacts = record.artifacts;
    // The status first: whoever watches the world sees the job already successful when the weight moves.
    setStatus(record, record.outcome);
    if (!job.failed && record.weight >= 0)
        m_world.setCanaryWeight(record.weight, weightOrigin(record, *item, atMs));
    // The reset task sends REMEDIATION_ACTION=NA whatever the template's vars say.
    if (!job.failed && item->playbook == Playbook::Reset && m_weightReporter)
        m_weightReporter(record.weight, u"NA"_s, atMs);
}

void AwxApi::advance()
{
    if (m_advancing)
        return;
    m_advancing = true;
    const qint64 now = m_world.clock().nowMs();
    // Events of all jobs in time order, so two overlapping jobs move the router in the order they would.
    for (;;) {
        JobRecord *next = nullptr;
        qint64 nextMs = Never;
        for (JobRecord &record : m_jobs) {
            const qint64 at = nextEventMs(record);
            if (at <= now && at < nextMs) {
                next = &record;
                nextMs = at;
            }
        }
        if (!next)
            break;
        step(*next, nextMs);
    }
    m_advancing = false;
    scheduleTimer();
}

void AwxApi::scheduleTimer()
{
    if (m_virtualClock)
        return;
    qint64 nextMs = Never;
    for (const JobRecord &record : m_jobs)
        nextMs = std::min(nextMs, nextEventMs(record));
    if (nextMs == Never) {
        m_timer.stop();
        return;
    }
    const qint64 delay
        = std::clamp<qint64>(nextMs - m_world.clock().nowMs(), 0, std::numeric_limits<int>::max());
    m_timer.start(int(delay));
}

QString AwxApi::output(const JobRecord &record) const
{
    const AwxSimJob &job = record.job;
    const Template *item = findTemplate(QString::number(job.templateId));
    if (job.startedMs < 0 || item->playbook == Playbook::BrokenProject)
        return {};
    const bool finished = job.finishedMs >= 0;
    const bool canceled = job.status == u"canceled"_s;
    QString text = u"\n"_s + banner(u"PLAY [%1]"_s.arg(item->name)) + u'\n';
    int ok = 0;
    int changed = 0;
    switch (item->playbook) {
    case Playbook::SetWeight:
        text += banner(u"TASK [Check canary_weight]"_s);
        if (record.outcome == u"failed"_s && finished && !canceled) {
            text += u"fatal: [localhost]: FAILED! => {\n"_s
                + u"    \"assertion\": \"canary_weight | int >= 0 and canary_weight | int <= 100\",\n"_s
                + u"    \"changed\": false,\n    \"evaluated_to\": false,\n"_s + u"    \"msg\": "_s
                + QString::fromStdString(Json(str(record.failureMessage)).dump()) + u"\n}\n"_s
                + recap(0, 0, 1);
            return text;
        }
        text
            += u"ok: [localhost] => {\n    \"changed\": false,\n    \"msg\": \"All assertions passed\"\n}\n\n"_s;
        ++ok;
        if (!finished || canceled)
            return text;
        text += banner(u"TASK [Shift traffic]"_s) + u"changed: [localhost]\n\n"_s
            + banner(u"TASK [Publish applied weight]"_s) + u"ok: [localhost]\n"_s;
        ok += 2;
        ++changed;
        break;
    case Playbook::Ramp:
        text += banner(u"TASK [Increment canary weight]"_s);
        for (int i = 0; i < record.rampStep; ++i) {
            text += u"changed: [localhost] => (item={'oldWeight': %1, 'canaryWeight': %2})\n"_s
                        .arg(100 - RampWeights[i])
                        .arg(RampWeights[i]);
        }
        if (!finished || canceled)
            return text;
        ++ok;
        ++changed;
        break;
    case Playbook::Reset:
        text += banner(u"TASK [Reset canary weight to 0]"_s);
        if (!finished || canceled)
            return text;
        text += u"changed: [localhost]\n"_s;
        ++ok;
        ++changed;
        break;
    case Playbook::NoEffect:
        text += banner(u"TASK [Shift traffic]"_s);
        if (!finished || canceled)
            return text;
        text += u"skipping: [localhost]\n"_s;
        break;
    case Playbook::BrokenProject:
        break;
    }
    return text + recap(ok, changed, 0);
}

} // namespace canary::sim
