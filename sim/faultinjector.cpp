#include "faultinjector.h"

#include <utility>

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

struct KindName
{
    Fault::Kind kind;
    QStringView name;
};

constexpr KindName KindNames[] = {
    { Fault::Kind::Latency, u"latency" },
    { Fault::Kind::TooManyRequestsRetryAfter, u"429-retry-after" },
    { Fault::Kind::TooManyRequestsRateLimitReset, u"429-ratelimit-reset" },
    { Fault::Kind::ServerError, u"server-error" },
    { Fault::Kind::MalformedJson, u"malformed-json" },
    { Fault::Kind::TruncatedJson, u"truncated-json" },
    { Fault::Kind::ConnectionReset, u"reset" },
    { Fault::Kind::ConnectionResetAfterHandling, u"reset-after-handling" },
    { Fault::Kind::NeverCompletes, u"hang" },
};

// A method is what an HTTP request line can carry: upper-case letters.
bool isMethod(const QString &text)
{
    static const QRegularExpression pattern(u"^[A-Z]+$"_s);
    return pattern.match(text).hasMatch();
}

// An endpoint's path: "*" alone, or an absolute path with at most one '*', at its end.
bool isPathPattern(const QString &path)
{
    if (path == u"*")
        return true;
    if (!path.startsWith(u'/') || path.contains(u' '))
        return false;
    const qsizetype star = path.indexOf(u'*');
    return star < 0 || star == path.size() - 1;
}

// What a proxy in front of the tenant answers when the tenant is not reachable: HTML, not Dynatrace's JSON.
QByteArray badGatewayPage()
{
    return QByteArrayLiteral("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                             "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                             "</body>\r\n</html>\r\n");
}

} // namespace

bool Fault::matches(const QByteArray &method, const QString &path) const
{
    QString pattern = endpoint.trimmed();
    const qsizetype space = pattern.indexOf(u' ');
    if (space > 0) {
        if (QStringView(pattern).left(space) != QString::fromLatin1(method))
            return false;
        pattern = pattern.mid(space + 1).trimmed();
    }
    if (pattern == u"*")
        return true;
    if (pattern.endsWith(u'*'))
        return path.startsWith(QStringView(pattern).chopped(1));
    return path == pattern;
}

bool Fault::takesValue(Kind kind)
{
    switch (kind) {
    case Kind::Latency:
    case Kind::TooManyRequestsRetryAfter:
    case Kind::TooManyRequestsRateLimitReset:
    case Kind::ServerError:
        return true;
    case Kind::MalformedJson:
    case Kind::TruncatedJson:
    case Kind::ConnectionReset:
    case Kind::ConnectionResetAfterHandling:
    case Kind::NeverCompletes:
        break;
    }
    return false;
}

std::optional<FaultFieldError> Fault::validate() const
{
    const QString pattern = endpoint.trimmed();
    if (pattern.isEmpty())
        return FaultFieldError { u"endpoint"_s, u"must not be empty"_s };
    const qsizetype space = pattern.indexOf(u' ');
    const QString method = space > 0 ? pattern.left(space) : QString();
    const QString path = space > 0 ? pattern.mid(space + 1).trimmed() : pattern;
    if ((space > 0 && !isMethod(method)) || !isPathPattern(path)) {
        return FaultFieldError { u"endpoint"_s,
            u"'%1' is not \"[METHOD ]/path\", \"[METHOD ]/prefix*\" or \"*\""_s.arg(endpoint) };
    }

    const auto outOf = [this](int low, int high, const QString &unit) -> std::optional<FaultFieldError> {
        if (value >= low && value <= high)
            return std::nullopt;
        return FaultFieldError { u"value"_s,
            u"%1 takes %2 from %3 to %4, not %5"_s.arg(kindName(kind), unit).arg(low).arg(high).arg(value) };
    };
    switch (kind) {
    case Kind::Latency:
        if (auto error = outOf(0, MaxLatencyMs, u"a delay in milliseconds"_s))
            return error;
        break;
    case Kind::TooManyRequestsRetryAfter:
        if (auto error = outOf(0, MaxRetryAfterSeconds, u"a Retry-After in seconds"_s))
            return error;
        break;
    case Kind::TooManyRequestsRateLimitReset:
        if (auto error = outOf(0, MaxRateLimitResetMs, u"milliseconds until the reset"_s))
            return error;
        break;
    case Kind::ServerError:
        if (value != 500 && value != 502 && value != 503) {
            return FaultFieldError { u"value"_s,
                u"server-error takes the status 500, 502 or 503, not %1"_s.arg(value) };
        }
        break;
    case Kind::MalformedJson:
    case Kind::TruncatedJson:
    case Kind::ConnectionReset:
    case Kind::ConnectionResetAfterHandling:
    case Kind::NeverCompletes:
        if (value != 0)
            return FaultFieldError { u"value"_s, u"%1 takes no value"_s.arg(kindName(kind)) };
        break;
    }
    if (remaining != Unlimited && remaining < 1) {
        return FaultFieldError { u"remaining"_s,
            u"must be a number of requests from 1 on, or -1 for all until lifted, not %1"_s.arg(remaining) };
    }
    return std::nullopt;
}

QString Fault::kindName(Kind kind)
{
    for (const KindName &entry : KindNames) {
        if (entry.kind == kind)
            return entry.name.toString();
    }
    return {};
}

QStringList Fault::kindNames()
{
    QStringList names;
    for (const KindName &entry : KindNames)
        names.append(entry.name.toString());
    return names;
}

std::optional<Fault::Kind> Fault::kindFromName(const QString &name, std::optional<int> *impliedValue)
{
    if (name == u"500" || name == u"502" || name == u"503") {
        if (impliedValue)
            *impliedValue = name.toInt();
        return Kind::ServerError;
    }
    for (const KindName &entry : KindNames) {
        if (entry.name == name)
            return entry.kind;
    }
    return std::nullopt;
}

std::optional<Fault> Fault::fromSpec(const QString &spec, QString *error)
{
    const auto fail = [&spec, error](const QString &message) -> std::optional<Fault> {
        if (error)
            *error = u"'%1': %2"_s.arg(spec, message);
        return std::nullopt;
    };
    // The kind part never holds '=', a path may.
    const qsizetype equals = spec.lastIndexOf(u'=');
    if (equals < 0)
        return fail(u"not ENDPOINT=KIND[:VALUE][xCOUNT]"_s);
    // Lazy, so "503x2" is 503 twice rather than a kind named "503x2".
    static const QRegularExpression kindPattern(u"^([a-z0-9-]+?)(?::(-?[0-9]+))?(?:x([0-9]+))?$"_s);
    const QString kindPart = spec.mid(equals + 1).trimmed();
    const auto match = kindPattern.match(kindPart);
    if (!match.hasMatch())
        return fail(u"'%1' is not KIND[:VALUE][xCOUNT] (e.g. latency:3000, 503x2, reset)"_s.arg(kindPart));

    Fault fault;
    fault.endpoint = spec.left(equals).trimmed();
    const QString kindText = match.captured(1);
    std::optional<int> implied;
    const auto kind = kindFromName(kindText, &implied);
    if (!kind) {
        return fail(u"'%1' is not a fault kind; use one of %2, 500, 502, 503"_s.arg(
            kindText, kindNames().join(u", "_s)));
    }
    fault.kind = *kind;
    const QString value = match.captured(2);
    if (implied && !value.isEmpty())
        return fail(u"%1 takes no value: the status is the kind"_s.arg(kindText));
    if (!implied && takesValue(fault.kind) && value.isEmpty())
        return fail(u"%1 needs a value, as in %1:N"_s.arg(kindText));
    bool ok = true;
    if (implied)
        fault.value = *implied;
    else if (!value.isEmpty())
        fault.value = value.toInt(&ok);
    if (!ok)
        return fail(u"the value %1 is too large"_s.arg(value));
    if (!match.captured(3).isEmpty()) {
        fault.remaining = match.captured(3).toInt(&ok);
        if (!ok)
            return fail(u"the count %1 is too large"_s.arg(match.captured(3)));
    }
    if (const auto problem = fault.validate())
        return fail(problem->toString());
    return fault;
}

QString Fault::toSpec() const
{
    QString spec = endpoint + u'=' + kindName(kind);
    if (takesValue(kind))
        spec += u':' + QString::number(value);
    if (remaining != Unlimited)
        spec += u'x' + QString::number(remaining);
    return spec;
}

FaultInjector::FaultInjector(QObject *parent)
    : QObject(parent)
{ }

FaultInjector::~FaultInjector() = default;

bool FaultInjector::addFault(const Fault &fault, QString *error)
{
    if (const auto problem = fault.validate()) {
        if (error)
            *error = problem->toString();
        return false;
    }
    m_faults.append(fault);
    Q_EMIT faultsChanged();
    return true;
}

bool FaultInjector::setFaults(const QList<Fault> &faults, QString *error)
{
    for (qsizetype i = 0; i < faults.size(); ++i) {
        if (const auto problem = faults.at(i).validate()) {
            if (error)
                *error = u"[%1].%2"_s.arg(i).arg(problem->toString());
            return false;
        }
    }
    m_faults = faults;
    releaseHeld();
    Q_EMIT faultsChanged();
    return true;
}

int FaultInjector::liftAll()
{
    const int lifted = int(m_faults.size());
    m_faults.clear();
    releaseHeld();
    Q_EMIT faultsChanged();
    return lifted;
}

bool FaultInjector::isExempt(const QString &path)
{
    static const QStringList exempt { u"/api/sim/v1/faults"_s, u"/api/sim/v1/requests"_s,
        u"/api/sim/v1/ingested"_s };
    for (const QString &prefix : exempt) {
        if (path == prefix || path.startsWith(prefix + u'/'))
            return true;
    }
    return false;
}

std::optional<Fault> FaultInjector::take(const QByteArray &method, const QString &path)
{
    for (qsizetype i = 0; i < m_faults.size(); ++i) {
        Fault &fault = m_faults[i];
        if (!fault.matches(method, path))
            continue;
        const Fault applied = fault;
        if (fault.remaining != Fault::Unlimited && --fault.remaining <= 0) {
            // Requests it holds stay held: a count only limits which requests the fault reaches.
            m_faults.removeAt(i);
            Q_EMIT faultsChanged();
        }
        return applied;
    }
    return std::nullopt;
}

HttpReply FaultInjector::replyFor(const Fault &fault) const
{
    switch (fault.kind) {
    case Fault::Kind::TooManyRequestsRetryAfter: {
        HttpReply reply = HttpReply::error(429, u"Too many requests"_s);
        reply.headers.append({ "Retry-After", QByteArray::number(fault.value) });
        return reply;
    }
    case Fault::Kind::TooManyRequestsRateLimitReset: {
        const canary::Clock &clock = m_clock ? *m_clock : canary::Clock::system();
        HttpReply reply = HttpReply::error(429, u"Too many requests"_s);
        // Dynatrace sends the reset as microseconds since the epoch.
        reply.headers.append(
            { "X-RateLimit-Reset", QByteArray::number((clock.nowMs() + qint64(fault.value)) * 1000) });
        // The reset is the server's clock (here the simulated one), so it says what its clock reads, as an
        // HTTP server does in Date: clients measure the wait against that, not against their own clock.
        reply.headers.append({ "Date",
            QLocale::c()
                .toString(QDateTime::fromMSecsSinceEpoch(clock.nowMs(), Qt::UTC),
                    u"ddd, dd MMM yyyy hh:mm:ss 'GMT'"_s)
                .toLatin1() });
        return reply;
    }
    case Fault::Kind::ServerError: {
        if (fault.value == 502) {
            HttpReply reply;
            reply.status = 502;
            reply.contentType = "text/html";
            reply.body = badGatewayPage();
            return reply;
        }
        return HttpReply::error(
            fault.value, fault.value == 503 ? u"Service Unavailable"_s : u"Internal Server Error"_s);
    }
    case Fault::Kind::MalformedJson:
        // Cut mid-document and broken before the cut, so no lenient parser makes sense of it either.
        return HttpReply::json(QByteArrayLiteral(
            R"({"totalCount":1,"nextPageKey":null,"result":[{"metricId":"calc:service.requests_by_build",)"
            R"("data":[{"dimensions":["1.0.0-034c71"],"values":[12,,)"));
    case Fault::Kind::Latency:
    case Fault::Kind::TruncatedJson:
    case Fault::Kind::ConnectionReset:
    case Fault::Kind::ConnectionResetAfterHandling:
    case Fault::Kind::NeverCompletes:
        break;
    }
    // Faults that answer with the route's own reply, or not at all, have no reply of their own.
    return HttpReply::error(500, u"Internal Server Error"_s);
}

QString FaultInjector::requestKey(const QByteArray &method, const QString &path)
{
    return QString::fromLatin1(method) + u' ' + path;
}

void FaultInjector::countRequest(const QByteArray &method, const QString &path)
{
    ++m_counts[requestKey(method, path)];
}

void FaultInjector::hold(QTcpSocket *socket)
{
    m_held.removeIf([](const QPointer<QTcpSocket> &held) { return held.isNull(); });
    m_held.append(QPointer<QTcpSocket>(socket));
}

void FaultInjector::defer(int delayMs, std::function<void()> answer)
{
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    // A coarse timer may fire up to 5 % early; the delay is a promised minimum.
    timer->setTimerType(Qt::PreciseTimer);
    connect(timer, &QTimer::timeout, this, [this, timer, answer = std::move(answer)] {
        m_deferred.removeOne(timer);
        timer->deleteLater();
        answer();
    });
    m_deferred.append(timer);
    timer->start(delayMs);
}

int FaultInjector::heldRequestCount() const
{
    int count = 0;
    for (const QPointer<QTcpSocket> &socket : m_held) {
        if (socket && socket->state() != QAbstractSocket::UnconnectedState)
            ++count;
    }
    return count;
}

void FaultInjector::releaseHeld()
{
    // From the event loop, never from inside the caller (often a route handler of the same server).
    for (QTimer *timer : std::as_const(m_deferred))
        timer->start(0);
    const QList<QPointer<QTcpSocket>> held = std::exchange(m_held, {});
    for (const QPointer<QTcpSocket> &socket : held) {
        if (socket)
            socket->disconnectFromHost();
    }
}

} // namespace canary::sim
