#pragma once

#include <QList>
#include <QString>

namespace canary::awx {

// One page of an AWX list: {"count":N,"next":"/api/v2/…?page=2"|null,"previous":…,"results":[…]}.
template<typename T>
struct Page
{
    qint64 count = 0; // all matches over all pages; -1 when the server left it out (count_disabled)
    QString next; // server-relative; empty on the last page
    QString previous;
    QList<T> results;
};

} // namespace canary::awx
