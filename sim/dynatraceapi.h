#pragma once

#include <QList>
#include <QMap>
#include <QUrl>

#include "metricregistry.h"
#include "metricsengine.h"
#include "seededrandom.h"

namespace canary::sim {

class EventStore;
class ProblemDetector;
class ProblemStore;
class SimServer;
class World;
struct HttpReply;
struct SimRequest;
struct StoredEvent;
struct WeightChange;

// The Dynatrace Environment API routes of the simulated tenant. Each endpoint is one addRoute() line in the
// constructor and one handler:
//  - metrics: GET /api/v2/metrics/query, GET /api/v2/metrics/{metricKey} and the list GET /api/v2/metrics
//    (metrics.read);
//  - events: POST /api/v2/events/ingest (events.ingest), POST /api/v1/events (DataExport), GET /api/v2/events
//    and GET /api/v2/events/{eventId} (events.read) — the list holds what was ingested and the Davis events
//    of problems, open ones with endTime -1;
//  - problems: GET /api/v2/problems and GET /api/v2/problems/{problemId} (problems.read), from the
//    ProblemDetector, which is brought up to now before every read;
//  - problem comments: GET /api/v2/problems/{problemId}/comments (problems.read) and POST (problems.write,
//    201 without a body, as the tenant answers), kept in the ProblemStore; the detail shows the newest under
//    recentComments;
//  - entities: GET /api/v2/entities (entities.read), the world's service and WorldConfig::otherServices that
//    an entitySelector matches;
//  - calculated service metrics: POST /api/config/v1/calculatedMetrics/service (WriteConfig), validated like
//    the config API (400 with constraint violations, 400 for a key that exists) and answered 201 {id,name};
//    GET (ReadConfig) lists them. A created metric is in the metrics API at once, with data from its
//    creation on (no backfill).
// Lists page like Dynatrace's: an opaque nextPageKey that must come alone (400 otherwise).
class DynatraceApi
{
public:
    static constexpr int DefaultEventPageSize = 100;
    static constexpr int MaxEventPageSize = 1000;
    static constexpr int DefaultProblemPageSize = 50;
    static constexpr int MaxProblemPageSize = 500;
    static constexpr int DefaultCommentPageSize = 10;
    static constexpr int MaxCommentPageSize = 500;
    // Who a comment posted through the API is by: the tenant names the token's owner, and the simulator's
    // tokens have none.
    static constexpr QStringView CommentAuthorName = u"canary-sim@example.invalid";

    DynatraceApi(World &world, SimServer &server, EventStore &events, ProblemStore &problems,
        ProblemDetector &detector);

    // The page size a list request gets when it names none. Small values make clients page (tests set 5).
    // Clamped to 1..the maximum a request may ask for.
    void setDefaultEventPageSize(int size);
    void setDefaultProblemPageSize(int size);
    int defaultEventPageSize() const { return m_defaultEventPageSize; }
    int defaultProblemPageSize() const { return m_defaultProblemPageSize; }

    // Stores the event the workshop pipeline sent for `change` at `atMs` (seed-workshop.md §3), through the
    // very code POST /api/v1/events or /api/v2/events/ingest runs: the v1 generation's remediationAction is
    // resetLaunchUrl(awxBaseUrl). Returns the eventId, empty when the change records no event.
    QString recordPipelineEvent(const WeightChange &change, qint64 atMs, const QUrl &awxBaseUrl);
    // Stores the event the current Jenkinsfile sends when the workshop's playbook sets a weight (API v2,
    // seed-workshop.md §3): CUSTOM_CONFIGURATION "Canary weight set to N" on the service, selected by its
    // tags, with remediationType "ansible" and `remediationAction` (the reset template's id, "NA" for the
    // reset), starting at `atMs`. Returns the eventId, empty when nothing was stored.
    QString recordCanaryWeightEvent(int canaryWeight, const QString &remediationAction, qint64 atMs);
    // The AWX launch URL of "Reset canary weighting" under `awxBaseUrl`, as v1-era events carry it:
    // <base>/api/v2/job_templates/9/launch/
    static QString resetLaunchUrl(const QUrl &awxBaseUrl);

    // The metrics the tenant knows, calculated ones created through the config API included.
    MetricRegistry &metricRegistry() { return m_registry; }

    // How often each value of property `key` came in: over every event stored through POST
    // /api/v2/events/ingest (not the simulator's own records), those whose properties hold `key`, counted by
    // its value. Kept apart from the event store, which drops old events, so a duplicate is never missed.
    QMap<QString, int> ingestedPropertyCounts(const QString &key) const;
    void clearIngestLog() { m_ingestedProperties.clear(); }

private:
    HttpReply metricsQuery(const SimRequest &request);
    HttpReply metricDescriptor(const SimRequest &request);
    HttpReply listMetrics(const SimRequest &request);
    HttpReply ingestEvent(const SimRequest &request);
    HttpReply ingestV1Event(const SimRequest &request);
    HttpReply listEvents(const SimRequest &request);
    HttpReply getEvent(const SimRequest &request);
    HttpReply listProblems(const SimRequest &request);
    HttpReply getProblem(const SimRequest &request);
    HttpReply listComments(const SimRequest &request);
    HttpReply postComment(const SimRequest &request);
    HttpReply lookupToken(const SimRequest &request);
    HttpReply listEntities(const SimRequest &request);
    HttpReply createCalculatedMetric(const SimRequest &request);
    HttpReply listCalculatedMetrics(const SimRequest &request);

    // The ingests as of `nowMs`, shared by the routes and the record…() helpers; `storedId` gets the eventId
    // of the (one) event stored.
    // `storedProperties` gets the properties of the event stored.
    HttpReply storeV2(const QByteArray &body, qint64 nowMs, QString *storedId = nullptr,
        QMap<QString, QString> *storedProperties = nullptr);
    HttpReply storeV1(const QByteArray &body, qint64 nowMs, QString *storedId = nullptr);
    // The key of the comments page after [offset, offset + pageSize) of `total`; empty after the last.
    static QString nextCommentPageKey(qsizetype total, qint64 offset, int pageSize);
    // Everything GET /api/v2/events can list, newest first: the store and the Davis events of problems.
    QList<StoredEvent> listableEvents();

    World &m_world;
    MetricRegistry m_registry; // before m_metrics, which reads it
    MetricsEngine m_metrics;
    EventStore &m_events;
    ProblemStore &m_problems;
    ProblemDetector &m_detector;
    SimServer &m_server;
    SeededRandom m_ids; // event and correlation ids, reproducible for a given world start
    int m_defaultEventPageSize = DefaultEventPageSize;
    int m_defaultProblemPageSize = DefaultProblemPageSize;
    QList<QMap<QString, QString>> m_ingestedProperties; // one per event POST /api/v2/events/ingest stored
};

} // namespace canary::sim
