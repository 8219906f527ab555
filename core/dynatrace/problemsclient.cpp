#include "problemsclient.h"

#include <memory>

#include <QJsonDocument>
#include <QJsonObject>

#include "feedparser.h"
#include "pagewalker.h"

using namespace Qt::Literals::StringLiterals;

namespace canary::dynatrace {

namespace {

const QString ListPath = u"/api/v2/problems"_s;

} // namespace

ProblemsClient::ProblemsClient(net::RestClient *rest, QObject *parent)
    : QObject(parent)
    , m_rest(rest)
{ }

net::QueryItems ProblemsClient::queryItems(const ProblemQuery &query)
{
    net::QueryItems items;
    if (query.pageSize > 0)
        items.append({ u"pageSize"_s, QString::number(query.pageSize) });
    if (!query.from.isEmpty())
        items.append({ u"from"_s, query.from });
    if (!query.to.isEmpty())
        items.append({ u"to"_s, query.to });
    if (!query.problemSelector.isEmpty())
        items.append({ u"problemSelector"_s, query.problemSelector });
    if (!query.entitySelector.isEmpty())
        items.append({ u"entitySelector"_s, query.entitySelector });
    return items;
}

PageWalker *ProblemsClient::list(
    const ProblemQuery &query, const QObject *context, std::function<void(const ProblemListResult &)> onDone)
{
    return PageWalker::collect(m_rest, ListPath, queryItems(query), context, &parseProblemPage,
        &ProblemListResult::problems, &ProblemPage::problems, query.maxProblems, std::move(onDone));
}

net::RestCall *ProblemsClient::problem(
    const QString &problemId, const QObject *context, std::function<void(const ProblemResult &)> onDone)
{
    // buildUrl takes a decoded path and encodes what the id needs.
    auto *call = m_rest->get(ListPath + u'/' + problemId);
    connect(call, &net::RestCall::finished, context,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            if (!response.isSuccess()) {
                onDone(errorFromResponse(response));
                return;
            }
            auto parsed = parseProblem(QByteArrayView(response.body));
            if (!parsed) {
                ApiError error = parsed.error();
                error.url = response.url.adjusted(QUrl::RemoveQuery);
                error.httpStatus = response.status;
                onDone(error);
                return;
            }
            onDone(parsed);
        });
    return call;
}

net::RestCall *ProblemsClient::addComment(const QString &problemId, const QString &message,
    const QString &context, const QObject *receiver, std::function<void(const CommentResult &)> onDone)
{
    const QByteArray body
        = QJsonDocument(QJsonObject { { u"message"_s, message }, { u"context"_s, context } })
              .toJson(QJsonDocument::Compact);
    auto *call = m_rest->send("POST", ListPath + u'/' + problemId + u"/comments"_s, {}, body);
    connect(call, &net::RestCall::finished, receiver,
        [onDone = std::move(onDone)](const net::HttpResponse &response) {
            if (!response.isSuccess()) {
                onDone(errorFromResponse(response));
                return;
            }
            // The id is a courtesy: a 2xx means the comment exists, whatever the body says.
            const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
            onDone(answer.value(u"id"_s).toString());
        });
    return call;
}

} // namespace canary::dynatrace
