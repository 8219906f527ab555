#include <QJsonDocument>
#include <QTcpServer>
#include <QTest>

#include "rollback/backoutplan.h"
#include "rollback/rollbackstate.h"

using namespace Qt::Literals::StringLiterals;
using canary::dynatrace::Event;
using canary::rollback::BackoutPlan;
using canary::rollback::PlanPolicy;
using canary::rollback::PlanRefusal;
using canary::rollback::resolvePlan;
using canary::rollback::RollbackState;

namespace {

constexpr qint64 T0 = 1'795'687'200'000;

Event change(const QString &id, qint64 startMs, const QString &action, const QString &type = u"ansible"_s,
    const QString &eventType = u"CUSTOM_CONFIGURATION"_s)
{
    Event event;
    event.eventId = id;
    event.eventType = eventType;
    event.title = u"Canary weight set to 30"_s;
    event.startMs = startMs;
    event.entityId = u"SERVICE-F91837027736B19E"_s;
    if (!type.isNull())
        event.properties.insert(u"remediationType"_s, type);
    if (!action.isNull())
        event.properties.insert(u"remediationAction"_s, action);
    return event;
}

PlanPolicy awxPolicy()
{
    PlanPolicy policy;
    policy.awxUrl = QUrl(u"https://awx.example.com"_s);
    return policy;
}

} // namespace

class TestBackoutPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void templateId_runsOnTheConfiguredAwx()
    {
        for (const QString &type : { u"ansible"_s, QString(), u"Ansible"_s }) {
            const auto plan = resolvePlan({ change(u"e1"_s, T0, u"9"_s, type) }, awxPolicy());
            QVERIFY2(plan, qPrintable(plan ? QString() : plan.error().message));
            QCOMPARE(plan->kind, BackoutPlan::Kind::AwxTemplate);
            QCOMPARE(plan->templateId, 9);
            QCOMPARE(plan->source.eventId, u"e1"_s);
            QVERIFY(plan->needsAction());
            QCOMPARE(plan->shortText(), u"Launch AWX job template #9 on awx.example.com"_s);
            QVERIFY2(plan->trust.contains(u"https://awx.example.com"_s), qPrintable(plan->trust));
            QVERIFY(plan->detailText().contains(u"Canary weight set to 30"_s));
        }
    }

    void newestConfigurationChangeWithAnAction_wins()
    {
        Event error = change(u"err"_s, T0 + 50'000, u"12"_s, u"ansible"_s, u"ERROR_EVENT"_s);
        Event featureFlag = change(u"flag"_s, T0 + 40'000, QString(), QString()); // no remediationAction
        featureFlag.title = u"Feature flag checkout-v2 enabled"_s; // not a change of the canary's weight
        const auto plan
            = resolvePlan({ change(u"old"_s, T0, u"8"_s), error, featureFlag,
                              change(u"new"_s, T0 + 30'000, u"9"_s), change(u"older"_s, T0 - 5000, u"7"_s) },
                awxPolicy());
        QVERIFY(plan);
        QCOMPARE(plan->source.eventId, u"new"_s);
        QCOMPARE(plan->templateId, 9);
    }

    void otherEventTypes_neverHoldAPlan()
    {
        // Only a configuration change records a backout plan: a newer deployment, annotation or error event
        // with a remediationAction (a template id, or NA) neither replaces the plan nor answers "nothing to
        // do".
        for (const QString &type :
            { u"CUSTOM_DEPLOYMENT"_s, u"CUSTOM_ANNOTATION"_s, u"CUSTOM_INFO"_s, u"ERROR_EVENT"_s }) {
            for (const QString &action : { u"NA"_s, u"8"_s }) {
                const auto plan
                    = resolvePlan({ change(u"ramp"_s, T0, u"9"_s),
                                      change(u"other"_s, T0 + 60'000, action, u"ansible"_s, type) },
                        awxPolicy());
                QVERIFY2(plan, qPrintable(type));
                QCOMPARE(plan->kind, BackoutPlan::Kind::AwxTemplate);
                QCOMPARE(plan->source.eventId, u"ramp"_s);
                QCOMPARE(plan->templateId, 9);
            }
        }
        // Alone, such an event is no plan at all.
        const auto alone = resolvePlan(
            { change(u"deploy"_s, T0, u"NA"_s, u"ansible"_s, u"CUSTOM_DEPLOYMENT"_s) }, awxPolicy());
        QVERIFY(!alone);
        QCOMPARE(alone.error().reason, PlanRefusal::Reason::NoChangeEvent);
    }

    void eventSource_limitsWhichChangesHoldAPlan()
    {
        Event jenkins = change(u"jenkins"_s, T0, u"9"_s);
        jenkins.properties.insert(u"dt.event.source"_s, u"Jenkins"_s);
        Event script = change(u"script"_s, T0 + 60'000, u"NA"_s);
        script.properties.insert(u"dt.event.source"_s, u"somebody's script"_s);
        Event unsourced = change(u"unsourced"_s, T0 + 90'000, u"8"_s);

        PlanPolicy policy = awxPolicy();
        policy.eventSource = u"jenkins"_s; // as Dynatrace shows it, in any case
        const auto plan = resolvePlan({ jenkins, script, unsourced }, policy);
        QVERIFY(plan);
        QCOMPARE(plan->source.eventId, u"jenkins"_s);
        QCOMPARE(plan->templateId, 9);

        // Without the setting the newest change wins, whoever sent it.
        QCOMPARE(resolvePlan({ jenkins, script, unsourced }, awxPolicy())->source.eventId, u"unsourced"_s);

        const auto none = resolvePlan({ script, unsourced }, policy);
        QVERIFY(!none);
        QCOMPARE(none.error().reason, PlanRefusal::Reason::NoChangeEvent);
        QVERIFY2(none.error().message.contains(u"from jenkins (dt.event.source)"_s),
            qPrintable(none.error().message));
    }

    void pinnedTemplates_boundWhatAPlanMayLaunch()
    {
        BackoutPlan plan = *resolvePlan({ change(u"e"_s, T0, u"8"_s) }, awxPolicy());
        plan.templateName = u"Start canary deployment"_s;

        // No list: the plan runs, and says plainly who chose it.
        PlanPolicy open = awxPolicy();
        const auto unpinned = checkPinnedTemplate(plan, open);
        QVERIFY(unpinned);
        QVERIFY2(unpinned->trust.contains(u"can name any job template on this AWX"_s),
            qPrintable(unpinned->trust));
        QVERIFY(unpinned->detailText().contains(u"can name any job template"_s));

        PlanPolicy pinned = awxPolicy();
        pinned.allowedTemplates = { u"9"_s, u"Reset canary weighting"_s };
        const auto refused = checkPinnedTemplate(plan, pinned);
        QVERIFY(!refused);
        QCOMPARE(refused.error().reason, PlanRefusal::Reason::TemplateNotAllowed);
        QCOMPARE(reasonName(refused.error().reason), u"template-not-allowed"_s);
        QVERIFY(!refused.error().offersFallback());
        QCOMPARE(refused.error().source->eventId, u"e"_s);
        for (const QString &part : { u"#8 'Start canary deployment'"_s, u"#9, 'Reset canary weighting'"_s,
                 u"nothing was launched"_s })
            QVERIFY2(refused.error().message.contains(part), qPrintable(refused.error().message));

        // By id, or by the name AWX reports (exactly).
        plan.templateId = 9;
        plan.templateName = u"Reset canary weighting"_s;
        pinned.allowedTemplates = { u"9"_s };
        QVERIFY(checkPinnedTemplate(plan, pinned));
        QVERIFY(checkPinnedTemplate(plan, pinned)->trust.contains(u"#9 is pinned"_s));
        pinned.allowedTemplates = { u" Reset canary weighting "_s };
        QVERIFY(checkPinnedTemplate(plan, pinned));
        pinned.allowedTemplates = { u"reset canary weighting"_s };
        QVERIFY(!checkPinnedTemplate(plan, pinned));
        // A name on the list is no match when AWX could not say the template's name.
        plan.templateName.clear();
        pinned.allowedTemplates = { u"Reset canary weighting"_s };
        const auto unnamed = checkPinnedTemplate(plan, pinned);
        QVERIFY(!unnamed);
        QVERIFY2(unnamed.error().message.contains(u"#9 (AWX did not name it)"_s),
            qPrintable(unnamed.error().message));

        // Other kinds are not AWX templates.
        PlanPolicy strict = awxPolicy();
        strict.allowedTemplates = { u"9"_s };
        const auto reset
            = checkPinnedTemplate(*resolvePlan({ change(u"r"_s, T0, u"NA"_s) }, awxPolicy()), strict);
        QVERIFY(reset);
        QCOMPARE(reset->kind, BackoutPlan::Kind::NothingToDo);
    }

    void newestWeightChangeWithoutAPlan_isRefused_notAnOlderPlanOrReset()
    {
        // canaryctl split set 30 without --remediation-action, after an older reset: neither the reset's
        // "nothing to do" nor an older change's plan describes where traffic is now.
        Event reset = change(u"reset"_s, T0, u"NA"_s);
        reset.title = u"Canary weight set to 0"_s;
        Event unplanned = change(u"set30"_s, T0 + 60'000, QString());
        const auto plan
            = resolvePlan({ reset, unplanned, change(u"older"_s, T0 - 60'000, u"9"_s) }, awxPolicy());
        QVERIFY(!plan);
        QCOMPARE(plan.error().reason, PlanRefusal::Reason::NewestChangeWithoutPlan);
        QVERIFY(plan.error().offersFallback());
        QCOMPARE(plan.error().source->eventId, u"set30"_s);
        QVERIFY2(plan.error().message.contains(u"carries no backout plan"_s)
                && plan.error().message.contains(u"Canary weight set to 0"_s),
            qPrintable(plan.error().message));
        QCOMPARE(reasonName(plan.error().reason), u"newest-change-without-plan"_s);

        // The same change recorded by Jenkins' older form is recognised too; a plan recorded after it wins.
        Event jenkins = change(u"jenkins"_s, T0 + 60'000, QString(), QString());
        jenkins.title = u"Configuration Load Balancer changed"_s;
        jenkins.properties.insert(u"description"_s, u"simplenodeservice canary weight set to 30%"_s);
        QCOMPARE(resolvePlan({ reset, jenkins }, awxPolicy()).error().reason,
            PlanRefusal::Reason::NewestChangeWithoutPlan);
        const auto later
            = resolvePlan({ reset, jenkins, change(u"plan"_s, T0 + 90'000, u"9"_s) }, awxPolicy());
        QVERIFY(later);
        QCOMPARE(later->templateId, 9);
    }

    void resetOnTheNewestChange_needsNothing()
    {
        for (const QString &action : { u"NA"_s, u"na"_s, u""_s, u"  "_s }) {
            const auto plan = resolvePlan(
                { change(u"ramp"_s, T0, u"9"_s), change(u"reset"_s, T0 + 1000, action) }, awxPolicy());
            QVERIFY(plan);
            QCOMPARE(plan->kind, BackoutPlan::Kind::NothingToDo);
            QVERIFY(!plan->needsAction());
            QCOMPARE(plan->source.eventId, u"reset"_s);
        }
    }

    void noChangeEvent_isRefusedWithAReason()
    {
        auto plan = resolvePlan({}, awxPolicy());
        QVERIFY(!plan);
        QCOMPARE(plan.error().reason, PlanRefusal::Reason::NoChangeEvent);
        QVERIFY(plan.error().message.contains(u"remediationAction"_s));

        plan = resolvePlan({ change(u"e"_s, T0, u"9"_s) }, PlanPolicy {});
        QVERIFY(!plan);
        QCOMPARE(plan.error().reason, PlanRefusal::Reason::NoAwxConfigured);
        QVERIFY(plan.error().message.contains(u"#9"_s));
    }

    void launchUrl_onTheConfiguredAwx_becomesItsTemplate()
    {
        for (const QString &url : { u"https://awx.example.com/api/v2/job_templates/9/launch/"_s,
                 u"https://awx.example.com/api/controller/v2/job_templates/9/launch/"_s,
                 u"https://awx.example.com:443/api/v2/job_templates/9/launch"_s }) {
            const auto plan = resolvePlan({ change(u"v1"_s, T0, url) }, awxPolicy());
            QVERIFY2(plan, qPrintable(url + u": "_s + (plan ? QString() : plan.error().message)));
            QCOMPARE(plan->kind, BackoutPlan::Kind::AwxTemplate);
            QCOMPARE(plan->templateId, 9);
        }
    }

    void launchUrl_elsewhere_isRefused_unlessAllowlisted()
    {
        // The workshop's v1 events point at the AWX ingress by another name.
        const QString url = u"http://ansible.10.0.0.1.nip.io/api/v2/job_templates/9/launch/"_s;
        auto plan = resolvePlan({ change(u"v1"_s, T0, url) }, awxPolicy());
        QVERIFY(!plan);
        QCOMPARE(plan.error().reason, PlanRefusal::Reason::UntrustedOrigin);
        QVERIFY2(plan.error().message.contains(u"http://ansible.10.0.0.1.nip.io"_s),
            qPrintable(plan.error().message));
        QVERIFY(plan.error().message.contains(u"nothing was sent"_s));
        QCOMPARE(plan.error().source->eventId, u"v1"_s);

        PlanPolicy policy = awxPolicy();
        policy.allowedOrigins = { u"http://ansible.10.0.0.1.nip.io"_s };
        plan = resolvePlan({ change(u"v1"_s, T0, url) }, policy);
        QVERIFY(plan);
        QCOMPARE(plan->templateId, 9);
        // Launched on the configured AWX with its credentials, never at the URL in the event.
        QVERIFY2(plan->trust.contains(u"https://awx.example.com"_s), qPrintable(plan->trust));
    }

    void hostileOrGarbageActions_areRefused()
    {
        QTcpServer hostile;
        QVERIFY(hostile.listen(QHostAddress::LocalHost));
        const QString hostileUrl
            = u"http://127.0.0.1:%1/api/v2/job_templates/9/launch/"_s.arg(hostile.serverPort());
        const QString huge(100'000, u'9');
        for (const QString &action :
            { hostileUrl, u"https://user:pw@awx.example.com/api/v2/job_templates/9/launch/"_s,
                u"file:///etc/passwd"_s, u"javascript:alert(1)"_s, u"9; rm -rf /"_s, u"../../9"_s, u"-1"_s,
                u"0"_s, u"99999999999"_s, u"https://awx.example.com/api/v2/jobs/9/relaunch/"_s, huge }) {
            const auto plan = resolvePlan({ change(u"e"_s, T0, action) }, awxPolicy());
            QVERIFY2(!plan, qPrintable(action.left(80)));
            QVERIFY(plan.error().reason == PlanRefusal::Reason::Unrecognised
                || plan.error().reason == PlanRefusal::Reason::UntrustedOrigin);
            QVERIFY2(plan.error().message.size() < 1000, "the reason stays readable");
        }
        // Resolving a plan sends nothing anywhere.
        QVERIFY(!hostile.hasPendingConnections());
        QVERIFY(!hostile.waitForNewConnection(0));

        const auto unknownType = resolvePlan({ change(u"e"_s, T0, u"9"_s, u"terraform"_s) }, awxPolicy());
        QVERIFY(!unknownType);
        QCOMPARE(unknownType.error().reason, PlanRefusal::Reason::Unrecognised);
        QVERIFY(unknownType.error().message.contains(u"terraform"_s));
    }

    void gitlabTrigger_onlyOnTheAllowlist_andItsTokenIsMasked()
    {
        const QString url
            = u"https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=glptt-secret&ref=main&variables[CANARY_WEIGHT]=0"_s;
        auto plan = resolvePlan({ change(u"g"_s, T0, url, u"gitlab"_s) }, awxPolicy());
        QVERIFY(!plan);
        QCOMPARE(plan.error().reason, PlanRefusal::Reason::UntrustedOrigin);

        PlanPolicy policy = awxPolicy();
        policy.allowedOrigins = { u"https://gitlab.example.com"_s };
        plan = resolvePlan({ change(u"g"_s, T0, url, u"gitlab"_s) }, policy);
        QVERIFY(plan);
        QCOMPARE(plan->kind, BackoutPlan::Kind::GitlabPipeline);
        QCOMPARE(plan->triggerUrl, QUrl(url));
        QVERIFY(!plan->detailText().contains(u"glptt-secret"_s));
        QVERIFY2(plan->detailText().contains(u"token=***"_s), qPrintable(plan->detailText()));
        QVERIFY(plan->detailText().contains(u"ref=main"_s));

        // The rollback journal (a file in the data directory) keeps the URL without its token.
        RollbackState state;
        state.id = u"r1"_s;
        state.plan = plan.value();
        const QByteArray journal = QJsonDocument(state.toJson()).toJson();
        QVERIFY2(!journal.contains("glptt-secret"), journal.constData());
        QVERIFY2(journal.contains("token=***"), journal.constData());
        const auto readBack = RollbackState::fromJson(state.toJson());
        QVERIFY(readBack);
        QCOMPARE(readBack->plan.kind, BackoutPlan::Kind::GitlabPipeline);
    }
};

QTEST_GUILESS_MAIN(TestBackoutPlan)
#include "tst_backoutplan.moc"
