#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QUrl>

namespace canary::traffic {

// Who or what made a change of the split, as far as the back-end tells: an AWX job and the user who
// launched it, a Kubernetes field manager and the time of its write, the simulator's control API. Everything
// in it comes from the back-end and is untrusted text: escape it before a terminal or a report shows it.
struct ChangeOrigin
{
    QString source; // what made it: "AWX job #12 of 'Start canary deployment'", "kubectl-edit (Update)"
    QString actor; // who, when the back-end names them: "admin"
    QDateTime at; // when the back-end says it happened (UTC); invalid when it does not say
    QUrl link; // where to look (the AWX job), when there is a place

    bool isKnown() const { return !source.isEmpty(); }
    // "AWX job #12 of 'Start canary deployment', launched by admin at 2026-12-07 12:03:05 UTC"; empty when
    // unknown.
    QString toString() const;
    // For the timeline and the live feed: split.origin, split.origin.actor, split.origin.at,
    // split.origin.link (only those known).
    QMap<QString, QString> properties() const;
    // For JSON lines (canaryctl watch): source, actor, at, link (only those known).
    QJsonObject toJson() const;
    bool operator==(const ChangeOrigin &) const = default;
};

} // namespace canary::traffic

Q_DECLARE_METATYPE(canary::traffic::ChangeOrigin)
