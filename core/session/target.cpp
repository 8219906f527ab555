#include "target.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::session {

QString Target::defaultEntitySelector()
{
    return u"type(SERVICE),tag(\"[Environment]DT_RELEASE_PRODUCT:simplenodeservice\"),"
           "tag(\"[Environment]DT_RELEASE_STAGE:canary-jenkins\")"_s;
}

QString Target::defaultMetricSelector()
{
    return u"calc:service.requests_by_build"_s;
}

QString Target::defaultFailureMetricSelector()
{
    return u"calc:service.failures_by_build"_s;
}

QString Target::defaultResponseTimeMetricSelector()
{
    return u"calc:service.responsetime_by_build"_s;
}

} // namespace canary::session
