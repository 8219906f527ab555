#pragma once

#include <functional>

#include <QObject>
#include <QPointer>

#include "apierror.h"
#include "eventingest.h"
#include "net/restclient.h"

namespace canary::dynatrace {

// Events API v2, the writing half: POST /api/v2/events/ingest (scope events.ingest).
class EventsClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventsClient)

public:
    EventsClient(net::RestClient *rest, QObject *parent = nullptr);

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

private:
    QPointer<net::RestClient> m_rest;
};

} // namespace canary::dynatrace
