#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

namespace canary::net {

using QueryItems = QList<QPair<QString, QString>>;

// Joins an API base (which may carry a path, e.g. Managed's /e/<env-id>) with an endpoint path and a query.
// Every query key and value is percent-encoded in full, so '+' travels as %2B: servers that form-decode
// queries (Dynatrace does) would otherwise read it as a space.
QUrl buildUrl(const QUrl &base, const QString &path, const QueryItems &query = {});

// Scheme, host and port: the unit credentials are bound to.
QString originOf(const QUrl &url);

} // namespace canary::net
