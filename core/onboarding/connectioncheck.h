#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <QObject>
#include <QUrl>

#include "awx/awxconfig.h"
#include "net/tlspolicy.h"

namespace canary::awx {
class AwxClient;
}
namespace canary::net {
class RestClient;
}
namespace canary::traffic {
class TrafficBackend;
}

namespace canary::onboarding {

// One line of "Test connection": a feature of the app, and whether this set-up can do it.
struct CheckItem
{
    enum class Status { Ok, Missing, Failed };

    QString feature; // "Chart: per-build request counts"
    Status status = Status::Failed;
    QString detail; // what works, or what to do about it

    bool isOk() const { return status == Status::Ok; }
};

struct CheckReport
{
    std::vector<CheckItem> items; // in a fixed order: token, scopes, metric, AWX, traffic back-end

    // The per-build metric: its key, whether the tenant does not have it, and whether this token may create
    // it (it has WriteConfig). A UI offers "Create metric" (MetricOnboarding) when metricCreatable, and the
    // manual steps in the metric item's detail otherwise.
    QString metricKey;
    bool metricMissing = false;
    bool metricCreatable = false;

    bool allOk() const;
    // One line per item: "[ok]      Chart: per-build request counts — metrics.read".
    QString text() const;
};

// What to test: the Dynatrace environment and its token, the per-build metric, and what the profile uses
// besides (AWX templates, the traffic back-end). Nothing is changed anywhere: every request is a read, except
// the token lookup, which is a POST that only reads.
struct CheckSetup
{
    QUrl dynatraceUrl;
    QString token;
    QString metricSelector; // the key is checked: it must exist and have the build dimension
    QString buildDimension; // empty: any dimension will do (it is discovered)
    QString entitySelector; // names the service in the steps to create a missing metric
    std::optional<awx::AwxConfig> awx;
    QStringList awxTemplates; // names or ids the profile launches (the traffic template, the backout)
    traffic::TrafficBackend *backend = nullptr; // not owned
    int timeoutMs = 15'000;
    // The TLS choices of the profile being tested (it may not be the one in use); nullopt: the process's.
    std::optional<net::TlsPolicy> tls;
};

// "Test connection": asks each service what this set-up may do and reports per feature what works and what is
// missing (a scope, the metric, the right to launch a template), never only "connection failed".
class ConnectionCheck final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionCheck)

public:
    explicit ConnectionCheck(CheckSetup setup, QObject *parent = nullptr);
    ~ConnectionCheck() override;

    // Runs every check at once; finished() follows exactly once.
    void start();
    bool isRunning() const { return m_outstanding > 0; }

    // The scopes the app's features need, in the report's order.
    struct ScopeUse
    {
        const char16_t *scope;
        const char *feature;
    };
    static const std::vector<ScopeUse> &scopeUses();

Q_SIGNALS:
    void finished(const canary::onboarding::CheckReport &report);

private:
    void checkToken();
    void checkMetric();
    void checkAwx();
    void checkBackend();
    void put(std::size_t slot, CheckItem item);
    void applyTls(net::RestClient &client) const;
    std::size_t reserve(int count);
    void done();
    // The missing metric's detail needs both the descriptor's 404 and the token's scopes: written last.
    void describeMissingMetric(CheckReport &report);

    CheckSetup m_setup;
    std::unique_ptr<net::RestClient> m_dynatrace;
    std::unique_ptr<net::RestClient> m_awxRest;
    std::unique_ptr<awx::AwxClient> m_awx;
    std::vector<std::optional<CheckItem>> m_items;
    std::optional<QStringList> m_tokenScopes; // set once the lookup told them
    std::optional<std::size_t> m_missingMetricSlot;
    int m_outstanding = 0;
};

} // namespace canary::onboarding

Q_DECLARE_METATYPE(canary::onboarding::CheckReport)
