#include "eventsclient.h"

#include <memory>

#include <QTimer>

#include "feedparser.h"
#include "pagewalker.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

const QString IngestPath = u"/api/v2/events/ingest"_s;
const QString ListPath = u"/api/v2/events"_s;

} // namespace

EventsClient::EventsClient(net::RestClient *rest, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
{ }

IngestResult EventsClient::interpretIngest(const net::HttpResponse &response)
{
    if (!response.isSuccess())
        return errorFromResponse(response);
    auto parsed = parseIngestReport(QByteArrayView(response.body));
    ApiError error;
    if (parsed) {
        if (parsed->allAccepted())
            return parsed;
        // HTTP said yes, Dynatrace stored nothing (or not everything): to a caller that is a failed write.
        error.kind = ApiError::Kind::BadRequest;
        error.message = parsed->failureText();
    } else {
        error = parsed.error();
    }
    error.url = response.url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    error.httpStatus = response.status;
    return error;
}

net::RestCall *EventsClient::ingest(
    const EventIngest &event, const QObject *context, std::function<void(const IngestResult &)> onDone)
{
    if (const QList<ConstraintViolation> violations = event.violations(); !violations.isEmpty()) {
        ApiError error;
        error.kind = ApiError::Kind::BadRequest;
        error.message = u"event not sent"_s;
        error.constraintViolations = violations;
        if (m_rest)
            error.url = net::buildUrl(m_rest->baseUrl(), IngestPath);
        // Queued, so a caller never sees its callback run before ingest() has returned.
        QTimer::singleShot(0, context, [onDone = std::move(onDone), error] { onDone(error); });
        return nullptr;
    }

    auto *call = m_rest->send("POST", IngestPath, {}, event.toJson());
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](
            const net::HttpResponse &response) { onDone(interpretIngest(response)); });
    return call;
}

net::QueryItems EventsClient::queryItems(const EventQuery &query)
{
    net::QueryItems items;
    if (query.pageSize > 0)
        items.append({ u"pageSize"_s, QString::number(query.pageSize) });
    if (!query.from.isEmpty())
        items.append({ u"from"_s, query.from });
    if (!query.to.isEmpty())
        items.append({ u"to"_s, query.to });
    if (!query.eventSelector.isEmpty())
        items.append({ u"eventSelector"_s, query.eventSelector });
    if (!query.entitySelector.isEmpty())
        items.append({ u"entitySelector"_s, query.entitySelector });
    return items;
}

PageWalker *EventsClient::list(
    const EventQuery &query, const QObject *context, std::function<void(const EventListResult &)> onDone)
{
    return PageWalker::collect(m_rest, ListPath, queryItems(query), context, &parseEventPage,
        &EventListResult::events, &EventPage::events, query.maxEvents, std::move(onDone));
}

} // namespace canary::dynatrace
