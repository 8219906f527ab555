#pragma once

#include <QList>
#include <QString>

namespace canary::sim {

// A failure the simulated API answers with Dynatrace's ErrorEnvelope.
struct SimError
{
    struct Violation
    {
        QString path; // the offending parameter, e.g. metricSelector
        QString message; // what is wrong and where
        QString parameterLocation = QStringLiteral("QUERY");
    };

    int code = 400;
    QString message;
    QList<Violation> constraintViolations;

    static SimError badRequest(const QString &message) { return { 400, message, {} }; }
    static SimError constraint(const QString &path, const QString &violation,
        const QString &message = QStringLiteral("Constraints violated."))
    {
        return { 400, message, { { path, violation } } };
    }
    static SimError notFound(const QString &message) { return { 404, message, {} }; }
};

} // namespace canary::sim
