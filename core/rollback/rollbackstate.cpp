#include "rollbackstate.h"

#include <QJsonArray>

using namespace Qt::Literals::StringLiterals;

namespace canary::rollback {

namespace {

constexpr std::array StageNames { u"preflight", u"launching", u"following", u"verifying", u"recording",
    u"finished" };
constexpr std::array FailureNames { u"none", u"no-plan", u"refused", u"launch-failed", u"job-failed",
    u"not-verified", u"busy", u"unknown", u"store-unusable" };

template<typename Enum, std::size_t N>
std::optional<Enum> fromName(const std::array<const char16_t *, N> &names, const QString &name)
{
    for (std::size_t i = 0; i < N; ++i) {
        if (name == QStringView(names[i]))
            return Enum(i);
    }
    return std::nullopt;
}

} // namespace

QString stageName(Stage stage)
{
    return QString::fromUtf16(StageNames.at(std::size_t(stage)));
}

QString failureName(Failure failure)
{
    return QString::fromUtf16(FailureNames.at(std::size_t(failure)));
}

QString RollbackState::actionText() const
{
    if (fallback)
        return QObject::tr("canary set to 0 % through the traffic back-end");
    switch (plan.kind) {
    case BackoutPlan::Kind::AwxTemplate:
        return jobId > 0
            ? QObject::tr("AWX job %1 %2").arg(jobId).arg(jobStatus.isEmpty() ? u"launched"_s : jobStatus)
            : QObject::tr("AWX job template #%1").arg(plan.templateId);
    case BackoutPlan::Kind::GitlabPipeline:
        return QObject::tr("GitLab pipeline triggered on %1").arg(plan.triggerUrl.host());
    case BackoutPlan::Kind::NothingToDo:
        break;
    }
    return QObject::tr("nothing to run");
}

QJsonObject RollbackState::toJson() const
{
    QJsonObject source { { u"eventId"_s, plan.source.eventId }, { u"eventType"_s, plan.source.eventType },
        { u"title"_s, plan.source.title }, { u"startTime"_s, plan.source.startMs },
        { u"entityId"_s, plan.source.entityId } };
    QJsonObject json { { u"id"_s, id }, { u"fallback"_s, fallback },
        { u"plan"_s,
            QJsonObject { { u"kind"_s, kindName(plan.kind) }, { u"templateId"_s, plan.templateId },
                // Kept so a resumed rollback names what it runs and where, in its rows and its event.
                { u"templateName"_s, plan.templateName }, { u"awxHost"_s, plan.awxHost },
                // The journal is a file in the data directory: a trigger token never goes there. Resuming
                // a pipeline rollback only verifies the traffic, so the masked URL is all it needs.
                { u"triggerUrl"_s, plan.triggerUrl.isEmpty() ? QString() : maskedUrl(plan.triggerUrl) },
                { u"remediationType"_s, plan.remediationType },
                { u"remediationAction"_s,
                    plan.kind == BackoutPlan::Kind::GitlabPipeline ? maskedUrl(QUrl(plan.remediationAction))
                                                                   : plan.remediationAction },
                { u"trust"_s, plan.trust }, { u"source"_s, source } } },
        { u"reason"_s, reason }, { u"operator"_s, operatorName },
        { u"openProblemIds"_s, QJsonArray::fromStringList(openProblemIds) }, { u"stage"_s, stageName(stage) },
        { u"failure"_s, failureName(failure) }, { u"message"_s, message }, { u"jobId"_s, jobId },
        { u"jobUrl"_s, jobUrl }, { u"jobStatus"_s, jobStatus }, { u"startedAt"_s, startedAtMs },
        { u"launchSentAt"_s, launchSentAtMs }, { u"newestJobBeforeLaunch"_s, newestJobBeforeLaunch },
        { u"jobFinishedAt"_s, jobFinishedAtMs }, { u"finishedAt"_s, finishedAtMs },
        { u"backendVerified"_s, backendVerified }, { u"verified"_s, verified } };
    if (observedCanaryPercent)
        json.insert(u"observedCanaryPercent"_s, *observedCanaryPercent);
    return json;
}

std::optional<RollbackState> RollbackState::fromJson(const QJsonObject &json)
{
    RollbackState state;
    state.id = json.value(u"id"_s).toString();
    const auto stage = fromName<Stage>(StageNames, json.value(u"stage"_s).toString());
    const auto failure = fromName<Failure>(FailureNames, json.value(u"failure"_s).toString());
    if (state.id.isEmpty() || !stage || !failure)
        return std::nullopt;
    state.stage = *stage;
    state.failure = *failure;
    state.fallback = json.value(u"fallback"_s).toBool();
    const QJsonObject plan = json.value(u"plan"_s).toObject();
    const QString kind = plan.value(u"kind"_s).toString();
    state.plan.kind = BackoutPlan::Kind::NothingToDo;
    for (const auto candidate : { BackoutPlan::Kind::AwxTemplate, BackoutPlan::Kind::GitlabPipeline }) {
        if (kind == kindName(candidate))
            state.plan.kind = candidate;
    }
    state.plan.templateId = plan.value(u"templateId"_s).toInt();
    state.plan.templateName = plan.value(u"templateName"_s).toString();
    state.plan.awxHost = plan.value(u"awxHost"_s).toString();
    state.plan.triggerUrl = QUrl(plan.value(u"triggerUrl"_s).toString());
    state.plan.remediationType = plan.value(u"remediationType"_s).toString();
    state.plan.remediationAction = plan.value(u"remediationAction"_s).toString();
    state.plan.trust = plan.value(u"trust"_s).toString();
    const QJsonObject source = plan.value(u"source"_s).toObject();
    state.plan.source.eventId = source.value(u"eventId"_s).toString();
    state.plan.source.eventType = source.value(u"eventType"_s).toString();
    state.plan.source.title = source.value(u"title"_s).toString();
    state.plan.source.startMs = source.value(u"startTime"_s).toInteger();
    state.plan.source.entityId = source.value(u"entityId"_s).toString();
    state.plan.source.properties.insert(u"remediationType"_s, state.plan.remediationType);
    state.plan.source.properties.insert(u"remediationAction"_s, state.plan.remediationAction);
    state.reason = json.value(u"reason"_s).toString();
    state.operatorName = json.value(u"operator"_s).toString();
    for (const QJsonValue id : json.value(u"openProblemIds"_s).toArray())
        state.openProblemIds.append(id.toString());
    state.message = json.value(u"message"_s).toString();
    state.jobId = json.value(u"jobId"_s).toInt();
    state.jobUrl = json.value(u"jobUrl"_s).toString();
    state.jobStatus = json.value(u"jobStatus"_s).toString();
    state.startedAtMs = json.value(u"startedAt"_s).toInteger();
    state.launchSentAtMs = json.value(u"launchSentAt"_s).toInteger();
    state.newestJobBeforeLaunch = json.value(u"newestJobBeforeLaunch"_s).toInt(-1);
    state.jobFinishedAtMs = json.value(u"jobFinishedAt"_s).toInteger();
    state.finishedAtMs = json.value(u"finishedAt"_s).toInteger();
    state.backendVerified = json.value(u"backendVerified"_s).toBool();
    state.verified = json.value(u"verified"_s).toBool();
    if (json.contains(u"observedCanaryPercent"_s))
        state.observedCanaryPercent = json.value(u"observedCanaryPercent"_s).toDouble();
    return state;
}

} // namespace canary::rollback
