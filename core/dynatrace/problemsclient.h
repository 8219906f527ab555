#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <QMetaType>
#include <QObject>
#include <QPointer>

#include "apierror.h"
#include "event.h"
#include "net/restclient.h"
#include "util/expected.h"

namespace canary::dynatrace {

class PageWalker;

// What to list from GET /api/v2/problems. Empty fields are left out, so Dynatrace applies its defaults
// (from = now-2h, to = now, 50 per page).
struct ProblemQuery
{
    static constexpr qsizetype DefaultMaxProblems = 20'000;

    QString entitySelector;
    QString from; // epoch ms, ISO 8601 or relative (now-30m)
    QString to;
    QString problemSelector; // status("open"), severityLevel("ERROR"), …
    int pageSize = 0; // 0: the server's default; Dynatrace allows up to 500
    qsizetype maxProblems = DefaultMaxProblems;
};

// The one answer of ProblemsClient::list(), shaped like EventListResult: the problems that arrived, and the
// error when a page failed on the way.
struct ProblemListResult
{
    std::vector<Problem> problems;
    std::optional<ApiError> error;
    int pages = 0;
    qint64 totalCount = 0;
    bool truncated = false;

    bool isComplete() const { return !error && !truncated; }
};

using ProblemResult = Expected<Problem, ApiError>;
// The id Dynatrace gave a new comment.
using CommentResult = Expected<QString, ApiError>;

// Problems API v2 (scope problems.read): the list, paged like events, and one problem by its problemId.
class ProblemsClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProblemsClient)

public:
    ProblemsClient(net::RestClient *rest, QObject *parent = nullptr);

    // Follows nextPageKey until the last page and delivers exactly one ProblemListResult, never
    // synchronously and not at all once `context` died. Cancel the returned walker to give up.
    PageWalker *list(const ProblemQuery &query, const QObject *context,
        std::function<void(const ProblemListResult &)> onDone);

    // GET /api/v2/problems/{problemId}: the long problemId, not the P-… displayId.
    net::RestCall *problem(
        const QString &problemId, const QObject *context, std::function<void(const ProblemResult &)> onDone);

    // POST /api/v2/problems/{problemId}/comments (scope problems.write): says on the problem what was done
    // about it, as the workshop's workflow does ("Remediation action triggered!").
    net::RestCall *addComment(const QString &problemId, const QString &message, const QString &context,
        const QObject *receiver, std::function<void(const CommentResult &)> onDone);

    static net::QueryItems queryItems(const ProblemQuery &query);

private:
    QPointer<net::RestClient> m_rest;
};

} // namespace canary::dynatrace

Q_DECLARE_METATYPE(canary::dynatrace::ProblemListResult)
