#pragma once

#include <QByteArray>
#include <QMetaType>
#include <QString>

#include "util/expected.h"

namespace canary::kube {

// One object as the API server sent it: the whole JSON (what the weight adapters read and patch) plus the
// fields every caller needs.
struct KubeObject
{
    QByteArray json;
    QString apiVersion;
    QString kind;
    QString name;
    QString namespaceName;
    QString resourceVersion; // opaque: only ever sent back as a precondition

    // Fails unless `json` is a JSON object with metadata.name.
    static Expected<KubeObject, QString> fromJson(const QByteArray &json);
};

} // namespace canary::kube

Q_DECLARE_METATYPE(canary::kube::KubeObject)
