#include "trafficerror.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

QString TrafficError::summary() const
{
    QString text = backend.isEmpty() ? QString() : backend + u": "_s;
    if (httpStatus > 0)
        text += u"HTTP %1: "_s.arg(httpStatus);
    text += message.isEmpty() ? u"failed"_s : message;
    if (!detail.isEmpty())
        text += u" ("_s + detail + u')';
    return text;
}

} // namespace canary::traffic
