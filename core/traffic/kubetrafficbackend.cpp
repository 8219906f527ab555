#include "kubetrafficbackend.h"

#include <QTimer>

#include "kube/kubeconfig.h"
#include "net/restclient.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

KubeTrafficBackend::KubeTrafficBackend(KubeBackendConfig config, QObject *parent)
    : TrafficBackend(parent)
    , m_config(std::move(config))
    , m_adapter(m_config.object.kind, m_config.weightOptions())
{
    if (!m_config.connection) {
        auto connection = kube::Kubeconfig::fromEnvironment(m_config.kubeContext);
        if (!connection) {
            m_configurationError = connection.error();
            return;
        }
        m_config.connection = std::move(connection).value();
    }
    if (m_config.object.namespaceName.isEmpty())
        m_config.object.namespaceName = m_config.connection->namespaceName;
    if (m_config.object.namespaceName.isEmpty()) {
        m_configurationError = u"%1 names no namespace"_s.arg(m_config.object.toString());
        return;
    }
    m_rest = new net::RestClient(m_config.connection->server, this);
    m_rest->setTimeoutMs(m_config.timeoutMs);
    kube::KubeClient::configure(*m_rest, *m_config.connection);
    m_client = new kube::KubeClient(m_rest, this);
}

QString KubeTrafficBackend::description() const
{
    QString text = BackendName + u' ' + m_config.object.displayName();
    if (m_config.connection)
        text += u" on "_s + m_config.connection->hostAndPort();
    return text;
}

TrafficError KubeTrafficBackend::error(TrafficError::Kind kind, const QString &message) const
{
    return TrafficError { kind, 0, BackendName, message, m_config.object.displayName() };
}

TrafficError KubeTrafficBackend::fromKube(const kube::KubeError &failure)
{
    using Kind = TrafficError::Kind;
    const Kind kind = [&failure] {
        switch (failure.kind) {
        case kube::KubeError::Kind::Transport:
            return Kind::Transport;
        case kube::KubeError::Kind::Timeout:
            return Kind::Timeout;
        case kube::KubeError::Kind::Unauthorized:
            return Kind::Unauthorized;
        case kube::KubeError::Kind::Forbidden:
            return Kind::Forbidden;
        case kube::KubeError::Kind::NotFound:
            return Kind::NotFound;
        case kube::KubeError::Kind::Conflict:
            return Kind::Conflict;
        case kube::KubeError::Kind::Rejected:
            return Kind::Rejected;
        case kube::KubeError::Kind::ServerError:
            return Kind::ServerError;
        case kube::KubeError::Kind::UnexpectedShape:
            return Kind::UnexpectedShape;
        }
        return Kind::UnexpectedShape;
    }();
    return TrafficError { kind, failure.httpStatus, BackendName, failure.message, failure.detail };
}

void KubeTrafficBackend::failLater(const TrafficError &error, const QObject *context, SplitCallback onDone)
{
    // Never call back from inside the caller's own call.
    QTimer::singleShot(0, context, [error, onDone = std::move(onDone)] { onDone(error); });
}

void KubeTrafficBackend::readSplit(const QObject *context, SplitCallback onDone)
{
    if (m_configurationError)
        return failLater(
            error(TrafficError::Kind::Configuration, *m_configurationError), context, std::move(onDone));
    m_client->get(
        m_config.object, context, [this, onDone = std::move(onDone)](const kube::KubeObjectResult &object) {
            if (!object)
                return onDone(fromKube(object.error()));
            const auto split = m_adapter.readSplit(*object);
            if (!split)
                return onDone(error(TrafficError::Kind::Configuration, split.error()));
            onDone(*split);
        });
}

void KubeTrafficBackend::applySplit(const Split &split, const QObject *context, SplitCallback onDone)
{
    if (m_configurationError)
        return failLater(
            error(TrafficError::Kind::Configuration, *m_configurationError), context, std::move(onDone));
    if (!split.isValid()) {
        return failLater(
            error(TrafficError::Kind::InvalidInput, u"%1 is not a split of 100 %"_s.arg(split.toString())),
            context, std::move(onDone));
    }
    // The GET supplies the resourceVersion the PATCH is conditional on, and the lists a merge patch must
    // resend.
    m_client->get(m_config.object, context,
        [this, split, context, onDone = std::move(onDone)](const kube::KubeObjectResult &current) mutable {
            if (!current)
                return onDone(fromKube(current.error()));
            patch(*current, split, context, std::move(onDone));
        });
}

void KubeTrafficBackend::patch(
    const kube::KubeObject &current, const Split &split, const QObject *context, SplitCallback onDone)
{
    const auto body = m_adapter.splitPatch(current, split);
    if (!body)
        return onDone(error(TrafficError::Kind::Configuration, body.error()));
    m_client->mergePatch(m_config.object, *body, context,
        [this, split, context, onDone = std::move(onDone)](const kube::KubeObjectResult &patched) mutable {
            if (!patched) {
                if (patched.error().kind == kube::KubeError::Kind::Conflict)
                    return reportConflict(patched.error(), context, std::move(onDone));
                return onDone(fromKube(patched.error()));
            }
            // The PATCH answer is the object as stored: what a mutating webhook or a racing writer left.
            const auto confirmed = m_adapter.readSplit(*patched);
            if (!confirmed) {
                return onDone(error(TrafficError::Kind::NotConfirmed,
                    u"the patch was accepted, but the object no longer reads as a split: "_s
                        + confirmed.error()));
            }
            if (*confirmed != split) {
                return onDone(error(TrafficError::Kind::NotConfirmed,
                    u"asked for %1, the patched object says %2"_s.arg(
                        split.toString(), confirmed->toString())));
            }
            onDone(*confirmed);
        });
}

void KubeTrafficBackend::reportConflict(
    kube::KubeError conflict, const QObject *context, SplitCallback onDone)
{
    m_client->get(m_config.object, context,
        [this, conflict, onDone = std::move(onDone)](const kube::KubeObjectResult &fresh) mutable {
            QString hint = u"someone else changed the object since it was read"_s;
            if (fresh) {
                if (const auto split = m_adapter.readSplit(*fresh))
                    hint += u"; the current split is "_s + split->toString();
            }
            conflict.message += u" — "_s + hint;
            onDone(fromKube(conflict));
        });
}

} // namespace canary::traffic
