#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QMetaType>
#include <QObject>
#include <QPointer>

#include "apierror.h"
#include "event.h"
#include "eventingest.h"
#include "net/restclient.h"

namespace canary::dynatrace {

class PageWalker;

// What to list from GET /api/v2/events. Empty fields are left out, so Dynatrace applies its defaults
// (from = now-2h, to = now, every entity, every event, 100 per page).
struct EventQuery
{
    static constexpr qsizetype DefaultMaxEvents = 20'000;

    QString entitySelector;
    QString from; // epoch ms, ISO 8601 or relative (now-30m)
    QString to;
    QString
        eventSelector; // eventType("CUSTOM_CONFIGURATION"),status("OPEN"),property.remediationType("ansible")
    int pageSize = 0; // 0: the server's default; Dynatrace allows up to 1000
    // At most this many events are kept; the walk stops there and the result says `truncated`.
    qsizetype maxEvents = DefaultMaxEvents;
};

// The one answer of EventsClient::list(): every event, or — when a page failed on the way — the events of
// the pages that did arrive together with the error. Newest first, as Dynatrace lists them.
struct EventListResult
{
    std::vector<Event> events;
    std::optional<ApiError> error; // set: the list is incomplete (or empty when the first page failed)
    int pages = 0; // pages read successfully
    qint64 totalCount = 0; // what the first page announced
    bool truncated = false; // stopped at EventQuery::maxEvents although the server had more

    bool isComplete() const { return !error && !truncated; }
};

// Events API v2: POST /api/v2/events/ingest (scope events.ingest) and GET /api/v2/events (events.read).
class EventsClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventsClient)

public:
    EventsClient(net::RestClient *rest, QObject *parent = nullptr);

    // The tenant connection it sends on, for other clients of the same tenant (the outbox's comments).
    net::RestClient *restClient() const { return m_rest; }

    // Delivers exactly one result to `onDone`, unless `context` died first, and never synchronously. A value
    // means every entity the selector matched got its event. Everything else is an ApiError:
    //  - the event breaks a rule Dynatrace enforces: BadRequest with httpStatus 0 and the violations;
    //    nothing is sent and the returned call is nullptr;
    //  - a 201 that stored nothing or not everything (no entity matched, INVALID_METADATA, …): BadRequest
    //    with httpStatus 201 and IngestReport::failureText() as the message;
    //  - transport, auth, envelope and shape errors as for every other call.
    // Never retried: an ingest that timed out may still have landed, and a second copy is a second event.
    net::RestCall *ingest(
        const EventIngest &event, const QObject *context, std::function<void(const IngestResult &)> onDone);

    // What ingest() makes of an HTTP answer; public so the mapping can be tested without a server.
    static IngestResult interpretIngest(const net::HttpResponse &response);

    // Lists the events, following nextPageKey page by page (each follow-up carries only the key), and
    // delivers exactly one EventListResult to `onDone`, never synchronously and not at all once `context`
    // died. Cancel the returned walker to give up: the result then carries the pages read and a Canceled
    // error.
    PageWalker *list(
        const EventQuery &query, const QObject *context, std::function<void(const EventListResult &)> onDone);

    // The first page's query items, in the documented order.
    static net::QueryItems queryItems(const EventQuery &query);

private:
    QPointer<net::RestClient> m_rest;
};

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::EventListResult)
