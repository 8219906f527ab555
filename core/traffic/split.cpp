#include "split.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

std::optional<Split> Split::fromCanaryPercent(int canaryPercent)
{
    if (canaryPercent < 0 || canaryPercent > 100)
        return std::nullopt;
    return Split { 100 - canaryPercent, canaryPercent };
}

Expected<Split, QString> Split::parseCanaryPercent(const QString &text)
{
    QString trimmed = text.trimmed();
    if (trimmed.endsWith(u'%'))
        trimmed.chop(1);
    bool ok = false;
    const int percent = trimmed.toInt(&ok);
    if (!ok)
        return u"'%1' is not a whole number of percent (0 to 100)"_s.arg(text);
    const auto split = fromCanaryPercent(percent);
    if (!split)
        return u"canary weight %1 is outside 0 to 100"_s.arg(percent);
    return *split;
}

QString Split::toString() const
{
    return u"%1/%2"_s.arg(stable).arg(canary);
}

} // namespace canary::traffic
