// Every token shape in every channel core can reach: a credential of any of the shapes net::tokenShapeIn
// knows never comes out of redaction, a log line, an API error built from a body that echoes it, the
// incident report, the terminal, a profile's validation or export, or a flag's usage error.

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QTest>

#include "awx/awxerror.h"
#include "dynatrace/apierror.h"
#include "kube/kubeerror.h"
#include "kube/objectref.h"
#include "net/httpresponse.h"
#include "net/redaction.h"
#include "profile/profile.h"
#include "profile/profilefile.h"
#include "profile/targetoptions.h"
#include "report/incidentreport.h"
#include "util/terminaltext.h"

using namespace Qt::Literals::StringLiterals;
using namespace canary;

namespace {

// One credential of each shape (made up for this test) and the part of it that must never be shown: the
// secret part of a Dynatrace token (its public id is kept on purpose), the whole of anything else.
struct Shape
{
    const char *name;
    QString token;
    QString secret;
    QString kind;
};

const QList<Shape> &shapes()
{
    static const QList<Shape> all {
        { "dynatrace classic",
            u"dt0c01.ST2EY72KQINMH574WMNVI7YN.G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM"_s,
            u"G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM"_s, u"a Dynatrace token"_s },
        { "dynatrace dt0s01", u"dt0s01.XYZCLIENTID123.q8Rz7YtWm3Kp9Lx2Vn5Bc4Hd6Jf1Gs0A"_s,
            u"q8Rz7YtWm3Kp9Lx2Vn5Bc4Hd6Jf1Gs0A"_s, u"a Dynatrace token"_s },
        { "dynatrace dt0s02", u"dt0s02.ABCDEFGH.Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed"_s,
            u"Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed"_s, u"a Dynatrace token"_s },
        { "dynatrace dt0s16", u"dt0s16.SAMPLEID0123.Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90"_s,
            u"Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90"_s, u"a Dynatrace token"_s },
        { "kubernetes jwt",
            u"eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1ZS0VZIn0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.U2lnbmF0dXJlT2ZUaGVTZXJ2aWNlQWNjb3VudFRva2Vu"_s,
            u"eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1ZS0VZIn0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.U2lnbmF0dXJlT2ZUaGVTZXJ2aWNlQWNjb3VudFRva2Vu"_s,
            u"a JSON Web Token"_s },
        { "awx", u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG"_s, u"Xq7LmN2pR4sT6uV8wY0zA1bC3dE5fG"_s,
            u"an AWX token"_s },
        { "bearer", u"Bearer opaque-0f9e8d7c6b5a"_s, u"opaque-0f9e8d7c6b5a"_s, u"a Bearer-scheme token"_s },
        { "gitlab", u"glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"_s, u"glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"_s, u"a GitLab token"_s },
        { "github", u"ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"_s,
            u"ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"_s, u"a GitHub token"_s },
    };
    return all;
}

QStringList captured;

void capturingHandler(QtMsgType, const QMessageLogContext &, const QString &message)
{
    captured.append(message);
}

// What each channel makes of a text holding `token`.
enum class Channel {
    RedactText,
    RedactBytes,
    LogLine,
    ApiErrorFromBody,
    AwxErrorFromBody,
    KubeErrorFromBody,
    IncidentReport,
    Terminal,
    ProfileValidation,
    ProfileFileImport,
    ProfileExport,
    TargetFlag,
};

QString throughChannel(Channel channel, const QString &token)
{
    const QString sentence = u"rejected: "_s + token + u" (see docs)"_s;
    switch (channel) {
    case Channel::RedactText:
        return net::redactSecrets(sentence);
    case Channel::RedactBytes:
        return QString::fromUtf8(net::redactSecrets(QByteArrayView(sentence.toUtf8())));
    case Channel::LogLine: {
        captured.clear();
        const QtMessageHandler before = qInstallMessageHandler(&capturingHandler);
        const QtMessageHandler wrapped = net::installRedactingMessageHandler();
        qWarning().noquote() << sentence;
        qInstallMessageHandler(before);
        Q_UNUSED(wrapped);
        return captured.join(u'\n');
    }
    case Channel::ApiErrorFromBody: {
        // Dynatrace's error envelope echoing what it was sent, as a 400 about a selector does.
        net::HttpResponse response;
        response.url = QUrl(u"https://abc123.live.dynatrace.com/api/v2/metrics/query"_s);
        response.status = 400;
        response.body = QJsonDocument(
            QJsonObject { { u"error"_s, QJsonObject { { u"code"_s, 400 }, { u"message"_s, sentence } } } })
                            .toJson();
        const QString json = dynatrace::errorFromResponse(response).summary();
        response.body = "<html><body><h1>Bad Request</h1><p>" + sentence.toUtf8() + "</p></body></html>";
        return json + u'\n' + dynatrace::errorFromResponse(response).summary();
    }
    case Channel::AwxErrorFromBody: {
        // AWX's {"detail": …} and field errors, both echoing what was sent.
        net::HttpResponse response;
        response.url = QUrl(u"https://awx.example.com/api/v2/job_templates/7/launch/"_s);
        response.status = 400;
        response.body = QJsonDocument(QJsonObject { { u"detail"_s, sentence } }).toJson();
        const QString detail = awx::errorFromResponse(response).summary();
        response.body = QJsonDocument(QJsonObject { { u"extra_vars"_s, QJsonArray { sentence } } }).toJson();
        return detail + u'\n' + awx::errorFromResponse(response).summary();
    }
    case Channel::KubeErrorFromBody: {
        // A Status from the API server (an admission webhook's message), and a proxy's plain text.
        net::HttpResponse response;
        response.url = QUrl(u"https://k8s.example.com:6443/apis/networking.k8s.io/v1"_s);
        response.status = 422;
        response.body
            = QJsonDocument(QJsonObject { { u"kind"_s, u"Status"_s }, { u"message"_s, sentence } }).toJson();
        const auto object = kube::ObjectRef::parse(u"ingress/shop/checkout"_s).value();
        const QString status = kube::errorFromResponse(response, object).summary();
        response.status = 502;
        response.body = sentence.toUtf8();
        return status + u'\n' + kube::errorFromResponse(response, object).summary();
    }
    case Channel::IncidentReport: {
        report::IncidentReport incident;
        incident.service = u"type(SERVICE),entityName.equals(\"checkout\")"_s;
        incident.environment = u"abc123.live.dynatrace.com"_s;
        session::TimelineEntry entry;
        entry.id = u"-123_456"_s;
        entry.type = u"CUSTOM_DEPLOYMENT"_s;
        entry.title = sentence;
        entry.status = u"CLOSED"_s;
        entry.startMs = 1'700'000'000'000;
        entry.properties.insert(u"reason"_s, sentence);
        entry.properties.insert(u"dt.event.description"_s, sentence);
        incident.timeline.push_back(entry);
        return report::toMarkdown(incident);
    }
    case Channel::Terminal:
        return terminalSafe(sentence);
    case Channel::ProfileValidation: {
        profile::Profile p;
        p.name = u"prod"_s;
        p.metricSelector = token;
        p.awxTemplate = token;
        p.dynatraceUrl = QUrl(u"https://abc123.live.dynatrace.com/?api-token="_s + token);
        return p.validate().join(u'\n');
    }
    case Channel::ProfileFileImport: {
        const QByteArray text = "name = prod\ntarget.metric-selector = " + token.toUtf8()
            + "\nkube.context = " + token.toUtf8() + "\n";
        const auto read = profile::readProfileText(text, u"prod.conf"_s);
        return read ? u"imported"_s : read.error().join(u'\n');
    }
    case Channel::ProfileExport: {
        profile::Profile p;
        p.name = u"prod"_s;
        p.metricSelector = token;
        p.kubeContext = token;
        return QString::fromUtf8(profile::writeProfileText(p));
    }
    case Channel::TargetFlag: {
        QStringList failures;
        for (const QString &flag : { u"--metric-selector"_s, u"--entity-selector"_s, u"--from"_s,
                 u"--refresh"_s, u"--dynatrace-url"_s }) {
            QCommandLineParser parser;
            profile::TargetOptions options;
            options.addTo(parser);
            const QString value = flag == u"--dynatrace-url"_s
                ? u"https://abc123.live.dynatrace.com/?api-token="_s + token
                : token;
            if (!parser.parse({ u"canaryctl"_s, flag, value }))
                return u"parse failed: "_s + parser.errorText();
            const auto target = options.read(parser, QProcessEnvironment(), false);
            failures.append(target ? u"accepted"_s : target.error());
        }
        return failures.join(u'\n');
    }
    }
    return {};
}

} // namespace

class TestTokenChannels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyShapeInEveryChannel_data();
    void everyShapeInEveryChannel();
};

void TestTokenChannels::everyShapeInEveryChannel_data()
{
    QTest::addColumn<int>("channel");
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("secret");
    QTest::addColumn<QString>("kind");

    const QList<std::pair<const char *, Channel>> channels { { "redact text", Channel::RedactText },
        { "redact bytes", Channel::RedactBytes }, { "log line", Channel::LogLine },
        { "api error", Channel::ApiErrorFromBody }, { "awx error", Channel::AwxErrorFromBody },
        { "kube error", Channel::KubeErrorFromBody }, { "incident report", Channel::IncidentReport },
        { "terminal", Channel::Terminal }, { "profile validation", Channel::ProfileValidation },
        { "profile import", Channel::ProfileFileImport }, { "profile export", Channel::ProfileExport },
        { "target flags", Channel::TargetFlag } };
    for (const Shape &shape : shapes()) {
        for (const auto &[channelName, channel] : channels) {
            QTest::addRow("%s, %s", shape.name, channelName)
                << int(channel) << shape.token << shape.secret << shape.kind;
        }
    }
}

void TestTokenChannels::everyShapeInEveryChannel()
{
    QFETCH(int, channel);
    QFETCH(QString, token);
    QFETCH(QString, secret);
    QFETCH(QString, kind);

    const auto which = Channel(channel);
    const QString out = throughChannel(which, token);
    QVERIFY2(!out.isEmpty(), "the channel said nothing");
    QVERIFY2(!out.contains(secret), qPrintable(out));

    switch (which) {
    case Channel::ProfileValidation:
        // Refused, naming the fields and the kind.
        QVERIFY2(out.contains(u"target.metric-selector holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(out.contains(u"awx.template holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(out.contains(u"dynatrace.url holds what looks like "_s), qPrintable(out));
        break;
    case Channel::ProfileFileImport:
        QVERIFY2(out.contains(u"'target.metric-selector' looks like "_s + kind), qPrintable(out));
        QVERIFY2(out.contains(u"'kube.context' looks like "_s + kind), qPrintable(out));
        break;
    case Channel::TargetFlag: {
        const QStringList lines = out.split(u'\n');
        QCOMPARE(lines.size(), 5);
        QVERIFY2(
            lines.at(0).startsWith(u"--metric-selector holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(
            lines.at(1).startsWith(u"--entity-selector holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(lines.at(2).startsWith(u"--from holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(lines.at(3).startsWith(u"--refresh holds what looks like "_s + kind), qPrintable(out));
        QVERIFY2(lines.at(4).startsWith(u"--dynatrace-url holds what looks like "_s), qPrintable(out));
        break;
    }
    case Channel::ProfileExport:
        QVERIFY2(out.contains(u"target.metric-selector = "_s), qPrintable(out));
        break;
    case Channel::IncidentReport:
        // The report quotes the masked text as Markdown, so the mask reads "\*\*\*" there (shown as "***").
        QVERIFY2(out.contains(u"(see docs)"_s), qPrintable(out));
        QVERIFY2(out.contains(u"\\*\\*\\*"_s), qPrintable(out));
        break;
    default:
        // Masked, not dropped: the sentence around it is still there.
        QVERIFY2(out.contains(u"(see docs)"_s), qPrintable(out));
        QVERIFY2(out.contains(net::RedactedMask), qPrintable(out));
        break;
    }
}

QTEST_GUILESS_MAIN(TestTokenChannels)
#include "tst_tokenchannels.moc"
