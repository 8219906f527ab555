#include "kubetrafficbackend.h"

#include <algorithm>

#include <QTimer>

#include "kube/kubeconfig.h"
#include "kube/managedfields.h"
#include "net/restclient.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

namespace {

// A stream the server ends this soon without an event is not a watch that timed out: three of them in a row
// and the watch counts as failed, instead of asking again and again.
constexpr qint64 QuickEndMs = 1'000;
constexpr int MaxQuickEnds = 3;

} // namespace

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
    m_watchRetry.setSingleShot(true);
    connect(&m_watchRetry, &QTimer::timeout, this, &KubeTrafficBackend::openWatch);
}

KubeTrafficBackend::~KubeTrafficBackend()
{
    // Before the client and its connections go; no signal about it.
    ++m_watchGeneration;
    delete m_watch.data();
    if (m_reread)
        m_reread->disconnect();
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
            m_resourceVersion = object->resourceVersion;
            setLastReadOrigin(originOf(*object));
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

std::optional<ChangeOrigin> KubeTrafficBackend::originOf(const kube::KubeObject &object) const
{
    using Path = kube::ManagedFields::FieldPath;
    QList<Path> fields;
    switch (m_config.object.kind) {
    case kube::ObjectRef::Kind::Ingress: {
        const QString prefix = m_adapter.options().annotationPrefix.isEmpty()
            ? WeightOptions().annotationPrefix
            : m_adapter.options().annotationPrefix;
        for (const char *name : { "canary", "canary-weight", "canary-weight-total" })
            fields.append(
                Path { u"f:metadata"_s, u"f:annotations"_s, u"f:"_s + prefix + u'/' + QLatin1String(name) });
        break;
    }
    case kube::ObjectRef::Kind::TraefikService:
        fields.append(Path { u"f:spec"_s, u"f:weighted"_s, u"f:services"_s });
        break;
    case kube::ObjectRef::Kind::HttpRoute:
        fields.append(Path { u"f:spec"_s, u"f:rules"_s });
        break;
    }
    const auto writer = kube::ManagedFields::lastWriter(object.json, fields);
    if (!writer)
        return std::nullopt;
    ChangeOrigin origin;
    origin.source = u"%1 (%2) on %3 %4"_s.arg(writer->manager, writer->operation, object.kind, object.name);
    origin.at = writer->time;
    return origin;
}

void KubeTrafficBackend::setWatchRetryDelays(int firstMs, int maxMs)
{
    m_firstRetryMs = std::max(0, firstMs);
    m_maxRetryMs = std::max(m_firstRetryMs, maxMs);
    m_retryMs = m_firstRetryMs;
}

bool KubeTrafficBackend::startWatching()
{
    if (m_configurationError)
        return false;
    if (m_watchWanted)
        return true;
    m_watchWanted = true;
    m_retryMs = m_firstRetryMs;
    m_quickEnds = 0;
    m_gones = 0;
    openWatch();
    return true;
}

void KubeTrafficBackend::stopWatching()
{
    if (!m_watchWanted)
        return;
    m_watchWanted = false;
    ++m_watchGeneration;
    m_watchRetry.stop();
    dropWatch();
    if (m_reread) {
        m_reread->disconnect();
        m_reread->cancel();
        m_reread = nullptr; // it goes later; a watch started again meanwhile must not wait for it
    }
    setWatching(false);
}

void KubeTrafficBackend::dropWatch()
{
    if (!m_watch)
        return;
    // Maybe from inside one of its signals: it goes once that is over.
    m_watch->disconnect(this);
    m_watch->deleteLater();
    m_watch = nullptr;
}

void KubeTrafficBackend::openWatch()
{
    if (!m_watchWanted || m_watch || m_reread)
        return;
    // A watch goes on from a version the back-end has seen; without one, a read gives it.
    if (m_resourceVersion.isEmpty())
        return rereadThenWatch(false);
    m_watch = m_client->watch(m_config.object, m_resourceVersion, m_watchTimeoutSeconds, this);
    connect(m_watch, &kube::ObjectWatch::opened, this, [this] {
        m_watchOpened.start();
        m_retryMs = m_firstRetryMs;
        setWatching(true);
    });
    connect(m_watch, &kube::ObjectWatch::eventReceived, this, &KubeTrafficBackend::onWatchEvent);
    connect(m_watch, &kube::ObjectWatch::ended, this, &KubeTrafficBackend::onWatchEnded);
}

void KubeTrafficBackend::rereadThenWatch(bool notice)
{
    // The object's own version may be older than what the server keeps when it has not changed for long: a
    // watch from there would only get 410 again. A LIST's version is the server's now.
    const quint64 generation = m_watchGeneration;
    m_reread = m_client->currentVersion(
        m_config.object, this, [this, notice, generation](const kube::VersionResult &version) {
            m_reread = nullptr;
            if (generation != m_watchGeneration || !m_watchWanted)
                return;
            if (version)
                return watchFrom(*version, notice);
            // A Role may allow get but not list: the object's own version is the next best.
            m_reread = m_client->get(
                m_config.object, this, [this, notice, generation](const kube::KubeObjectResult &fresh) {
                    m_reread = nullptr;
                    if (generation != m_watchGeneration || !m_watchWanted)
                        return;
                    if (!fresh)
                        return watchFailed();
                    watchFrom(fresh->resourceVersion, notice);
                });
        });
}

void KubeTrafficBackend::watchFrom(const QString &resourceVersion, bool notice)
{
    m_resourceVersion = resourceVersion;
    if (notice)
        Q_EMIT changeNoticed();
    openWatch();
}

void KubeTrafficBackend::onWatchEvent(const kube::WatchEvent &event)
{
    if (!event.resourceVersion.isEmpty())
        m_resourceVersion = event.resourceVersion;
    // A bookmark is no progress: a server that answers every watch with one and a 410 must still end in
    // polling, not in a loop of watches and reads.
    if (event.type == kube::WatchEvent::Type::Bookmark)
        return;
    m_gones = 0;
    Q_EMIT changeNoticed();
}

void KubeTrafficBackend::onWatchEnded(kube::ObjectWatch::End end, const kube::KubeError &error)
{
    using End = kube::ObjectWatch::End;
    const bool quiet = m_watch && m_watch->eventCount() == 0;
    const bool wasOpen = m_watchOpened.isValid();
    const qint64 lived = wasOpen ? m_watchOpened.elapsed() : 0;
    m_watchOpened.invalidate();
    dropWatch();
    if (!m_watchWanted)
        return;
    switch (end) {
    case End::Expired:
        m_quickEnds = quiet && lived < QuickEndMs ? m_quickEnds + 1 : 0;
        if (m_quickEnds >= MaxQuickEnds) {
            m_quickEnds = 0;
            return watchFailed();
        }
        return openWatch();
    case End::Gone:
        // Events between the version and now are lost to the watch: the object is read afresh, and that
        // read may differ from the last.
        m_resourceVersion.clear();
        if (++m_gones >= MaxQuickEnds) {
            // A server that expires every version it hands out: polling is all that works.
            m_gones = 0;
            Q_EMIT changeNoticed();
            return watchFailed();
        }
        return rereadThenWatch(true);
    case End::Failed:
        Q_UNUSED(error); // the read that polling makes reports the cluster's own failure, if it persists
        return watchFailed();
    }
}

void KubeTrafficBackend::watchFailed()
{
    setWatching(false);
    if (!m_watchWanted)
        return;
    m_watchRetry.start(m_retryMs);
    m_retryMs = std::min(m_maxRetryMs, std::max(1, m_retryMs) * 2);
}

} // namespace canary::traffic
