#include "simulatedenvironment.h"

#include <QRandomGenerator>

#include "awxapi.h"
#include "dynatraceapi.h"
#include "eventstore.h"
#include "faultapi.h"
#include "kubeapi.h"
#include "problemdetector.h"
#include "problemstore.h"
#include "simcontrolapi.h"
#include "util/clock.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

namespace {

QString randomAlphanumeric(qsizetype length)
{
    static constexpr char16_t alphabet[] = u"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    constexpr quint32 alphabetSize = sizeof(alphabet) / sizeof(alphabet[0]) - 1;
    QString text;
    text.reserve(length);
    for (qsizetype i = 0; i < length; ++i)
        text += QChar(alphabet[QRandomGenerator::system()->bounded(alphabetSize)]);
    return text;
}

} // namespace

SimulatedEnvironment::SimulatedEnvironment(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_token(m_options.token.isEmpty() ? generateToken() : m_options.token)
    , m_world(m_options.world, m_options.seed, m_options.clock ? *m_options.clock : canary::Clock::system())
    , m_events(std::make_unique<EventStore>())
    , m_problems(std::make_unique<ProblemStore>())
    , m_detector(std::make_unique<ProblemDetector>(m_world, *m_problems))
    , m_dynatrace(std::make_unique<DynatraceApi>(m_world, m_server, *m_events, *m_problems, *m_detector))
    , m_awx(std::make_unique<AwxApi>(m_world, m_server))
    , m_kube(std::make_unique<KubeApi>(m_world, m_server))
    , m_control(std::make_unique<SimControlApi>(m_world, m_server))
    , m_faultApi(std::make_unique<FaultApi>(m_server, *m_dynatrace))
{
    m_server.addFullAccessToken(m_token);
    // X-RateLimit-Reset is a time on the tenant's clock, which tests move by hand.
    m_server.faults().setClock(&m_world.clock());
    // The workshop's Jenkins job posts the event for each weight AWX sets; here AWX's jobs are the only
    // actor, so they store it through the tenant's own ingest.
    m_awx->setWeightReporter([this](int canaryWeight, const QString &remediationAction, qint64 atMs) {
        m_dynatrace->recordCanaryWeightEvent(canaryWeight, remediationAction, atMs);
    });
    if (m_options.defaultEventPageSize > 0)
        m_dynatrace->setDefaultEventPageSize(m_options.defaultEventPageSize);
    if (m_options.defaultProblemPageSize > 0)
        m_dynatrace->setDefaultProblemPageSize(m_options.defaultProblemPageSize);
    m_dynatrace->metricRegistry().setWorkshopMetrics(m_options.workshopCalculatedMetrics);
    recordScheduledChanges();
}

void SimulatedEnvironment::recordScheduledChanges()
{
    // Until the server listens, the launch URL cannot name it: start() rewrites it.
    const QUrl awxUrl(u"http://awx.example.invalid"_s);
    for (const WeightChange &change : m_world.config().schedule) {
        const QString eventId
            = m_dynatrace->recordPipelineEvent(change, m_world.startMs() + change.offsetMs, awxUrl);
        if (!eventId.isEmpty() && change.event == ChangeEvent::PipelineV1 && change.canaryWeight != 0)
            m_launchUrlEvents.append(eventId);
    }
}

SimulatedEnvironment::~SimulatedEnvironment()
{
    m_server.stop();
}

QMap<QString, int> SimulatedEnvironment::ingestedPropertyCounts(const QString &key) const
{
    return m_dynatrace->ingestedPropertyCounts(key);
}

bool SimulatedEnvironment::start(QString *errorMessage)
{
    QString error;
    if (!m_server.start(m_options.address, m_options.port, &error)) {
        if (errorMessage) {
            *errorMessage = u"Cannot listen on %1:%2: %3"_s.arg(m_options.address.toString())
                                .arg(m_options.port)
                                .arg(error);
        }
        return false;
    }
    m_lastPort = m_server.port();
    const QString launchUrl = DynatraceApi::resetLaunchUrl(baseUrl());
    for (const QString &eventId : std::as_const(m_launchUrlEvents))
        m_events->setProperty(eventId, u"remediationAction"_s, launchUrl);
    return true;
}

void SimulatedEnvironment::stop()
{
    m_server.stop();
}

bool SimulatedEnvironment::isRunning() const
{
    return m_server.isListening();
}

QUrl SimulatedEnvironment::baseUrl() const
{
    const QHostAddress &address = m_options.address;
    QString host;
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv4
        || address == QHostAddress::LocalHost)
        host = u"127.0.0.1"_s;
    else if (address == QHostAddress::AnyIPv6 || address == QHostAddress::LocalHostIPv6)
        host = u"::1"_s;
    else
        host = address.toString();

    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(host);
    url.setPort(isRunning() ? m_server.port() : m_lastPort);
    return url;
}

QString SimulatedEnvironment::generateToken()
{
    return u"dt0c01."_s + randomAlphanumeric(24) + u'.' + randomAlphanumeric(64);
}

} // namespace canary::sim
