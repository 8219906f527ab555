#include "listrequest.h"

#include <algorithm>

#include "simrequest.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::sim {

canary::Expected<ListRequest, SimError> ListRequest::read(const SimRequest &request, qint64 nowMs,
    int defaultPageSize, int maxPageSize, const QStringList &allowedWithKey)
{
    auto key = PageKey::fromRequest(request, allowedWithKey);
    if (!key)
        return key.error();
    ListRequest list;
    list.key = std::move(key.value());
    const auto frame = Timeframe::parse(list.key.value(u"from"_s), list.key.value(u"to"_s), nowMs);
    if (!frame)
        return frame.error();
    list.frame = *frame;

    list.pageSize = defaultPageSize;
    if (const std::optional<QString> text = list.key.value(u"pageSize"_s)) {
        bool ok = false;
        list.pageSize = text->trimmed().toInt(&ok);
        if (!ok || list.pageSize < 1 || list.pageSize > maxPageSize)
            return SimError::constraint(
                u"pageSize"_s, u"must be a whole number from 1 to %1"_s.arg(maxPageSize));
    }

    if (const auto text = list.key.value(u"entitySelector"_s); text && !text->trimmed().isEmpty()) {
        auto parsed = EntitySelector::parse(*text);
        if (!parsed)
            return parsed.error();
        list.entities = std::move(parsed.value());
    }
    return list;
}

bool ListRequest::overlaps(qint64 startMs, std::optional<qint64> endMs) const
{
    return startMs <= frame.toMs && (!endMs || *endMs >= frame.fromMs);
}

qsizetype ListRequest::first(qsizetype total) const
{
    return std::clamp<qsizetype>(key.offset, 0, total);
}

qsizetype ListRequest::last(qsizetype total) const
{
    return std::min<qsizetype>(first(total) + pageSize, total);
}

QByteArray ListRequest::answer(
    qsizetype total, const char *itemsKey, const QByteArrayList &items, const QStringList &keep) const
{
    QByteArray nextKey = "null";
    if (last(total) < total) {
        PageKey next;
        next.query = { { u"from"_s, QString::number(frame.fromMs) }, { u"to"_s, QString::number(frame.toMs) },
            { u"pageSize"_s, QString::number(pageSize) } };
        for (const QString &name : keep) {
            if (const auto value = key.value(name))
                next.query.append({ name, *value });
        }
        next.offset = last(total);
        nextKey = '"' + next.encode().toLatin1() + '"'; // base64url: nothing to escape
    }
    return "{\"totalCount\":" + QByteArray::number(total) + ",\"pageSize\":" + QByteArray::number(pageSize)
        + ",\"nextPageKey\":" + nextKey + ",\"" + QByteArray(itemsKey) + "\":[" + items.join(',')
        + "],\"warnings\":[]}";
}

} // namespace canary::sim
