#include <QTest>

#include "kube/managedfields.h"

using namespace Qt::Literals::StringLiterals;
using canary::kube::ManagedFields;

namespace {

const ManagedFields::FieldPath Weight { u"f:metadata"_s, u"f:annotations"_s,
    u"f:nginx.ingress.kubernetes.io/canary-weight"_s };

QByteArray object(const char *managedFields)
{
    return QByteArray(R"({"kind":"Ingress","metadata":{"name":"canary","managedFields":)") + managedFields
        + "}}";
}

} // namespace

class TestManagedFields : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lastWriter_ofTheWeight_notTheNewestEntry()
    {
        // helm wrote the weight; a label edit by kubectl-label is newer but never touched it.
        const auto writer = ManagedFields::lastWriter(object(R"([
            {"manager":"kubectl-edit","operation":"Update","time":"2026-12-07T10:00:00Z","fieldsType":"FieldsV1",
             "fieldsV1":{"f:metadata":{"f:annotations":{"f:nginx.ingress.kubernetes.io/canary-weight":{}}}}},
            {"manager":"kubectl-label","operation":"Update","time":"2026-12-07T11:00:00Z","fieldsType":"FieldsV1",
             "fieldsV1":{"f:metadata":{"f:labels":{"f:team":{}}}}},
            {"manager":"ingress-controller","operation":"Update","subresource":"status",
             "time":"2026-12-07T12:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{}}}])"),
            { Weight });
        QVERIFY(writer);
        QCOMPARE(writer->manager, u"kubectl-edit"_s);
        QCOMPARE(writer->operation, u"Update"_s);
        QCOMPARE(writer->time, QDateTime(QDate(2026, 12, 7), QTime(10, 0), Qt::UTC));
    }

    void lastWriter_newestOfSeveralWriters()
    {
        const auto writer = ManagedFields::lastWriter(object(R"([
            {"manager":"helm","operation":"Update","time":"2026-12-07T09:00:00Z",
             "fieldsV1":{"f:metadata":{"f:annotations":{"f:nginx.ingress.kubernetes.io/canary-weight":{}}}}},
            {"manager":"argocd","operation":"Apply","time":"2026-12-07T10:30:00Z",
             "fieldsV1":{"f:metadata":{"f:annotations":{"f:nginx.ingress.kubernetes.io/canary-weight":{}}}}}])"),
            { Weight });
        QVERIFY(writer);
        QCOMPARE(writer->manager, u"argocd"_s);
        QCOMPARE(writer->operation, u"Apply"_s);
    }

    void lastWriter_noneTouchesTheWeight_isTheNewestEntry()
    {
        const auto writer = ManagedFields::lastWriter(object(R"([
            {"manager":"helm","operation":"Update","time":"2026-12-07T09:00:00Z","fieldsV1":{"f:spec":{}}},
            {"manager":"kubectl-label","operation":"Update","time":"2026-12-07T11:00:00Z","fieldsV1":{}}])"),
            { Weight });
        QVERIFY(writer);
        QCOMPARE(writer->manager, u"kubectl-label"_s);
    }

    void lastWriter_unknown_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("no managedFields") << QByteArray(R"({"metadata":{"name":"canary"}})");
        QTest::newRow("not a list") << object(R"("garbage")");
        QTest::newRow("entry not an object") << object("[1]");
        QTest::newRow("no manager") << object(R"([{"operation":"Update"}])");
        QTest::newRow("bad time") << object(R"([{"manager":"a","operation":"Update","time":"noon"}])");
        QTest::newRow("not JSON") << QByteArray("{");
        QTest::newRow("empty list") << object("[]");
    }

    void lastWriter_unknown()
    {
        QFETCH(QByteArray, json);
        QVERIFY(!ManagedFields::lastWriter(json, { Weight }));
    }
};

QTEST_GUILESS_MAIN(TestManagedFields)
#include "tst_managedfields.moc"
