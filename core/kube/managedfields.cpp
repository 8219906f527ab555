#include "managedfields.h"

#include <algorithm>

#include <nlohmann/json.hpp>

using namespace Qt::Literals::StringLiterals;

namespace canary::kube {

namespace {

using Json = nlohmann::json;

bool holds(const Json &fieldsV1, const ManagedFields::FieldPath &path)
{
    const Json *node = &fieldsV1;
    for (const QString &key : path) {
        if (!node->is_object())
            return false;
        const auto it = node->find(key.toStdString());
        if (it == node->end())
            return false;
        node = &*it;
    }
    return true;
}

bool newer(const ManagedFields::Entry &candidate, const std::optional<ManagedFields::Entry> &best)
{
    if (!best)
        return true;
    if (!candidate.time.isValid())
        return false;
    // Equal times (second precision): the later entry in the list, as the API server appends.
    return !best->time.isValid() || candidate.time >= best->time;
}

} // namespace

std::optional<ManagedFields::Entry> ManagedFields::lastWriter(
    const QByteArray &objectJson, const QList<FieldPath> &fields)
{
    const auto doc = Json::parse(objectJson.cbegin(), objectJson.cend(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return std::nullopt;
    const auto metadata = doc.find("metadata");
    if (metadata == doc.end() || !metadata->is_object())
        return std::nullopt;
    const auto list = metadata->find("managedFields");
    if (list == metadata->end() || !list->is_array())
        return std::nullopt;

    std::optional<Entry> newestWriter;
    std::optional<Entry> newest;
    for (const Json &item : *list) {
        if (!item.is_object())
            return std::nullopt;
        const auto manager = item.find("manager");
        const auto operation = item.find("operation");
        if (manager == item.end() || !manager->is_string() || manager->get<std::string>().empty()
            || operation == item.end() || !operation->is_string())
            return std::nullopt;
        Entry entry;
        entry.manager = QString::fromStdString(manager->get<std::string>());
        entry.operation = QString::fromStdString(operation->get<std::string>());
        if (const auto sub = item.find("subresource"); sub != item.end() && sub->is_string())
            entry.subresource = QString::fromStdString(sub->get<std::string>());
        if (const auto time = item.find("time"); time != item.end()) {
            if (!time->is_string())
                return std::nullopt;
            entry.time = QDateTime::fromString(QString::fromStdString(time->get<std::string>()), Qt::ISODate);
            if (!entry.time.isValid())
                return std::nullopt;
            entry.time = entry.time.toUTC();
        }
        if (!entry.subresource.isEmpty())
            continue; // status writes never move the weights
        if (newer(entry, newest))
            newest = entry;
        const auto fieldsV1 = item.find("fieldsV1");
        if (fieldsV1 == item.end())
            continue;
        const bool wrote = std::any_of(fields.cbegin(), fields.cend(),
            [&fieldsV1](const FieldPath &path) { return holds(*fieldsV1, path); });
        if (wrote && newer(entry, newestWriter))
            newestWriter = entry;
    }
    return newestWriter ? newestWriter : newest;
}

} // namespace canary::kube
