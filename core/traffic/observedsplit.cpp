#include "observedsplit.h"

#include <cmath>

#include <QRegularExpression>

using namespace Qt::Literals::StringLiterals;

namespace canary::traffic {

int compareVersions(const QString &a, const QString &b)
{
    static const QRegularExpression separators(u"[.\\-_+]"_s);
    const QStringList left = a.split(separators);
    const QStringList right = b.split(separators);
    for (qsizetype i = 0; i < std::max(left.size(), right.size()); ++i) {
        const QString l = left.value(i);
        const QString r = right.value(i);
        bool lNumber = false;
        bool rNumber = false;
        const qlonglong ln = l.toLongLong(&lNumber);
        const qlonglong rn = r.toLongLong(&rNumber);
        if (lNumber && rNumber) {
            if (ln != rn)
                return ln < rn ? -1 : 1;
        } else if (const int text = QString::compare(l, r); text != 0) {
            return text < 0 ? -1 : 1;
        }
    }
    return 0;
}

BuildRoles resolveBuildRoles(const std::vector<session::BuildSeries> &builds, const BuildRoles &configured)
{
    if (configured.isComplete())
        return configured;
    std::vector<QString> names;
    for (const auto &build : builds) {
        if (!build.isRemainder)
            names.push_back(build.build);
    }
    BuildRoles roles = configured;
    if (names.size() == 2) {
        const bool firstIsNewer = compareVersions(names[0], names[1]) > 0;
        const QString newer = firstIsNewer ? names[0] : names[1];
        const QString older = firstIsNewer ? names[1] : names[0];
        if (roles.canary.isEmpty())
            roles.canary = roles.stable == newer ? older : newer;
        if (roles.stable.isEmpty())
            roles.stable = roles.canary == older ? newer : older;
    }
    return roles;
}

namespace {

const session::BuildSeries *find(const session::Snapshot &snapshot, const QString &build)
{
    for (const auto &series : snapshot.builds) {
        if (!series.isRemainder && series.build == build)
            return &series;
    }
    return nullptr;
}

std::optional<double> valueAt(const session::BuildSeries *series, qint64 timestamp)
{
    if (!series)
        return std::nullopt;
    for (std::size_t i = 0; i < series->timestamps.size(); ++i) {
        if (series->timestamps[i] == timestamp)
            return series->values[i];
    }
    return std::nullopt;
}

} // namespace

std::vector<ObservedShare> observedShares(
    const session::Snapshot &snapshot, const BuildRoles &roles, qint64 nowMs, int count, qint64 notBeforeMs)
{
    std::vector<ObservedShare> shares;
    const auto *stable = find(snapshot, roles.stable);
    const auto *canary = find(snapshot, roles.canary);
    const auto *reference = stable ? stable : canary;
    if (!reference || reference->timestamps.size() < 2)
        return shares;
    const qint64 slotMs = reference->timestamps[1] - reference->timestamps[0];
    for (std::size_t i = reference->timestamps.size(); i-- > 0 && int(shares.size()) < count;) {
        const qint64 end = reference->timestamps[i];
        if (end > nowMs)
            continue; // still filling up
        if (end - slotMs < notBeforeMs)
            break; // this slot mixes traffic from before the change
        const double s = valueAt(stable, end).value_or(0);
        const double c = valueAt(canary, end).value_or(0);
        if (s + c <= 0)
            continue;
        shares.push_back({ end, 100.0 * c / (s + c), s + c });
    }
    return shares;
}

bool isDrifting(const session::Snapshot &snapshot, const BuildRoles &roles, const Split &applied,
    qint64 appliedAtMs, qint64 nowMs, double marginPercent, int intervals)
{
    const auto shares = observedShares(snapshot, roles, nowMs, intervals, appliedAtMs);
    if (int(shares.size()) < intervals)
        return false;
    const double p = applied.canary / 100.0;
    for (const auto &share : shares) {
        // A weighted router is random: with n requests the canary's share wanders by about
        // sqrt(p(1-p)/n). Only a gap beyond both the margin and three of those is drift.
        const double chance = 300.0 * std::sqrt(p * (1 - p) / share.requests);
        if (std::abs(share.canaryPercent - applied.canary) <= std::max(marginPercent, chance))
            return false;
    }
    return true;
}

} // namespace canary::traffic
