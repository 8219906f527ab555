#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <QByteArrayView>
#include <QObject>
#include <QPointer>

#include "apierror.h"
#include "net/restclient.h"
#include "util/expected.h"

namespace canary::dynatrace {

// Follows nextPageKey through a Dynatrace list endpoint (events, problems). The first request carries the
// query; every follow-up carries only nextPageKey (plus `repeated`, e.g. the problems API's `fields`),
// because Dynatrace answers 400 to a key sent with anything else. One request at a time, never retried: a
// page that fails ends the walk, and what arrived before it is kept by the reader.
class PageWalker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PageWalker)

public:
    // A server that keeps handing out keys must not keep the walk going forever.
    static constexpr int MaxPages = 10'000;

    // Takes one 2xx body: returns its nextPageKey to go on, an empty key to stop (last page, or the reader
    // has enough), or why the body is unusable.
    using PageReader = std::function<Expected<QString, ApiError>(QByteArrayView body)>;
    // Called exactly once, with the pages read and the error that ended the walk early (nullopt: it ran to
    // its end). Never synchronously from start(), and not at all once `context` (if one was given) is gone.
    using Finished = std::function<void(int pages, const std::optional<ApiError> &error)>;

    // The walker deletes itself once it has finished; keep it in a QPointer to cancel it.
    static PageWalker *start(net::RestClient *rest, const QString &path, const net::QueryItems &query,
        const net::QueryItems &repeated, const QObject *context, PageReader read, Finished done);

    // A PageReader that parses each page with `parse` and appends its items (`Page::*pageItems`) to
    // `result->*items`, at most `cap` of them: at the cap it stops the walk and sets `result->truncated`
    // when the server had more. Also fills `result->pages` and, from the first page, `result->totalCount`.
    template<typename Result, typename Page, typename Item>
    static PageReader collectInto(std::shared_ptr<Result> result, std::vector<Item> Result::*items,
        Expected<Page, ApiError> (*parse)(QByteArrayView), std::vector<Item> Page::*pageItems, qsizetype cap)
    {
        cap = std::max<qsizetype>(cap, 1);
        return [result, items, parse, pageItems, cap](QByteArrayView body) -> Expected<QString, ApiError> {
            auto parsed = parse(body);
            if (!parsed)
                return parsed.error();
            Page &page = parsed.value();
            if (result->pages == 0)
                result->totalCount = page.totalCount;
            ++result->pages;
            std::vector<Item> &kept = (*result).*items;
            for (Item &item : page.*pageItems) {
                if (qsizetype(kept.size()) >= cap) {
                    result->truncated = true;
                    return QString();
                }
                kept.push_back(std::move(item));
            }
            if (qsizetype(kept.size()) >= cap && !page.nextPageKey.isEmpty()) {
                result->truncated = true;
                return QString();
            }
            return page.nextPageKey;
        };
    }

    // The whole list endpoint in one call: walks every page of `path` with collectInto() and hands the
    // filled `Result` (with the error that ended the walk, if any) to `onDone` exactly once.
    template<typename Result, typename Page, typename Item>
    static PageWalker *collect(net::RestClient *rest, const QString &path, const net::QueryItems &query,
        const QObject *context, Expected<Page, ApiError> (*parse)(QByteArrayView),
        std::vector<Item> Result::*items, std::vector<Item> Page::*pageItems, qsizetype cap,
        std::function<void(const Result &)> onDone)
    {
        auto result = std::make_shared<Result>();
        auto read = collectInto(result, items, parse, pageItems, cap);
        auto done = [result, onDone = std::move(onDone)](int, const std::optional<ApiError> &error) {
            result->error = error;
            onDone(*result);
        };
        return start(rest, path, query, {}, context, std::move(read), std::move(done));
    }

    int pages() const { return m_pages; }
    bool isFinished() const { return m_finished; }
    // Ends the walk now: `done` gets a Canceled error with the pages read so far.
    void cancel();

private:
    PageWalker(net::RestClient *rest, const QString &path, const net::QueryItems &repeated,
        const QObject *context, PageReader read, Finished done);

    void request(const net::QueryItems &query);
    void onResponse(const net::HttpResponse &response);
    void onCallDestroyed();
    void finish(std::optional<ApiError> error);
    ApiError closedError() const;

    QPointer<net::RestClient> m_rest;
    QString m_path;
    net::QueryItems m_repeated;
    QPointer<const QObject> m_context;
    bool m_hasContext = false;
    PageReader m_read;
    Finished m_done;
    QPointer<net::RestCall> m_call;
    const net::RestCall *m_current = nullptr; // the call awaited, for identity only
    QString m_lastKey;
    int m_pages = 0;
    bool m_awaiting = false;
    bool m_finished = false;
};

} // namespace canary::dynatrace
