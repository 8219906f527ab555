#pragma once

#include <optional>

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include "eventstore.h"

namespace canary::sim {

// A comment on a problem, as POST /api/v2/problems/{problemId}/comments leaves it (v2 `Comment`).
struct ProblemComment
{
    QString id; // "<signed 64-bit>_<ms>", like the tenant's
    qint64 createdAtMs = 0;
    QString authorName; // the token's owner
    QString content; // the request's "message"
    QString context; // optional: empty when none was sent
};

// One problem of the simulated tenant: Davis' view of an anomaly on the service, and the event that opened
// it.
struct StoredProblem
{
    QString problemId; // "<signed 64-bit>_<startMs>V2": what paths and deep links take
    QString displayId; // "P-<6 digits>", for people
    QString title;
    QString severityLevel = QStringLiteral("ERROR");
    QString impactLevel = QStringLiteral("SERVICES");
    qint64 startMs = 0;
    std::optional<qint64> endMs; // nullopt while open
    // The service it is about: root cause, affected and impacted entity at once.
    QString entityId;
    QString entityType;
    QString entityName;
    QStringList entityTags;
    // The Davis event that opened it ("Failure rate increase", ERROR_EVENT), listed by GET /api/v2/events
    // too.
    QString eventId;
    QString eventCorrelationId;
    QString eventType = QStringLiteral("ERROR_EVENT");
    QString description; // "Your custom threshold of 10 % was exceeded to 25.42 %."
    QList<ProblemComment> comments; // newest first, as the tenant lists them

    bool isOpen() const { return !endMs; }
    // The Davis event as the event store keeps events: open (StoredEvent::OpenEndMs) while the problem is.
    StoredEvent davisEvent() const;
};

// The problems the simulated tenant has seen, newest first by start time. ProblemDetector opens and closes
// them; tests may add their own.
class ProblemStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProblemStore)

public:
    explicit ProblemStore(QObject *parent = nullptr);
    ~ProblemStore() override;

    void add(StoredProblem problem);
    // Sets the end time of an open problem and emits problemClosed(); false when it is unknown or closed.
    bool close(const QString &problemId, qint64 endMs);
    // Forgets the problems that ended before `ms` (retention); open ones stay.
    void removeEndedBefore(qint64 ms);
    void clear();

    const QList<StoredProblem> &problems() const { return m_problems; }
    qsizetype size() const { return m_problems.size(); }
    const StoredProblem *find(const QString &problemId) const;
    // Adds the comment as the problem's newest and emits commentAdded(); false when the problem is unknown
    // (closed problems take comments too).
    bool addComment(const QString &problemId, ProblemComment comment);

    // One Problem object as GET /api/v2/problems lists it: endTime -1 while open, the service as root cause,
    // affected and impacted entity, its tags, no management zones, the default alerting profile.
    static QByteArray toJson(const StoredProblem &problem);
    // GET /api/v2/problems/{problemId}: the same plus evidenceDetails, one EVENT evidence per event in
    // `evidence` (the Davis event first, then the changes that preceded it), and recentComments: the first
    // `recentCommentCount` comments as a CommentsList whose nextPageKey (null when empty) leads on.
    static QByteArray detailJson(const StoredProblem &problem, const QList<StoredEvent> &evidence,
        int recentCommentCount, const QString &recentNextPageKey = {});
    // A v2 `CommentsList` as GET /api/v2/problems/{problemId}/comments answers:
    // {"totalCount","pageSize","nextPageKey","comments"} with the comments [first, first + pageSize),
    // newest first; nextPageKey null when `nextPageKey` is empty.
    static QByteArray commentsJson(
        const StoredProblem &problem, qsizetype first, int pageSize, const QString &nextPageKey);

Q_SIGNALS:
    void problemOpened(const canary::sim::StoredProblem &problem);
    void problemClosed(const canary::sim::StoredProblem &problem);
    void commentAdded(const QString &problemId, const canary::sim::ProblemComment &comment);

private:
    QList<StoredProblem> m_problems;
};

} // namespace canary::sim

Q_DECLARE_METATYPE(canary::sim::ProblemComment)
Q_DECLARE_METATYPE(canary::sim::StoredProblem)
