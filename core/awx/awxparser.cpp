#include "awxparser.h"

#include <cstdint>
#include <limits>

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <nlohmann/json.hpp>

#include "util/jsonparse.h"

using namespace Qt::Literals::StringLiterals;
// Ordered, so a 400's field messages are joined in the order AWX wrote them.
using Json = nlohmann::ordered_json;

namespace canary::awx {

namespace {

QString toQString(const Json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

// The parsed value as the Qt JSON value the value types carry (artifacts, extra vars), walked directly: the
// parser reads JSON once, with one library. Integers that fit stay integers (qint64), as QJsonDocument keeps
// them. Nesting deeper than QJsonDocument accepts (1024) is cut off rather than recursed into.
QJsonValue toQJsonValue(const Json &value, int depth = 0)
{
    constexpr int MaxDepth = 1024;
    if (depth > MaxDepth)
        return QJsonValue::Null;
    switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
        return QJsonValue::Null;
    case Json::value_t::boolean:
        return value.get<bool>();
    case Json::value_t::number_integer:
        return qint64(value.get<std::int64_t>());
    case Json::value_t::number_unsigned: {
        const auto number = value.get<std::uint64_t>();
        return number <= std::uint64_t(std::numeric_limits<qint64>::max()) ? QJsonValue(qint64(number))
                                                                           : QJsonValue(double(number));
    }
    case Json::value_t::number_float:
        return value.get<double>();
    case Json::value_t::string:
        return toQString(value);
    case Json::value_t::array: {
        QJsonArray array;
        for (const Json &item : value)
            array.append(toQJsonValue(item, depth + 1));
        return array;
    }
    case Json::value_t::object: {
        QJsonObject object;
        for (const auto &[key, item] : value.items())
            object.insert(QString::fromStdString(key), toQJsonValue(item, depth + 1));
        return object;
    }
    case Json::value_t::binary:
        break;
    }
    return QJsonValue::Undefined;
}

QString keyPath(const QString &parent, const char *key)
{
    return parent.isEmpty() ? QString::fromLatin1(key) : parent + u'.' + QString::fromLatin1(key);
}

// Walks the DOM and keeps the first shape error with its JSON path; every reader returns false once
// something is wrong, so callers bail out with a plain `if (!…) return false;`.
class Reader
{
public:
    std::optional<AwxError> error;

    bool fail(const QString &path, const QString &expectation)
    {
        if (!error)
            error = AwxError::unexpectedShape(path + u": "_s + expectation);
        return false;
    }

    static const Json *member(const Json &object, const char *key)
    {
        const auto it = object.find(key);
        return it == object.end() || it->is_null() ? nullptr : &*it;
    }

    bool integer(const Json &object, const char *key, const QString &parent, int &out, bool required)
    {
        const Json *value = member(object, key);
        if (!value)
            return required ? fail(keyPath(parent, key), u"missing"_s) : true;
        if (!value->is_number_integer())
            return fail(keyPath(parent, key), u"expected a whole number"_s);
        const auto number = value->get<std::int64_t>();
        if (number < 0 || number > std::numeric_limits<int>::max())
            return fail(keyPath(parent, key), u"out of range"_s);
        out = int(number);
        return true;
    }

    bool string(
        const Json &object, const char *key, const QString &parent, QString &out, bool required = false)
    {
        const Json *value = member(object, key);
        if (!value)
            return required ? fail(keyPath(parent, key), u"missing"_s) : true;
        if (!value->is_string())
            return fail(keyPath(parent, key), u"expected a string"_s);
        out = toQString(*value);
        return true;
    }

    bool boolean(const Json &object, const char *key, const QString &parent, bool &out, bool required = false)
    {
        const Json *value = member(object, key);
        if (!value)
            return required ? fail(keyPath(parent, key), u"missing"_s) : true;
        if (!value->is_boolean())
            return fail(keyPath(parent, key), u"expected true or false"_s);
        out = value->get<bool>();
        return true;
    }

    bool stringList(const Json &object, const char *key, const QString &parent, QStringList &out)
    {
        const Json *value = member(object, key);
        if (!value)
            return true;
        if (!value->is_array())
            return fail(keyPath(parent, key), u"expected a list"_s);
        for (const Json &item : *value) {
            if (!item.is_string())
                return fail(keyPath(parent, key), u"expected a list of strings"_s);
            out.append(toQString(item));
        }
        return true;
    }

    bool object(const Json &parentObject, const char *key, const QString &parent, QJsonObject &out)
    {
        const Json *value = member(parentObject, key);
        if (!value)
            return true;
        if (!value->is_object())
            return fail(keyPath(parent, key), u"expected an object"_s);
        out = toQJsonValue(*value).toObject();
        return true;
    }

    // extra_vars is documented as a string but some versions and views send an object.
    bool extraVars(const Json &object, const QString &parent, QString &text)
    {
        const Json *value = member(object, "extra_vars");
        if (!value)
            return true;
        if (value->is_string()) {
            text = toQString(*value);
            return true;
        }
        if (value->is_object()) {
            text = QString::fromStdString(value->dump());
            return true;
        }
        return fail(keyPath(parent, "extra_vars"), u"expected a string or an object"_s);
    }

    bool timestamp(const Json &object, const char *key, const QString &parent, QDateTime &out)
    {
        QString text;
        if (!string(object, key, parent, text))
            return false;
        if (text.isEmpty())
            return true;
        out = QDateTime::fromString(text, Qt::ISODateWithMs);
        return out.isValid() ? true : fail(keyPath(parent, key), u"expected an ISO 8601 time"_s);
    }

    bool type(const Json &object, const QString &parent, const char *expected)
    {
        QString actual;
        if (!string(object, "type", parent, actual))
            return false;
        if (!actual.isEmpty() && actual != QLatin1StringView(expected))
            return fail(keyPath(parent, "type"),
                u"expected \"%1\", not \"%2\""_s.arg(QLatin1StringView(expected), actual));
        return true;
    }

    bool jobTemplate(const Json &value, const QString &path, JobTemplate &out)
    {
        if (!value.is_object())
            return fail(path.isEmpty() ? u"root"_s : path, u"expected a job template object"_s);
        if (!type(value, path, "job_template") || !integer(value, "id", path, out.id, true)
            || !string(value, "name", path, out.name, true) || !string(value, "url", path, out.url)
            || !boolean(value, "ask_variables_on_launch", path, out.askVariablesOnLaunch)
            || !boolean(value, "survey_enabled", path, out.surveyEnabled)
            || !extraVars(value, path, out.extraVarsText))
            return false;
        if (const Json *related = member(value, "related"); related && related->is_object()) {
            if (!string(*related, "launch", keyPath(path, "related"), out.launchUrl))
                return false;
        }
        if (out.launchUrl.isEmpty() && !out.url.isEmpty())
            out.launchUrl = out.url + u"launch/"_s;
        if (const Json *summary = member(value, "summary_fields"); summary && summary->is_object()) {
            const QString summaryPath = keyPath(path, "summary_fields");
            if (const Json *organization = member(*summary, "organization");
                organization && organization->is_object()) {
                if (!string(*organization, "name", keyPath(summaryPath, "organization"), out.organization))
                    return false;
            }
            if (const Json *capabilities = member(*summary, "user_capabilities");
                capabilities && capabilities->is_object()) {
                bool start = false;
                if (member(*capabilities, "start")) {
                    if (!boolean(*capabilities, "start", keyPath(summaryPath, "user_capabilities"), start))
                        return false;
                    out.canStart = start;
                }
            }
        }
        return true;
    }

    // `requireId`: a launch answer's job may come without its own id (it repeats it as "job").
    bool job(const Json &value, const QString &path, Job &out, bool requireId = true)
    {
        if (!value.is_object())
            return fail(path.isEmpty() ? u"root"_s : path, u"expected a job object"_s);
        if (!type(value, path, "job") || !integer(value, "id", path, out.id, requireId)
            || !string(value, "status", path, out.status, requireId) || !string(value, "name", path, out.name)
            || !string(value, "url", path, out.url)
            || !integer(value, "job_template", path, out.templateId, false)
            || !boolean(value, "failed", path, out.failed)
            || !string(value, "job_explanation", path, out.jobExplanation)
            || !object(value, "artifacts", path, out.artifacts) || !extraVars(value, path, out.extraVarsText)
            || !timestamp(value, "started", path, out.started)
            || !timestamp(value, "finished", path, out.finished)
            || !boolean(value, "event_processing_finished", path, out.eventProcessingFinished)
            || !timestamp(value, "created", path, out.created))
            return false;
        out.hasArtifacts = member(value, "artifacts") != nullptr;
        out.hasExtraVars = member(value, "extra_vars") != nullptr;
        out.launchedBy = launcher(value);
        if (member(value, "result_traceback")) {
            QString traceback;
            if (!string(value, "result_traceback", path, traceback))
                return false;
            out.resultTraceback = traceback;
        }
        if (const Json *elapsed = member(value, "elapsed")) {
            if (!elapsed->is_number())
                return fail(keyPath(path, "elapsed"), u"expected a number of seconds"_s);
            out.elapsed = elapsed->get<double>();
        }
        out.extraVars = parseExtraVars(out.extraVarsText);
        return true;
    }

    // Leniently: who launched a job is for people, and a shape this parser does not know must not cost the
    // job (and the split it tells).
    static QString launcher(const Json &job)
    {
        const auto text = [](const Json *object, const char *key) -> QString {
            if (!object || !object->is_object())
                return {};
            const Json *value = member(*object, key);
            return value && value->is_string() ? toQString(*value) : QString();
        };
        if (QString name = text(member(job, "launched_by"), "name"); !name.isEmpty())
            return name;
        const Json *summary = member(job, "summary_fields");
        if (!summary || !summary->is_object())
            return {};
        return text(member(*summary, "created_by"), "username");
    }

    template<typename T, typename ReadItem>
    bool page(const Json &root, Page<T> &out, ReadItem readItem)
    {
        if (!root.is_object())
            return fail(u"root"_s, u"expected a page object with \"results\""_s);
        const Json *results = member(root, "results");
        if (!results)
            return fail(u"results"_s, u"missing: not a list page"_s);
        if (!results->is_array())
            return fail(u"results"_s, u"expected a list"_s);
        out.count = -1;
        if (const Json *count = member(root, "count")) {
            if (!count->is_number_integer() || count->get<std::int64_t>() < 0)
                return fail(u"count"_s, u"expected a whole number"_s);
            out.count = count->get<std::int64_t>();
        }
        if (!string(root, "next", {}, out.next) || !string(root, "previous", {}, out.previous))
            return false;
        std::size_t index = 0;
        for (const Json &item : *results) {
            T value;
            if (!(this->*readItem)(item, u"results[%1]"_s.arg(index++), value))
                return false;
            out.results.append(std::move(value));
        }
        return true;
    }

    bool jobItem(const Json &value, const QString &path, Job &out) { return job(value, path, out); }
};

std::optional<AwxError> parseRoot(QByteArrayView json, Json &root)
{
    if (json.trimmed().isEmpty())
        return AwxError::malformedJson(u"empty body"_s);
    root = Json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded())
        return AwxError::malformedJson(jsonParseErrorMessage(json));
    return std::nullopt;
}

template<typename T, typename Read>
Expected<T, AwxError> parseWith(QByteArrayView json, Read read)
{
    Json root;
    if (auto error = parseRoot(json, root))
        return *error;
    Reader reader;
    T value;
    if (!read(reader, root, value))
        return *reader.error;
    return value;
}

QStringList messagesOf(const Json &value)
{
    QStringList messages;
    if (value.is_string()) {
        messages.append(toQString(value));
    } else if (value.is_array()) {
        for (const Json &item : value)
            messages.append(messagesOf(item));
    } else if (value.is_object()) {
        // Nested serializer errors: {"extra_vars": {"canary_weight": ["…"]}}.
        for (const auto &[key, item] : value.items()) {
            for (const QString &message : messagesOf(item))
                messages.append(QString::fromStdString(key) + u": "_s + message);
        }
    } else if (!value.is_null()) {
        messages.append(QString::fromStdString(value.dump()));
    }
    return messages;
}

QJsonValue yamlScalar(QString text)
{
    text = text.trimmed();
    // An inline comment starts at " #" outside quotes; scalars the console reads never contain one.
    if (!text.startsWith(u'"') && !text.startsWith(u'\'')) {
        const qsizetype comment = text.indexOf(u" #"_s);
        if (comment >= 0)
            text = text.left(comment).trimmed();
    }
    if (text.size() >= 2
        && ((text.startsWith(u'"') && text.endsWith(u'"'))
            || (text.startsWith(u'\'') && text.endsWith(u'\''))))
        return text.mid(1, text.size() - 2);
    if (text.isEmpty() || text == u"~"_s || text == u"null"_s)
        return QJsonValue::Null;
    if (text == u"true"_s || text == u"True"_s)
        return true;
    if (text == u"false"_s || text == u"False"_s)
        return false;
    bool ok = false;
    const qint64 integer = text.toLongLong(&ok);
    if (ok)
        return integer;
    const double number = text.toDouble(&ok);
    if (ok)
        return number;
    return text;
}

} // namespace

Expected<JobTemplate, AwxError> parseJobTemplate(QByteArrayView json)
{
    return parseWith<JobTemplate>(json,
        [](Reader &reader, const Json &root, JobTemplate &out) { return reader.jobTemplate(root, {}, out); });
}

Expected<Page<JobTemplate>, AwxError> parseJobTemplatePage(QByteArrayView json)
{
    return parseWith<Page<JobTemplate>>(json, [](Reader &reader, const Json &root, Page<JobTemplate> &out) {
        return reader.page(root, out, &Reader::jobTemplate);
    });
}

Expected<LaunchInfo, AwxError> parseLaunchInfo(QByteArrayView json)
{
    return parseWith<LaunchInfo>(json, [](Reader &reader, const Json &root, LaunchInfo &out) {
        if (!root.is_object())
            return reader.fail(u"root"_s, u"expected the launch pre-flight object"_s);
        if (!reader.boolean(root, "can_start_without_user_input", {}, out.canStartWithoutUserInput, true)
            || !reader.boolean(root, "ask_variables_on_launch", {}, out.askVariablesOnLaunch)
            || !reader.boolean(root, "survey_enabled", {}, out.surveyEnabled)
            || !reader.boolean(root, "inventory_needed_to_start", {}, out.inventoryNeededToStart)
            || !reader.stringList(root, "variables_needed_to_start", {}, out.variablesNeededToStart)
            || !reader.stringList(root, "passwords_needed_to_start", {}, out.passwordsNeededToStart))
            return false;
        if (const Json *data = Reader::member(root, "job_template_data"); data && data->is_object()) {
            if (!reader.integer(*data, "id", u"job_template_data"_s, out.templateId, false)
                || !reader.string(*data, "name", u"job_template_data"_s, out.templateName))
                return false;
        }
        if (const Json *defaults = Reader::member(root, "defaults"); defaults && defaults->is_object())
            return reader.extraVars(*defaults, u"defaults"_s, out.defaultExtraVarsText);
        return true;
    });
}

Expected<LaunchResult, AwxError> parseLaunchResult(QByteArrayView json)
{
    return parseWith<LaunchResult>(json, [](Reader &reader, const Json &root, LaunchResult &out) {
        if (!root.is_object())
            return reader.fail(u"root"_s, u"expected the launched job"_s);
        if (!reader.integer(root, "job", {}, out.jobId, true)
            || !reader.object(root, "ignored_fields", {}, out.ignoredFields)
            || !reader.job(root, {}, out.job, false))
            return false;
        if (out.job.id == 0)
            out.job.id = out.jobId;
        out.jobUrl = out.job.url;
        return true;
    });
}

Expected<Job, AwxError> parseJob(QByteArrayView json)
{
    return parseWith<Job>(
        json, [](Reader &reader, const Json &root, Job &out) { return reader.job(root, {}, out); });
}

Expected<Page<Job>, AwxError> parseJobPage(QByteArrayView json)
{
    return parseWith<Page<Job>>(json, [](Reader &reader, const Json &root, Page<Job> &out) {
        return reader.page(root, out, &Reader::jobItem);
    });
}

Expected<QString, AwxError> parseStdoutContent(QByteArrayView json)
{
    return parseWith<QString>(json, [](Reader &reader, const Json &root, QString &out) {
        if (!root.is_object())
            return reader.fail(u"root"_s, u"expected {\"range\":…,\"content\":…}"_s);
        return reader.string(root, "content", {}, out, true);
    });
}

std::optional<AwxError> parseErrorBody(QByteArrayView json)
{
    const Json root = Json::parse(json.begin(), json.end(), nullptr, false);
    if (root.is_discarded())
        return std::nullopt;
    AwxError error;
    if (root.is_string() || root.is_array()) {
        error.message = messagesOf(root).join(u"; "_s);
    } else if (root.is_object()) {
        const auto detail = root.find("detail");
        if (detail != root.end() && detail->is_string()) {
            error.message = toQString(*detail);
        } else {
            for (const auto &[key, value] : root.items())
                error.fieldErrors.append({ QString::fromStdString(key), messagesOf(value) });
            error.message = AwxError::joinFieldErrors(error.fieldErrors);
        }
    } else {
        return std::nullopt;
    }
    return error;
}

QJsonObject parseExtraVars(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return {};
    if (trimmed.startsWith(u'{')) {
        const QByteArray utf8 = trimmed.toUtf8();
        const Json document = Json::parse(utf8.cbegin(), utf8.cend(), nullptr, false);
        if (!document.is_discarded() && document.is_object())
            return toQJsonValue(document).toObject();
    }
    static const QRegularExpression entry(u"^([A-Za-z_][A-Za-z0-9_]*)\\s*:(?:\\s+(.*))?$"_s);
    QJsonObject vars;
    const QStringList lines = trimmed.split(u'\n');
    for (QString line : lines) {
        if (line.endsWith(u'\r'))
            line.chop(1);
        // Indented lines belong to a nested value, which the console never needs.
        if (line.isEmpty() || line.startsWith(u' ') || line.startsWith(u'\t') || line.startsWith(u'#')
            || line.startsWith(u"---"_s) || line.startsWith(u"..."_s) || line.startsWith(u'-'))
            continue;
        const QRegularExpressionMatch match = entry.match(line);
        if (!match.hasMatch())
            return {}; // not a YAML mapping at all
        const QString value = match.captured(2);
        if (value.trimmed().isEmpty())
            continue; // a nested mapping or list follows
        vars.insert(match.captured(1), yamlScalar(value));
    }
    return vars;
}

} // namespace canary::awx
