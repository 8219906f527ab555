#include "profilefile.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <vector>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>

#include "net/redaction.h"
#include "targetoptions.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::profile {

namespace {

constexpr qint64 MaximumFileSize = 1024 * 1024;

using Reader = std::function<QString(Profile &, const QString &value, const EntryOptions &)>;
using Writer = std::function<QStringList(const Profile &)>;

struct Field
{
    QString key;
    QString section; // a comment written before the key; empty: none
    Reader read; // returns an error message, or nothing
    Writer write;
    bool repeatable = false;
};

Field textField(const QString &key, QString Profile::*member, const QString &section = {})
{
    return { key, section,
        [member](Profile &profile, const QString &value, const EntryOptions &) {
            profile.*member = value;
            return QString();
        },
        [member](const Profile &profile) { return QStringList { profile.*member }; } };
}

Field secondsField(const QString &key, int Profile::*member, const QString &section = {})
{
    return { key, section,
        [key, member](Profile &profile, const QString &value, const EntryOptions &) {
            static const QRegularExpression digits(u"^[0-9]+$"_s);
            bool ok = false;
            const int seconds = digits.match(value).hasMatch() ? value.toInt(&ok) : 0;
            if (!ok)
                return u"%1 must be a whole number of seconds, not '%2'"_s.arg(key, value);
            profile.*member = seconds;
            return QString();
        },
        [member](const Profile &profile) { return QStringList { QString::number(profile.*member) }; } };
}

// guard.max-step: a step in whole percentage points ("25", "25%"); the range is validate()'s.
Field percentPointsField(const QString &key, int Profile::*member, const QString &section = {})
{
    return { key, section,
        [key, member](Profile &profile, const QString &value, const EntryOptions &) {
            static const QRegularExpression digits(u"^[0-9]+ *%?$"_s);
            bool ok = false;
            QString number = value;
            number.remove(u'%');
            const int points = digits.match(value).hasMatch() ? number.trimmed().toInt(&ok) : 0;
            if (!ok)
                return u"%1 must be a whole number of percentage points, not '%2'"_s.arg(key, value);
            profile.*member = points;
            return QString();
        },
        [member](const Profile &profile) { return QStringList { QString::number(profile.*member) }; } };
}

Field boolField(const QString &key, bool Profile::*member, const QString &section = {})
{
    return { key, section,
        [key, member](Profile &profile, const QString &value, const EntryOptions &) {
            const QString lower = value.toLower();
            if (lower == u"true"_s || lower == u"yes"_s || lower == u"on"_s) {
                profile.*member = true;
            } else if (lower == u"false"_s || lower == u"no"_s || lower == u"off"_s) {
                profile.*member = false;
            } else {
                return u"%1 must be true or false (yes/no, on/off), not '%2'"_s.arg(key, value);
            }
            return QString();
        },
        [member](
            const Profile &profile) { return QStringList { profile.*member ? u"true"_s : u"false"_s }; } };
}

// awx.url, kube.server: a bare host gets https://; what else is wrong validate() says.
Field urlField(const QString &key, QUrl Profile::*member, const QString &section = {})
{
    return { key, section,
        [key, member](Profile &profile, const QString &value, const EntryOptions &) {
            if (value.isEmpty()) {
                profile.*member = QUrl();
                return QString();
            }
            const QUrl url(
                value.contains(u"://"_s) ? value : QString(u"https://"_s + value), QUrl::StrictMode);
            if (!url.isValid())
                return u"%1: '%2' is not a valid URL"_s.arg(key, value);
            profile.*member = url;
            return QString();
        },
        [member](const Profile &profile) { return QStringList { (profile.*member).toString() }; } };
}

const std::vector<Field> &fields()
{
    static const std::vector<Field> all = [] {
        std::vector<Field> list;
        list.push_back(textField(u"name"_s, &Profile::name));
        list.push_back({ u"dynatrace.url"_s,
            u"Dynatrace environment: SaaS, Managed /e/<id> or ActiveGate; empty: the embedded simulator"_s,
            [](Profile &profile, const QString &value, const EntryOptions &) {
                if (value.isEmpty()) {
                    profile.dynatraceUrl = QUrl();
                    return QString();
                }
                const QUrl raw(value.contains(u"://"_s) ? value : QString(u"https://"_s + value));
                if (!raw.userInfo().isEmpty())
                    return u"dynatrace.url must not carry a user name or password: the API token lives in "
                           "the keychain or DT_API_TOKEN"_s;
                const auto url = normaliseDynatraceUrl(value);
                if (!url)
                    return u"dynatrace.url: %1"_s.arg(url.error());
                profile.dynatraceUrl = url.value();
                return QString();
            },
            [](const Profile &profile) { return QStringList { profile.dynatraceUrl.toString() }; } });
        list.push_back(textField(u"target.entity-selector"_s, &Profile::entitySelector,
            u"What is watched: the service, its per-build request-count metric, the dimension holding the "
            u"build\n"
            "(empty: from the metric's descriptor), and which build is which (empty: the older is stable)"_s));
        list.push_back(textField(u"target.metric-selector"_s, &Profile::metricSelector));
        list.push_back(textField(u"target.failure-metric"_s, &Profile::failureMetricSelector));
        list.push_back(textField(u"target.response-time-metric"_s, &Profile::responseTimeMetricSelector));
        list.push_back(textField(u"target.build-dimension"_s, &Profile::buildDimension));
        list.push_back(textField(u"target.stable-build"_s, &Profile::stableBuild));
        list.push_back(textField(u"target.canary-build"_s, &Profile::canaryBuild));
        list.push_back(secondsField(u"refresh"_s, &Profile::refreshSeconds,
            u"Seconds between refreshes (at least 5); the window and the resolution in Dynatrace's syntax\n"
            "(an empty resolution: Dynatrace's default)"_s));
        list.push_back(textField(u"from"_s, &Profile::from));
        list.push_back(textField(u"resolution"_s, &Profile::resolution));
        list.push_back(textField(u"traffic.backend"_s, &Profile::trafficBackend,
            u"Where the split lives: sim, awx or kubernetes (docs/traffic-backends.md)"_s));
        list.push_back(urlField(u"awx.url"_s, &Profile::awxUrl,
            u"AWX / Automation Controller: moves traffic (awx back-end) and runs backout plans. An empty "
            u"url:\n"
            "CONTROLLER_HOST. api-path: /api/v2/ or /api/controller/v2/. auth: token "
            "(CONTROLLER_OAUTH_TOKEN)\n"
            "or basic (the username here, CONTROLLER_PASSWORD in the environment)"_s));
        list.push_back(textField(u"awx.api-path"_s, &Profile::awxApiPath));
        list.push_back(textField(u"awx.auth"_s, &Profile::awxAuth));
        list.push_back(textField(u"awx.username"_s, &Profile::awxUsername));
        list.push_back(textField(u"awx.template"_s, &Profile::awxTemplate));
        list.push_back(textField(u"awx.canary-var"_s, &Profile::awxCanaryVar));
        list.push_back(textField(u"awx.old-var"_s, &Profile::awxOldVar));
        list.push_back(textField(u"kube.object"_s, &Profile::kubeObject,
            u"Kubernetes back-end: ingress/NS/NAME, traefikservice/NS/NAME or httproute/NS/NAME; the "
            u"kubeconfig\n"
            "context (empty: current-context) or an API server (its token in KUBE_TOKEN)"_s));
        list.push_back(textField(u"kube.context"_s, &Profile::kubeContext));
        list.push_back(urlField(u"kube.server"_s, &Profile::kubeServer));
        list.push_back({ u"rollback.allow-origin"_s,
            u"Rollback: origins trusted in backout plans besides the AWX (one line each), the confirmation,\n"
            "the opt-in auto-remediation and its countdown in seconds (at least 5)"_s,
            [](Profile &profile, const QString &value, const EntryOptions &) {
                const auto origin = normaliseOrigin(value);
                if (!origin)
                    return u"rollback.allow-origin: %1"_s.arg(origin.error());
                if (!profile.allowedOrigins.contains(origin->toString()))
                    profile.allowedOrigins.append(origin->toString());
                return QString();
            },
            [](const Profile &profile) { return profile.allowedOrigins; }, true });
        list.push_back({ u"rollback.allow-template"_s,
            u"The AWX job templates a backout plan may launch, by id or exact name (one line each; none: "
            u"any\n"
            "template an event names), and the dt.event.source plans are taken from (empty: any)"_s,
            [](Profile &profile, const QString &value, const EntryOptions &) {
                if (!value.isEmpty() && !profile.allowedTemplates.contains(value))
                    profile.allowedTemplates.append(value);
                return QString();
            },
            [](const Profile &profile) { return profile.allowedTemplates; }, true });
        list.push_back(textField(u"rollback.plan-source"_s, &Profile::planEventSource));
        list.push_back(boolField(u"rollback.confirm"_s, &Profile::confirmRollback));
        list.push_back(boolField(u"auto-remediation.enabled"_s, &Profile::autoRemediate));
        list.push_back(secondsField(u"auto-remediation.countdown"_s, &Profile::countdownSeconds));
        list.push_back(boolField(u"guard.enabled"_s, &Profile::guardEnabled,
            u"Guard-rails on traffic increases (docs/guardrails.md): the largest step up in percentage\n"
            "points (1 to 100), seconds between increases (0: none), and what freezes increases; decreases\n"
            "and rollbacks are never blocked"_s));
        list.push_back(percentPointsField(u"guard.max-step"_s, &Profile::guardMaxStepPercent));
        list.push_back(secondsField(u"guard.min-interval"_s, &Profile::guardMinIntervalSeconds));
        list.push_back(boolField(u"guard.freeze-on-problem"_s, &Profile::guardFreezeOnProblem));
        list.push_back(boolField(u"guard.freeze-on-stale"_s, &Profile::guardFreezeOnStale));
        list.push_back(boolField(u"guard.freeze-on-fail"_s, &Profile::guardFreezeOnFail));
        list.push_back({ u"tls.ca-bundle"_s,
            u"TLS: a PEM file of extra CAs (empty: the system's; a relative path is relative to this file);\n"
            "allow-insecure skips certificate checks"_s,
            [](Profile &profile, const QString &value, const EntryOptions &options) {
                QString path = value;
                if (path == u"~"_s || path.startsWith(u"~/"_s))
                    path = QDir::homePath() + path.mid(1);
                if (!path.isEmpty() && QDir::isRelativePath(path) && !options.baseDirectory.isEmpty())
                    path = QDir(options.baseDirectory).absoluteFilePath(path);
                profile.caBundle = path.isEmpty() ? QString() : QDir::cleanPath(path);
                return QString();
            },
            [](const Profile &profile) { return QStringList { profile.caBundle }; } });
        list.push_back(boolField(u"tls.allow-insecure"_s, &Profile::allowInsecureTls));
        return list;
    }();
    return all;
}

const Field *findField(const QString &key)
{
    for (const Field &field : fields()) {
        if (field.key == key)
            return &field;
    }
    return nullptr;
}

// Where the secret an operator tried to put here belongs instead.
QString secretHome(const QString &key)
{
    if (key.startsWith(u"awx"_s) || key.contains(u"controller"_s) || key.contains(u"tower"_s))
        return u"CONTROLLER_OAUTH_TOKEN, CONTROLLER_PASSWORD"_s;
    if (key.startsWith(u"kube"_s) || key.startsWith(u"k8s"_s))
        return u"KUBE_TOKEN, KUBECONFIG"_s;
    return u"DT_API_TOKEN"_s;
}

// Where a token of this kind (net::tokenShapeIn) belongs, whichever key it was pasted under.
QString tokenHome(const QString &kind, const QString &key)
{
    if (kind == u"a Dynatrace token"_s)
        return u"DT_API_TOKEN"_s;
    if (kind == u"an AWX token"_s)
        return u"CONTROLLER_OAUTH_TOKEN"_s;
    if (kind == u"a JSON Web Token"_s)
        return u"KUBE_TOKEN"_s;
    return secretHome(key);
}

int editDistance(const QString &a, const QString &b)
{
    std::vector<int> previous(size_t(b.size()) + 1);
    std::vector<int> current(size_t(b.size()) + 1);
    for (size_t j = 0; j < previous.size(); ++j)
        previous[j] = int(j);
    for (qsizetype i = 0; i < a.size(); ++i) {
        current[0] = int(i) + 1;
        for (qsizetype j = 0; j < b.size(); ++j) {
            const int substitution = previous[size_t(j)] + (a[i] == b[j] ? 0 : 1);
            current[size_t(j) + 1]
                = std::min({ previous[size_t(j) + 1] + 1, current[size_t(j)] + 1, substitution });
        }
        std::swap(previous, current);
    }
    return previous.back();
}

// The keys an unknown one was probably meant to be: a typo, a command-line flag's name, a key without its
// prefix.
QStringList suggestionsFor(const QString &key)
{
    static const QHash<QString, QString> aliases {
        { u"auto-remediate"_s, u"auto-remediation.enabled"_s },
        { u"no-confirm"_s, u"rollback.confirm"_s },
        { u"insecure"_s, u"tls.allow-insecure"_s },
        { u"refresh-interval"_s, u"refresh"_s },
        { u"traffic-backend"_s, u"traffic.backend"_s },
        { u"backend"_s, u"traffic.backend"_s },
    };
    if (aliases.contains(key))
        return { aliases.value(key) };
    QStringList matches;
    for (const Field &field : fields()) {
        QString dashed = field.key;
        dashed.replace(u'.', u'-');
        if (field.key.endsWith(QString(u'.' + key)) || dashed == key || field.key.section(u'.', 1) == key)
            matches.append(field.key);
    }
    if (!matches.isEmpty())
        return matches;
    int best = std::max<int>(2, int(key.size() / 4)) + 1;
    for (const Field &field : fields()) {
        // The distance is at least the difference in length: skipping what cannot reach `best` keeps a file
        // of long unknown keys from costing a full edit-distance table per key (found by fuzz_profile).
        if (std::abs(key.size() - field.key.size()) > best)
            continue;
        const int distance = editDistance(key, field.key);
        if (distance < best) {
            best = distance;
            matches = { field.key };
        } else if (distance == best && !matches.isEmpty()) {
            matches.append(field.key);
        }
    }
    return matches;
}

struct Message
{
    int line = 0;
    QString text;
};

QString located(const QString &sourceName, int line, const QString &text)
{
    return line > 0 ? u"%1:%2: %3"_s.arg(sourceName).arg(line).arg(text) : u"%1: %2"_s.arg(sourceName, text);
}

QStringList sorted(std::vector<Message> messages, const QString &sourceName)
{
    // Lines in file order; problems no line can be blamed for last.
    std::stable_sort(messages.begin(), messages.end(), [](const Message &a, const Message &b) {
        const int lineA = a.line > 0 ? a.line : std::numeric_limits<int>::max();
        const int lineB = b.line > 0 ? b.line : std::numeric_limits<int>::max();
        return lineA < lineB;
    });
    QStringList lines;
    for (const Message &message : messages)
        lines.append(located(sourceName, message.line, message.text));
    return lines;
}

// Splits `text` into entries; syntax errors go to `messages`.
QList<ProfileEntry> parseLines(QByteArrayView text, std::vector<Message> &messages)
{
    QList<ProfileEntry> entries;
    int lineNumber = 0;
    qsizetype start = 0;
    while (start <= text.size()) {
        qsizetype end = text.indexOf('\n', start);
        if (end < 0)
            end = text.size();
        QByteArrayView raw = text.sliced(start, end - start);
        start = end + 1;
        ++lineNumber;
        if (raw.endsWith('\r'))
            raw.chop(1);
        if (lineNumber == 1 && raw.startsWith("\xEF\xBB\xBF"))
            raw = raw.sliced(3);
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString line = decoder.decode(raw);
        if (decoder.hasError()) {
            messages.push_back({ lineNumber, u"not valid UTF-8 text"_s });
            continue;
        }
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(u'#'))
            continue;
        const qsizetype equals = trimmed.indexOf(u'=');
        if (equals <= 0 || trimmed.left(equals).trimmed().isEmpty()) {
            messages.push_back({ lineNumber, u"expected 'key = value'"_s });
            continue;
        }
        entries.append({ trimmed.left(equals).trimmed(), trimmed.mid(equals + 1).trimmed(), lineNumber });
    }
    return entries;
}

Profile fromEntries(
    const QList<ProfileEntry> &entries, const EntryOptions &options, std::vector<Message> &messages);

Expected<Profile, QStringList> readText(
    QByteArrayView text, const QString &sourceName, const EntryOptions &options)
{
    std::vector<Message> messages;
    const QList<ProfileEntry> entries = parseLines(text, messages);
    Profile profile = fromEntries(entries, options, messages);
    if (!messages.empty())
        return sorted(std::move(messages), sourceName);
    return profile;
}

} // namespace

QStringList profileKeys()
{
    QStringList keys;
    for (const Field &field : fields())
        keys.append(field.key);
    return keys;
}

bool isRepeatableKey(const QString &key)
{
    const Field *field = findField(key);
    return field && field->repeatable;
}

bool isSecretKey(const QString &key)
{
    const QString lower = key.toLower();
    static const QStringList words { u"token"_s, u"password"_s, u"passwd"_s, u"passphrase"_s, u"secret"_s,
        u"credential"_s, u"apikey"_s, u"api-key"_s, u"api_key"_s, u"private-key"_s, u"private_key"_s,
        u"privatekey"_s, u"client-key"_s, u"client_key"_s, u"bearer"_s, u"authorization"_s };
    for (const QString &word : words) {
        if (lower.contains(word))
            return true;
    }
    static const QRegularExpression separators(u"[._\\-]"_s);
    const QStringList parts = lower.split(separators, Qt::SkipEmptyParts);
    return parts.contains(u"pwd"_s) || parts.contains(u"pass"_s);
}

QList<ProfileEntry> profileEntries(const Profile &profile)
{
    QList<ProfileEntry> entries;
    for (const Field &field : fields()) {
        for (const QString &value : field.write(profile))
            entries.append({ field.key, value, 0 });
    }
    return entries;
}

Expected<Profile, QStringList> profileFromEntries(
    const QList<ProfileEntry> &entries, const QString &sourceName, const EntryOptions &options)
{
    std::vector<Message> messages;
    Profile profile = fromEntries(entries, options, messages);
    if (!messages.empty())
        return sorted(std::move(messages), sourceName);
    return profile;
}

namespace {

Profile fromEntries(
    const QList<ProfileEntry> &entries, const EntryOptions &options, std::vector<Message> &messages)
{
    Profile profile;
    profile.name = options.defaultName;
    QHash<QString, int> firstLine; // key → the line that set it (0 outside a file)
    QSet<QString> failedKeys;

    for (const ProfileEntry &entry : entries) {
        const QString key = entry.key.toLower();
        if (isSecretKey(key)) {
            messages.push_back({ entry.line,
                u"'%1' is a secret: secrets live in the keychain or the environment (%2), never in a "
                "profile file"_s.arg(entry.key, secretHome(key)) });
            continue;
        }
        // Any token shape, in any field: refused before the field reads it, since a field's own error
        // quotes the value.
        if (const QString kind = net::tokenShapeIn(entry.value); !kind.isEmpty()) {
            messages.push_back({ entry.line,
                u"the value of '%1' looks like %2 (not shown): secrets live in the keychain or the "
                "environment (%3), never in a profile file"_s.arg(entry.key, kind, tokenHome(kind, key)) });
            failedKeys.insert(key);
            continue;
        }
        const Field *field = findField(key);
        if (!field) {
            if (options.ignoreUnknownKeys)
                continue;
            const QStringList suggestions = suggestionsFor(key);
            QString text = u"unknown key '%1'"_s.arg(entry.key);
            if (!suggestions.isEmpty())
                text += u" (did you mean '%1'?)"_s.arg(suggestions.join(u"' or '"_s));
            messages.push_back({ entry.line, text });
            continue;
        }
        if (firstLine.contains(key) && !field->repeatable) {
            const int first = firstLine.value(key);
            messages.push_back({ entry.line,
                first > 0 ? u"duplicate key '%1' (already set on line %2)"_s.arg(entry.key).arg(first)
                          : u"duplicate key '%1'"_s.arg(entry.key) });
            failedKeys.insert(key);
            continue;
        }
        if (!firstLine.contains(key))
            firstLine.insert(key, entry.line);
        const QString error = field->read(profile, entry.value, options);
        if (!error.isEmpty()) {
            messages.push_back({ entry.line, error });
            failedKeys.insert(key);
        }
    }

    profile = profile.normalised();
    if (profile.isDemo() && !failedKeys.contains(u"name"_s)) {
        messages.push_back({ firstLine.value(u"name"_s),
            u"name '%1' is the built-in profile's: give this profile another name"_s.arg(profile.name) });
        failedKeys.insert(u"name"_s);
    }
    for (const ProfileProblem &problem : profile.problems()) {
        if (!failedKeys.contains(problem.key))
            messages.push_back({ firstLine.value(problem.key), problem.message });
    }
    return profile;
}

} // namespace

Expected<Profile, QStringList> readProfileText(QByteArrayView text, const QString &sourceName)
{
    EntryOptions options;
    options.defaultName = QFileInfo(sourceName).completeBaseName();
    return readText(text, sourceName, options);
}

Expected<Profile, QStringList> readProfileFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QStringList { u"%1: cannot be read: %2"_s.arg(path, file.errorString()) };
    if (file.size() > MaximumFileSize)
        return QStringList { u"%1: larger than 1 MiB, not a profile file"_s.arg(path) };
    const QByteArray text = file.read(MaximumFileSize + 1);
    if (file.error() != QFileDevice::NoError)
        return QStringList { u"%1: cannot be read: %2"_s.arg(path, file.errorString()) };
    EntryOptions options;
    const QFileInfo info(path);
    options.defaultName = info.completeBaseName();
    options.baseDirectory = info.absolutePath();
    return readText(text, path, options);
}

QByteArray writeProfileText(const Profile &profile)
{
    QString text
        = u"# Canary Console profile: one `key = value` per line; a line starting with # is a comment.\n"
          "# Every key and its default: docs/profiles.md. Use it with `canary-console --config FILE`.\n"
          "#\n"
          "# Never put a secret here (a key that looks like one is refused). The Dynatrace API token comes\n"
          "# from the keychain or DT_API_TOKEN; AWX credentials from the keychain or CONTROLLER_OAUTH_TOKEN\n"
          "# (or CONTROLLER_USERNAME + CONTROLLER_PASSWORD); Kubernetes from KUBECONFIG or KUBE_TOKEN.\n"_s;
    for (const Field &field : fields()) {
        if (!field.section.isEmpty())
            text += u"\n# "_s + QString(field.section).replace(u"\n"_s, u"\n# "_s) + u'\n';
        else if (field.key == u"name"_s)
            text += u'\n';
        // Masked as every other channel masks them: an export must not carry a token pasted into a field
        // (validation refuses such a profile; this holds even for one that skipped it).
        QStringList values = field.write(profile);
        for (QString &value : values)
            value = net::redactSecrets(value);
        if (values.isEmpty() && field.repeatable)
            text += u"# %1 = https://gitlab.example.com\n"_s.arg(field.key);
        for (const QString &value : values)
            text += value.isEmpty() ? QString(field.key + u" =\n"_s)
                                    : QString(field.key + u" = "_s + value + u'\n');
    }
    return text.toUtf8();
}

} // namespace canary::profile
