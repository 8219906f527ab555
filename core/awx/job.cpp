#include "job.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::awx {

bool Job::isTerminalStatus(const QString &status)
{
    return status == u"successful"_s || status == u"failed"_s || status == u"error"_s
        || status == u"canceled"_s;
}

} // namespace canary::awx
