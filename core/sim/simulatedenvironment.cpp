#include "simulatedenvironment.h"

#include <QRandomGenerator>

#include "awxapi.h"
#include "dynatraceapi.h"
#include "eventstore.h"
#include "kubeapi.h"
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
    , m_dynatrace(std::make_unique<DynatraceApi>(m_world, m_server, *m_events))
    , m_awx(std::make_unique<AwxApi>(m_world, m_server))
    , m_kube(std::make_unique<KubeApi>(m_world, m_server))
    , m_control(std::make_unique<SimControlApi>(m_world, m_server))
{
    m_server.addFullAccessToken(m_token);
}

SimulatedEnvironment::~SimulatedEnvironment()
{
    m_server.stop();
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
