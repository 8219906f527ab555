#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include "sim/dynatraceapi.h"
#include "sim/problemstore.h"
#include "sim/simserver.h"
#include "simtenant.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;
using canary::sim::DynatraceApi;
using canary::sim::ProblemStore;
using canary::sim::WorldConfig;
using canary::testing::SimTenant;
using canary::testing::TenantAnswer;

namespace {

constexpr qint64 MinuteMs = 60'000;

QString commentsPath(const QString &problemId)
{
    return u"/api/v2/problems/"_s + problemId + u"/comments"_s;
}

QByteArray commentBody(const QString &message, const QString &context = {})
{
    QJsonObject body { { u"message"_s, message } };
    if (!context.isEmpty())
        body.insert(u"context"_s, context);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

// A tenant whose canary takes all traffic and fails half its calls: five minutes in, one problem is open.
struct ProblemTenant
{
    ProblemTenant()
        : tenant([] {
            WorldConfig config;
            config.initialCanaryWeight = 100;
            return config;
        }())
    {
        tenant.clock.advanceMs(5 * MinuteMs);
        problemId = tenant.get(u"/api/v2/problems"_s).list(u"problems"_s).at(0)[u"problemId"_s].toString();
    }

    SimTenant tenant;
    QString problemId;
};

} // namespace

// POST and GET /api/v2/problems/{problemId}/comments, and the problem detail's recentComments, as the
// workshop's remediation workflow uses them ("Remediation action triggered!").
class TestSimComments : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void post_isCreatedWithoutBody_andListedNewestFirst()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        QVERIFY(!fixture.problemId.isEmpty());
        QSignalSpy added(&tenant.environment->problems(), &ProblemStore::commentAdded);

        const qint64 firstMs = tenant.now();
        const TenantAnswer created = tenant.post(commentsPath(fixture.problemId),
            commentBody(u"Remediation action triggered!"_s, u"ACE-Box - Auto Remediation"_s));
        QCOMPARE(created.status, 201);
        QCOMPARE(created.body, QByteArray()); // [docs] 201 has no body
        QCOMPARE(added.count(), 1);
        QCOMPARE(added.at(0).at(0).toString(), fixture.problemId);

        tenant.clock.advanceMs(1000);
        QCOMPARE(tenant.post(commentsPath(fixture.problemId), commentBody(u"Second"_s)).status, 201);

        const TenantAnswer listed = tenant.get(commentsPath(fixture.problemId));
        QCOMPARE(listed.status, 200);
        const QJsonObject list = listed.json();
        QCOMPARE(
            list.keys(), (QStringList { u"comments"_s, u"nextPageKey"_s, u"pageSize"_s, u"totalCount"_s }));
        QCOMPARE(list.value(u"totalCount"_s).toInt(), 2);
        QCOMPARE(list.value(u"pageSize"_s).toInt(), DynatraceApi::DefaultCommentPageSize);
        QVERIFY(list.value(u"nextPageKey"_s).isNull());
        const QJsonArray comments = list.value(u"comments"_s).toArray();
        QCOMPARE(comments.size(), 2);

        const QJsonObject newest = comments.at(0).toObject();
        QCOMPARE(newest.value(u"content"_s).toString(), u"Second"_s);
        QVERIFY(newest.value(u"context"_s).isNull());
        QCOMPARE(newest.value(u"createdAtTimestamp"_s).toInteger(), firstMs + 1000);

        const QJsonObject first = comments.at(1).toObject();
        QCOMPARE(first.keys(),
            (QStringList { u"authorName"_s, u"content"_s, u"context"_s, u"createdAtTimestamp"_s, u"id"_s }));
        QCOMPARE(first.value(u"content"_s).toString(), u"Remediation action triggered!"_s);
        QCOMPARE(first.value(u"context"_s).toString(), u"ACE-Box - Auto Remediation"_s);
        QCOMPARE(first.value(u"createdAtTimestamp"_s).toInteger(), firstMs);
        QCOMPARE(first.value(u"authorName"_s).toString(), DynatraceApi::CommentAuthorName.toString());
        QVERIFY2(first.value(u"id"_s).toString().endsWith(u'_' + QString::number(firstMs)),
            qPrintable(first.value(u"id"_s).toString()));
        QVERIFY(first.value(u"id"_s).toString() != newest.value(u"id"_s).toString());
    }

    void detail_showsRecentComments()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        const QString detailPath = u"/api/v2/problems/"_s + fixture.problemId;

        const QJsonObject none = tenant.get(detailPath).json().value(u"recentComments"_s).toObject();
        QCOMPARE(none.value(u"totalCount"_s).toInt(), 0);
        QCOMPARE(none.value(u"comments"_s).toArray().size(), 0);
        QVERIFY(none.value(u"nextPageKey"_s).isNull());

        QCOMPARE(tenant.post(commentsPath(fixture.problemId), commentBody(u"One"_s, u"ctx"_s)).status, 201);
        tenant.clock.advanceMs(500);
        QCOMPARE(tenant.post(commentsPath(fixture.problemId), commentBody(u"Two"_s)).status, 201);

        const TenantAnswer detail = tenant.get(detailPath);
        QCOMPARE(detail.status, 200);
        const QJsonObject recent = detail.json().value(u"recentComments"_s).toObject();
        QCOMPARE(recent.value(u"totalCount"_s).toInt(), 2);
        QCOMPARE(recent.value(u"pageSize"_s).toInt(), DynatraceApi::DefaultCommentPageSize);
        QVERIFY(recent.value(u"nextPageKey"_s).isNull());
        // The same objects the comments route lists.
        QCOMPARE(recent.value(u"comments"_s).toArray(),
            tenant.get(commentsPath(fixture.problemId)).list(u"comments"_s));
        QCOMPARE(recent.value(u"comments"_s).toArray().at(0)[u"content"_s].toString(), u"Two"_s);
        // Comments come on top of the evidence, not instead of it.
        QVERIFY(detail.json().contains(u"evidenceDetails"_s));
    }

    void manyComments_pageLikeDynatrace()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        for (int i = 1; i <= 12; ++i) {
            QCOMPARE(tenant.post(commentsPath(fixture.problemId), commentBody(u"Comment %1"_s.arg(i))).status,
                201);
            tenant.clock.advanceMs(100);
        }
        const QJsonObject first = tenant.get(commentsPath(fixture.problemId)).json();
        QCOMPARE(first.value(u"totalCount"_s).toInt(), 12);
        QCOMPARE(first.value(u"comments"_s).toArray().size(), 10);
        QCOMPARE(first.value(u"comments"_s).toArray().at(0)[u"content"_s].toString(), u"Comment 12"_s);
        const QString key = first.value(u"nextPageKey"_s).toString();
        QVERIFY(!key.isEmpty());

        const TenantAnswer second
            = tenant.get(commentsPath(fixture.problemId), { { u"nextPageKey"_s, key } });
        QCOMPARE(second.status, 200);
        const QJsonArray rest = second.list(u"comments"_s);
        QCOMPARE(rest.size(), 2);
        QCOMPARE(rest.at(1)[u"content"_s].toString(), u"Comment 1"_s);
        QVERIFY(second.json().value(u"nextPageKey"_s).isNull());

        // The detail's recentComments lead on to the same second page.
        const QJsonObject recent = tenant.get(u"/api/v2/problems/"_s + fixture.problemId)
                                       .json()
                                       .value(u"recentComments"_s)
                                       .toObject();
        QCOMPARE(recent.value(u"comments"_s).toArray().size(), 10);
        const TenantAnswer fromDetail = tenant.get(commentsPath(fixture.problemId),
            { { u"nextPageKey"_s, recent.value(u"nextPageKey"_s).toString() } });
        QCOMPARE(fromDetail.list(u"comments"_s), rest);

        const TenantAnswer small = tenant.get(commentsPath(fixture.problemId), { { u"pageSize"_s, u"5"_s } });
        QCOMPARE(small.list(u"comments"_s).size(), 5);
        QCOMPARE(small.json().value(u"pageSize"_s).toInt(), 5);

        QCOMPARE(tenant.get(commentsPath(fixture.problemId), { { u"pageSize"_s, u"0"_s } }).status, 400);
        const TenantAnswer mixed = tenant.get(
            commentsPath(fixture.problemId), { { u"nextPageKey"_s, key }, { u"pageSize"_s, u"5"_s } });
        QCOMPARE(mixed.status, 400);
        QCOMPARE(mixed.violation().value(u"path"_s).toString(), u"nextPageKey"_s);
    }

    void unknownProblem_isNotFound()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        const QString unknown = u"-1234567890123456789_1795687200000V2"_s;
        for (const TenantAnswer &answer : { tenant.post(commentsPath(unknown), commentBody(u"Hello"_s)),
                 tenant.get(commentsPath(unknown)) }) {
            QCOMPARE(answer.status, 404);
            QCOMPARE(answer.envelope().value(u"code"_s).toInt(), 404);
            QVERIFY(answer.envelope().value(u"message"_s).toString().contains(unknown));
        }
        // Paths take the problemId, not the displayId.
        const QString displayId
            = tenant.get(u"/api/v2/problems/"_s + fixture.problemId).json().value(u"displayId"_s).toString();
        QCOMPARE(tenant.post(commentsPath(displayId), commentBody(u"Hello"_s)).status, 404);
        QCOMPARE(tenant.environment->problems().find(fixture.problemId)->comments.size(), 0);
    }

    void badBody_isAConstraintViolation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("message");
        QTest::newRow("no message") << QByteArray(R"({"context":"x"})") << u"message"_s
                                    << u"must not be null"_s;
        QTest::newRow("empty body") << QByteArray() << u"message"_s << u"must not be null"_s;
        QTest::newRow("null message")
            << QByteArray(R"({"message":null})") << u"message"_s << u"must not be null"_s;
        QTest::newRow("empty message")
            << QByteArray(R"({"message":""})") << u"message"_s << u"must not be blank"_s;
        QTest::newRow("blank message")
            << QByteArray(R"({"message":"  "})") << u"message"_s << u"must not be blank"_s;
        QTest::newRow("number message")
            << QByteArray(R"({"message":5})") << u"message"_s << u"must be a string"_s;
        QTest::newRow("object context")
            << QByteArray(R"({"message":"m","context":{}})") << u"context"_s << u"must be a string"_s;
        QTest::newRow("not JSON") << QByteArray("message=hello") << u"body"_s
                                  << u"must be a JSON object (CommentRequestDtoImpl)"_s;
        QTest::newRow("array") << QByteArray(R"(["m"])") << u"body"_s
                               << u"must be a JSON object (CommentRequestDtoImpl)"_s;
    }

    void badBody_isAConstraintViolation()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, path);
        QFETCH(QString, message);
        ProblemTenant fixture;
        const TenantAnswer answer = fixture.tenant.post(commentsPath(fixture.problemId), body);
        QCOMPARE(answer.status, 400);
        QCOMPARE(answer.envelope().value(u"code"_s).toInt(), 400);
        QCOMPARE(answer.envelope().value(u"message"_s).toString(), u"Constraints violated."_s);
        QCOMPARE(answer.violation().value(u"path"_s).toString(), path);
        QCOMPARE(answer.violation().value(u"message"_s).toString(), message);
        QCOMPARE(answer.violation().value(u"parameterLocation"_s).toString(), u"PAYLOAD_BODY"_s);
        QCOMPARE(fixture.tenant.environment->problems().find(fixture.problemId)->comments.size(), 0);
    }

    void scopes_writeToPost_readToList()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        sim::SimServer &server = tenant.environment->server();
        server.addToken(u"dt0c01.READER"_s, { u"problems.read"_s });
        server.addToken(u"dt0c01.WRITER"_s, { u"problems.write"_s });

        const TenantAnswer refused
            = tenant.post(commentsPath(fixture.problemId), commentBody(u"Hello"_s), u"dt0c01.READER"_s);
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.envelope().value(u"message"_s).toString(),
            u"Token is missing required scope. Use one of: problems.write (Write problems)"_s);
        QCOMPARE(tenant.environment->problems().find(fixture.problemId)->comments.size(), 0);

        QCOMPARE(
            tenant.post(commentsPath(fixture.problemId), commentBody(u"Hello"_s), u"dt0c01.WRITER"_s).status,
            201);
        QCOMPARE(tenant.get(commentsPath(fixture.problemId), {}, u"dt0c01.READER"_s).status, 200);
        const TenantAnswer unreadable = tenant.get(commentsPath(fixture.problemId), {}, u"dt0c01.WRITER"_s);
        QCOMPARE(unreadable.status, 403);
        QCOMPARE(unreadable.envelope().value(u"message"_s).toString(),
            u"Token is missing required scope. Use one of: problems.read (Read problems)"_s);
        QCOMPARE(
            tenant.post(commentsPath(fixture.problemId), commentBody(u"Hello"_s), QString()).status, 401);
    }

    void closedProblem_takesCommentsToo()
    {
        ProblemTenant fixture;
        SimTenant &tenant = fixture.tenant;
        tenant.world().setCanaryWeight(0);
        tenant.clock.advanceMs(5 * MinuteMs);
        const QJsonObject detail = tenant.get(u"/api/v2/problems/"_s + fixture.problemId).json();
        QCOMPARE(detail.value(u"status"_s).toString(), u"CLOSED"_s);
        QCOMPARE(tenant.post(commentsPath(fixture.problemId), commentBody(u"Resolved by the reset"_s)).status,
            201);
        QCOMPARE(tenant.get(commentsPath(fixture.problemId)).json().value(u"totalCount"_s).toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSimComments)
#include "tst_simcomments.moc"
