#pragma once

#include <memory>
#include <optional>

#include <QUrl>

#include "awx/awxclient.h"
#include "awx/awxconfig.h"
#include "awx/jobtemplate.h"
#include "net/restclient.h"
#include "trafficbackend.h"

namespace canary {
class Clock;
}

namespace canary::traffic {

// The split lives in an AWX / Automation Controller job template that takes the weights as extra variables
// (AwxConfig::canaryVariable and oldVariable), and may be moved by reset templates too (resetTemplateIds,
// watchResetTemplates: the workshop's "Reset canary weighting").
//
// readSplit() is one GET jobs/?job_template__in=…&status=successful&order_by=-id&page_size=… over all of
// them (the template lookup is cached): the split is what the last of those jobs to finish left — for the
// set template its set_stats artifacts, else its extra_vars; for a reset template 0 % unless its artifacts
// publish the canary variable — and lastReadOrigin() names that job, who launched it and when it finished.
//
// applySplit() first asks (the same list, status__in=new,pending,waiting,running) whether a job of those
// templates is still under way, and refuses with Conflict rather than launch over it. Every launch carries a
// fresh change id (AwxConfig::changeIdVariable; AWX may drop it without harm). Qt's HTTP layer sends a
// request again, a POST too, when the connection closes before any answer, so one launch can start two
// jobs: after the launch the back-end looks for jobs with its change id, follows the first and cancels the
// others (which AWX keeps pending behind it, allow_simultaneous being off). When the launch itself fails on
// the way (no answer, a timeout), it looks for a job with its change id and follows that; only when there is
// none does it launch once more.
//
// Destroying the back-end abandons what is under way without calling back; an AWX job already launched
// keeps running.
class AwxTrafficBackend final : public TrafficBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AwxTrafficBackend)

public:
    // `clock` measures the job timeout, so tests can run a ten-minute job in a moment.
    explicit AwxTrafficBackend(awx::AwxConfig config, QObject *parent = nullptr);
    AwxTrafficBackend(awx::AwxConfig config, Clock &clock, QObject *parent = nullptr);
    // Over `shared`, a client of the configured AWX with its credentials that others use too (not owned;
    // must outlive the back-end): environment::Environment hands the rollback and the back-end one client
    // when they run on the same AWX.
    AwxTrafficBackend(
        awx::AwxConfig config, net::RestClient *shared, Clock &clock, QObject *parent = nullptr);
    ~AwxTrafficBackend() override;

    // "AWX template 'Set canary weight' (#7) on awx.example.com"; before the template was looked up, only
    // what was configured.
    QString description() const override;
    QString targetId() const override;

    void readSplit(const QObject *context, SplitCallback onDone) override;
    void applySplit(const Split &split, const QObject *context, SplitCallback onDone) override;

    // Jobs of these templates also set the split (0 % unless their artifacts say otherwise), and a job of
    // theirs still under way blocks applySplit().
    void watchResetTemplates(const QList<int> &templateIds) { m_config.resetTemplateIds = templateIds; }

    // Holds secrets: never log it.
    const awx::AwxConfig &config() const { return m_config; }
    // The template once a call looked it up (cached until AWX says it is gone).
    std::optional<awx::JobTemplate> resolvedTemplate() const { return m_template; }
    awx::AwxClient &client() { return m_client; }

Q_SIGNALS:
    // A job was launched; `jobUrl` is its absolute API URL, for the operator to follow.
    void jobLaunched(int jobId, const QUrl &jobUrl);
    // Every status the job was seen in, "pending" first.
    void jobStatusChanged(int jobId, const QString &status);

private:
    class Operation;

    QUrl absoluteJobUrl(int jobId, const QString &serverRelativeUrl) const;

    awx::AwxConfig m_config;
    Clock &m_clock;
    std::unique_ptr<net::RestClient> m_ownRest; // when no client is shared
    awx::AwxClient m_client;
    std::optional<awx::JobTemplate> m_template;
    // The newest deciding job's detail, when the job list left out its artifacts and extra_vars: a finished
    // job never changes, so steady state stays one request.
    std::optional<awx::Job> m_detailedJob;
};

} // namespace canary::traffic
