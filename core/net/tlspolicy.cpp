#include "tlspolicy.h"

#include <QDir>
#include <QFile>
#include <QMutex>
#include <QSslCertificate>

using namespace Qt::Literals::StringLiterals;

namespace canary::net {

namespace {

QMutex policyMutex;
TlsPolicy &processPolicy()
{
    static TlsPolicy policy;
    return policy;
}

} // namespace

QString TlsPolicy::problem() const
{
    if (caBundle.isEmpty())
        return {};
    QFile file(caBundle);
    if (!file.open(QIODevice::ReadOnly))
        return u"cannot read the CA bundle %1: %2"_s.arg(
            QDir::toNativeSeparators(caBundle), file.errorString());
    const auto certificates = QSslCertificate::fromDevice(&file, QSsl::Pem);
    for (const QSslCertificate &certificate : certificates) {
        if (!certificate.isNull())
            return {};
    }
    return u"no PEM certificate in the CA bundle %1"_s.arg(QDir::toNativeSeparators(caBundle));
}

void TlsPolicy::setProcessDefault(const TlsPolicy &policy)
{
    const QMutexLocker lock(&policyMutex);
    processPolicy() = policy;
}

TlsPolicy TlsPolicy::processDefault()
{
    const QMutexLocker lock(&policyMutex);
    return processPolicy();
}

TlsMonitor *TlsMonitor::instance()
{
    // Lives as long as the process: clients in any thread may report to it until the very end.
    static TlsMonitor *monitor = new TlsMonitor;
    return monitor;
}

} // namespace canary::net
