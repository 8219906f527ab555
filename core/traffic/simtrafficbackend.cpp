#include "simtrafficbackend.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include "dynatrace/apierror.h"
#include "dynatrace/tenantclient.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

namespace {

const QString Backend = u"simulator"_s;
const QString SplitPath = u"/api/sim/v1/split"_s;

TrafficError::Kind kindFor(const dynatrace::ApiError &error)
{
    using ApiKind = dynatrace::ApiError::Kind;
    switch (error.kind) {
    case ApiKind::Transport:
    case ApiKind::Canceled:
        return TrafficError::Kind::Transport;
    case ApiKind::Timeout:
        return TrafficError::Kind::Timeout;
    case ApiKind::Unauthorized:
        return TrafficError::Kind::Unauthorized;
    case ApiKind::Forbidden:
        return TrafficError::Kind::Forbidden;
    case ApiKind::NotFound:
        return TrafficError::Kind::NotFound;
    case ApiKind::BadRequest:
        return TrafficError::Kind::Rejected;
    case ApiKind::ServerError:
    case ApiKind::RateLimited:
    case ApiKind::HttpError:
        return TrafficError::Kind::ServerError;
    case ApiKind::MalformedJson:
    case ApiKind::UnexpectedShape:
        return TrafficError::Kind::UnexpectedShape;
    }
    return TrafficError::Kind::ServerError;
}

// The router's "changedBy": who moved it last. A shape it cannot read leaves the origin unknown, never the
// split unread.
std::optional<ChangeOrigin> originFrom(const QJsonValue &value)
{
    const QJsonObject object = value.toObject();
    const QString source = object.value(u"source"_s).toString();
    if (source.isEmpty())
        return std::nullopt;
    ChangeOrigin origin;
    origin.source = source;
    origin.actor = object.value(u"actor"_s).toString();
    origin.at = QDateTime::fromString(object.value(u"at"_s).toString(), Qt::ISODateWithMs);
    origin.link = QUrl(object.value(u"link"_s).toString());
    return origin;
}

} // namespace

SimTrafficBackend::SimTrafficBackend(
    const QUrl &simulatorUrl, const QString &token, int timeoutMs, QObject *parent)
    : TrafficBackend(parent)
    , m_rest(new net::RestClient(simulatorUrl, this))
{
    m_rest->setTimeoutMs(timeoutMs);
    // The simulator speaks Dynatrace's auth and error envelope on its control endpoint too.
    dynatrace::authorizeWithApiToken(*m_rest, token);
}

QString SimTrafficBackend::description() const
{
    // Host and port only: a URL's user info (a password) must not reach the audit log or an event.
    const QUrl url = m_rest->baseUrl();
    return tr("simulated router at %1")
        .arg(url.port() < 0 ? url.host() : u"%1:%2"_s.arg(url.host()).arg(url.port()));
}

void SimTrafficBackend::readSplit(const QObject *context, SplitCallback onDone)
{
    deliver(m_rest->get(SplitPath), context, std::move(onDone), std::nullopt);
}

void SimTrafficBackend::applySplit(const Split &split, const QObject *context, SplitCallback onDone)
{
    if (!split.isValid()) {
        onDone(TrafficError {
            TrafficError::Kind::InvalidInput, 0, Backend, u"invalid split %1"_s.arg(split.toString()), {} });
        return;
    }
    const QByteArray body
        = QJsonDocument(QJsonObject { { u"canary"_s, split.canary } }).toJson(QJsonDocument::Compact);
    deliver(m_rest->send("PUT", SplitPath, {}, body), context, std::move(onDone), split);
}

void SimTrafficBackend::deliver(
    net::RestCall *call, const QObject *context, SplitCallback onDone, std::optional<Split> expected)
{
    connect(call, &net::RestCall::finished, context,
        [self = QPointer(this), onDone = std::move(onDone), expected](const net::HttpResponse &response) {
            if (!response.isSuccess()) {
                const auto error = dynatrace::errorFromResponse(response);
                TrafficError failure { kindFor(error), error.httpStatus, Backend, error.message, SplitPath };
                // A PUT without an answer (cut, reset, timed out) may have moved the router all the same.
                failure.outcomeUnknown = expected
                    && (failure.kind == TrafficError::Kind::Transport
                        || failure.kind == TrafficError::Kind::Timeout);
                onDone(failure);
                return;
            }
            const QJsonObject object = QJsonDocument::fromJson(response.body).object();
            const QJsonValue canary = object.value(u"canary"_s);
            const auto split = canary.isDouble() ? Split::fromCanaryPercent(canary.toInt(-1)) : std::nullopt;
            if (!split) {
                TrafficError failure { TrafficError::Kind::UnexpectedShape, response.status, Backend,
                    u"expected {\"stable\":…,\"canary\":…}"_s, SplitPath };
                // The router took the PUT (2xx); only its answer cannot be read.
                failure.outcomeUnknown = expected.has_value();
                onDone(failure);
                return;
            }
            if (expected && *split != *expected) {
                onDone(TrafficError { TrafficError::Kind::NotConfirmed, response.status, Backend,
                    u"asked for %1, the router reports %2"_s.arg(expected->toString(), split->toString()),
                    SplitPath });
                return;
            }
            if (self) {
                const QJsonObject backout = object.value(u"backout"_s).toObject();
                BackoutAction action { backout.value(u"remediationType"_s).toString(),
                    backout.value(u"remediationAction"_s).toString(),
                    backout.value(u"description"_s).toString() };
                self->setOwnBackout(action.isValid() ? std::optional(action) : std::nullopt);
            }
            if (self && !expected) {
                auto origin = originFrom(object.value(u"changedBy"_s));
                if (origin && origin->link.isRelative())
                    origin->link = self->m_rest->baseUrl().resolved(origin->link);
                self->setLastReadOrigin(std::move(origin));
            }
            onDone(*split);
        });
}

} // namespace canary::traffic
