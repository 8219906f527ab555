#include "connectioncheck.h"

#include "awx/awxclient.h"
#include "dynatrace/calculatedmetrics.h"
#include "dynatrace/metricsclient.h"
#include "dynatrace/metricselector.h"
#include "dynatrace/tenantclient.h"
#include "dynatrace/tokenlookup.h"
#include "net/restclient.h"
#include "traffic/trafficbackend.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::onboarding {

namespace {

QString statusTag(CheckItem::Status status)
{
    switch (status) {
    case CheckItem::Status::Ok:
        return u"[ok]     "_s;
    case CheckItem::Status::Missing:
        return u"[missing]"_s;
    case CheckItem::Status::Failed:
        break;
    }
    return u"[failed] "_s;
}

} // namespace

bool CheckReport::allOk() const
{
    return std::all_of(items.begin(), items.end(), [](const CheckItem &item) { return item.isOk(); });
}

QString CheckReport::text() const
{
    QStringList lines;
    for (const auto &item : items)
        lines.append(u"%1 %2 — %3"_s.arg(statusTag(item.status), item.feature, item.detail));
    return lines.join(u'\n');
}

const std::vector<ConnectionCheck::ScopeUse> &ConnectionCheck::scopeUses()
{
    static const std::vector<ScopeUse> uses {
        { u"metrics.read", QT_TRANSLATE_NOOP("ConnectionCheck", "Chart: per-build request counts") },
        { u"events.read", QT_TRANSLATE_NOOP("ConnectionCheck", "Timeline and backout plans: events") },
        { u"events.ingest", QT_TRANSLATE_NOOP("ConnectionCheck", "Recording traffic changes and rollbacks") },
        { u"problems.read", QT_TRANSLATE_NOOP("ConnectionCheck", "Problems: timeline and banner") },
        { u"problems.write", QT_TRANSLATE_NOOP("ConnectionCheck", "Rollback comments on problems") },
    };
    return uses;
}

ConnectionCheck::ConnectionCheck(CheckSetup setup, QObject *parent)
    : QObject(parent)
    , m_setup(std::move(setup))
{ }

ConnectionCheck::~ConnectionCheck() = default;

std::size_t ConnectionCheck::reserve(int count)
{
    const std::size_t first = m_items.size();
    m_items.resize(first + std::size_t(count));
    return first;
}

void ConnectionCheck::put(std::size_t slot, CheckItem item)
{
    m_items[slot] = std::move(item);
}

void ConnectionCheck::applyTls(net::RestClient &client) const
{
    if (!m_setup.tls)
        return;
    client.setAllowInsecureTls(m_setup.tls->allowInsecure);
    // An unreadable bundle is the profile's problem to report; the calls then fail with the TLS error.
    if (!m_setup.tls->caBundle.isEmpty())
        client.setCaBundle(m_setup.tls->caBundle);
}

void ConnectionCheck::start()
{
    if (isRunning())
        return;
    m_items.clear();
    m_tokenScopes.reset();
    m_missingMetricSlot.reset();
    // Every check counts itself in before any can finish, so finished() cannot fire early.
    m_outstanding = 1;
    checkToken();
    checkMetric();
    checkAwx();
    checkBackend();
    done();
}

void ConnectionCheck::done()
{
    if (--m_outstanding > 0)
        return;
    CheckReport report;
    report.metricKey = dynatrace::metricKeyOf(m_setup.metricSelector);
    describeMissingMetric(report);
    for (auto &item : m_items) {
        if (item)
            report.items.push_back(*item);
    }
    Q_EMIT finished(report);
}

void ConnectionCheck::describeMissingMetric(CheckReport &report)
{
    if (!m_missingMetricSlot)
        return;
    report.metricMissing = true;
    const bool hasWriteConfig = m_tokenScopes && m_tokenScopes->contains(u"WriteConfig"_s);
    report.metricCreatable = hasWriteConfig;

    const QString key = report.metricKey;
    QString detail
        = tr("%1 does not exist: built-in service metrics have no build dimension, so per-build counts "
             "need a calculated service metric split by {Request:ApplicationBuildVersion}")
              .arg(key);
    QString command = u"canaryctl metric create --metric-key %1"_s.arg(key);
    if (!m_setup.buildDimension.isEmpty())
        command += u" --dimension %1"_s.arg(m_setup.buildDimension);
    if (hasWriteConfig) {
        detail += tr("; this token has WriteConfig, so it can be created: %1").arg(command);
    } else {
        dynatrace::CalculatedServiceMetric metric;
        metric.tsmMetricKey = key;
        if (!m_setup.buildDimension.isEmpty())
            metric.dimensionName = m_setup.buildDimension;
        metric.name = dynatrace::CalculatedServiceMetric::defaultName(metric.metric, metric.dimensionName);
        const QString service
            = m_setup.entitySelector.isEmpty() ? QString() : tr("matched by %1").arg(m_setup.entitySelector);
        QStringList steps = dynatrace::manualSteps(metric, service);
        for (qsizetype i = 0; i < steps.size(); ++i)
            steps[i] = u"%1. %2"_s.arg(i + 1).arg(steps.at(i));
        detail += (m_tokenScopes
                ? tr("; this token lacks WriteConfig, so create it by hand (or add WriteConfig "
                     "and run %1): %2")
                : tr("; its scopes are unknown: with WriteConfig run %1, or create it by hand: %2"))
                      .arg(command, steps.join(u' '));
    }
    m_items[*m_missingMetricSlot]->detail = detail;
}

void ConnectionCheck::checkToken()
{
    const std::size_t tokenSlot = reserve(1);
    const std::size_t scopeSlot = reserve(int(scopeUses().size()));
    const auto skipScopes = [this, scopeSlot](const QString &why) {
        for (std::size_t i = 0; i < scopeUses().size(); ++i)
            put(scopeSlot + i, { tr(scopeUses()[i].feature), CheckItem::Status::Failed, why });
    };
    const QString tokenFeature = tr("Dynatrace access token");
    if (!m_setup.dynatraceUrl.isValid() || m_setup.token.isEmpty()) {
        put(tokenSlot,
            { tokenFeature, CheckItem::Status::Missing,
                m_setup.token.isEmpty() ? tr("no token: set one in the profile (keychain) or DT_API_TOKEN")
                                        : tr("no Dynatrace environment URL") });
        skipScopes(tr("needs the token"));
        return;
    }
    if (const QString problem = dynatrace::tokenKindProblem(m_setup.token); !problem.isEmpty()) {
        // Nothing is sent: a token of the wrong kind is not worth showing to the tenant.
        put(tokenSlot, { tokenFeature, CheckItem::Status::Failed, problem });
        skipScopes(tr("needs an access token"));
        return;
    }
    m_dynatrace = dynatrace::makeTenantClient(m_setup.dynatraceUrl, m_setup.token, m_setup.timeoutMs);
    applyTls(*m_dynatrace);
    ++m_outstanding;
    dynatrace::lookupToken(m_dynatrace.get(), m_setup.token, this,
        [this, tokenSlot, scopeSlot, tokenFeature, skipScopes](const dynatrace::TokenLookupResult &info) {
            if (!info) {
                const auto &error = info.error();
                const QString why = error.kind == dynatrace::ApiError::Kind::Unauthorized
                    ? tr("the tenant does not accept this token (expired, revoked, or another "
                         "environment's): %1")
                          .arg(error.summary())
                    : error.summary();
                put(tokenSlot, { tokenFeature, CheckItem::Status::Failed, why });
                skipScopes(tr("the token could not be checked"));
                return done();
            }
            QString detail = tr("%1 (%2) on %3")
                                 .arg(info->id, info->name.isEmpty() ? tr("unnamed") : info->name,
                                     m_setup.dynatraceUrl.host());
            CheckItem::Status status = CheckItem::Status::Ok;
            if (!info->enabled) {
                status = CheckItem::Status::Failed;
                detail += tr("; the token is disabled");
            } else if (info->expiration && *info->expiration <= QDateTime::currentDateTimeUtc()) {
                status = CheckItem::Status::Failed;
                detail += tr("; the token expired on %1").arg(info->expiration->toString(Qt::ISODate));
            } else if (info->expiration) {
                detail += tr("; expires %1").arg(info->expiration->toString(Qt::ISODate));
            }
            put(tokenSlot, { tokenFeature, status, detail });
            m_tokenScopes = info->scopes;
            for (std::size_t i = 0; i < scopeUses().size(); ++i) {
                const QString scope = QString::fromUtf16(scopeUses()[i].scope);
                const bool has = info->scopes.contains(scope);
                put(scopeSlot + i,
                    { tr(scopeUses()[i].feature), has ? CheckItem::Status::Ok : CheckItem::Status::Missing,
                        has ? scope : tr("the token lacks the scope %1").arg(scope) });
            }
            done();
        });
}

void ConnectionCheck::checkMetric()
{
    const std::size_t slot = reserve(1);
    const QString key = dynatrace::metricKeyOf(m_setup.metricSelector);
    const QString feature = tr("Per-build metric %1").arg(key);
    if (!m_dynatrace) {
        put(slot, { feature, CheckItem::Status::Failed, tr("needs a working token") });
        return;
    }
    auto *metrics = new dynatrace::MetricsClient(m_dynatrace.get(), this);
    ++m_outstanding;
    metrics->descriptor(
        key, this, [this, slot, feature, key, metrics](const dynatrace::MetricDescriptorResult &descriptor) {
            metrics->deleteLater();
            if (!descriptor) {
                if (descriptor.error().kind == dynatrace::ApiError::Kind::NotFound) {
                    put(slot, { feature, CheckItem::Status::Missing, {} });
                    m_missingMetricSlot = slot;
                } else {
                    put(slot, { feature, CheckItem::Status::Failed, descriptor.error().summary() });
                }
                return done();
            }
            if (!m_setup.buildDimension.isEmpty() && !descriptor->hasDimension(m_setup.buildDimension)) {
                put(slot,
                    { feature, CheckItem::Status::Missing,
                        tr("%1 has no dimension '%2'").arg(key, m_setup.buildDimension) });
            } else if (descriptor->dimensionDefinitions.empty()) {
                put(slot,
                    { feature, CheckItem::Status::Missing,
                        tr("%1 has no dimensions, so no build to split by").arg(key) });
            } else {
                put(slot,
                    { feature, CheckItem::Status::Ok,
                        descriptor->displayName.isEmpty() ? key : descriptor->displayName });
            }
            done();
        });
}

void ConnectionCheck::checkAwx()
{
    if (!m_setup.awx)
        return;
    m_awxRest = std::make_unique<net::RestClient>(m_setup.awx->url);
    m_awxRest->setAuthorization(m_setup.awx->authorizationHeader());
    m_awxRest->setTimeoutMs(m_setup.timeoutMs);
    applyTls(*m_awxRest);
    m_awx = std::make_unique<awx::AwxClient>(m_awxRest.get(), m_setup.awx->apiPath);
    const QString host = m_setup.awx->hostDisplay();
    for (const QString &ref : std::as_const(m_setup.awxTemplates)) {
        const std::size_t slot = reserve(1);
        const QString feature = tr("AWX job template %1 on %2").arg(ref, host);
        ++m_outstanding;
        m_awx->findTemplate(ref, this, [this, slot, feature](const awx::AwxResult<awx::JobTemplate> &found) {
            if (!found) {
                put(slot, { feature, CheckItem::Status::Failed, found.error().summary() });
            } else if (found->canStart && !*found->canStart) {
                put(slot,
                    { feature, CheckItem::Status::Missing,
                        tr("'%1' (#%2) is visible, but this user may not launch it (needs Execute)")
                            .arg(found->name)
                            .arg(found->id) });
            } else {
                put(slot,
                    { feature, CheckItem::Status::Ok,
                        tr("'%1' (#%2), may launch").arg(found->name).arg(found->id) });
            }
            done();
        });
    }
}

void ConnectionCheck::checkBackend()
{
    if (!m_setup.backend)
        return;
    const std::size_t slot = reserve(1);
    const QString feature = tr("Traffic back-end: %1").arg(m_setup.backend->description());
    ++m_outstanding;
    m_setup.backend->readSplit(this, [this, slot, feature](const traffic::SplitResult &split) {
        put(slot,
            split ? CheckItem { feature, CheckItem::Status::Ok,
                tr("reads %1 (stable/canary)").arg(split->toString()) }
                  : CheckItem { feature, CheckItem::Status::Failed, split.error().summary() });
        done();
    });
}

} // namespace canary::onboarding
