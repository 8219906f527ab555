#pragma once

#include <optional>

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace canary::kube {

// metadata.managedFields: which field manager (kubectl-edit, helm, canary-console, a controller) wrote which
// fields, with what operation and when. The API server keeps it on every write, so it says who changed a
// field last without any help from the writer.
struct ManagedFields
{
    struct Entry
    {
        QString manager; // "kubectl-edit"
        QString operation; // "Update" or "Apply"
        QString subresource; // "status" for writes through a subresource; empty for the object itself
        QDateTime time; // UTC; invalid when the entry has none
    };

    // A field as fieldsV1 names it, one key per level: {"f:metadata", "f:annotations", "f:example.com/x"}.
    using FieldPath = QStringList;

    // The entry that last wrote any of `fields` (the newest `time` among entries whose fieldsV1 holds one of
    // them), else the newest entry of all; entries of a subresource never count. nullopt when the object
    // has no managedFields or they are not the API server's shape: who wrote is then unknown, and nothing
    // else depends on it.
    static std::optional<Entry> lastWriter(const QByteArray &objectJson, const QList<FieldPath> &fields);
};

} // namespace canary::kube
