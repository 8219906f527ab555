#pragma once

#include <optional>

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

namespace canary::sim {

// One request as a route sees it: method, decoded path, path parameters and servlet-decoded query.
struct SimRequest
{
    QByteArray method; // GET, POST, …
    QByteArray rawPath; // as received, percent-encoded: split this, then decode each segment
    QString path; // percent-decoded
    QHash<QString, QString> pathParameters; // {name} segments of the route pattern, percent-decoded
    QList<QPair<QString, QString>> query; // in order, repeated keys kept
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    bool hasQueryItem(const QString &key) const;
    QString queryItem(const QString &key) const; // the first value; empty when absent
    std::optional<QString> optionalQueryItem(const QString &key) const;
    QByteArray header(const QByteArray &name) const; // case-insensitive

    // Decodes a raw query the way a Java servlet container does: '+' is a space and %2B is '+'.
    // (QUrlQuery keeps a literal '+', which is not what a Dynatrace server does with it.)
    static QList<QPair<QString, QString>> decodeQuery(const QByteArray &rawQuery);
};

} // namespace canary::sim
