#pragma once

#include <limits>

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

namespace canary::sim {

// One event as the simulated tenant keeps it: what was ingested plus what Dynatrace adds (ids, end time,
// the entity and its tags at the time).
struct StoredEvent
{
    // The end of an event that stays open until something closes it (a Davis event while its problem lasts).
    static constexpr qint64 OpenEndMs = std::numeric_limits<qint64>::max();

    QString eventId; // "<signed 64-bit>_<startMs>"
    QString correlationId; // 16 hex digits, as in the ingest answer
    qint64 startMs = 0;
    qint64 endMs = 0;
    QString eventType;
    QString title;
    // The entity the event is attached to; an empty id stands for the environment itself (no selector).
    QString entityId;
    QString entityType;
    QString entityName;
    QMap<QString, QString> properties;
    QStringList entityTags; // as the service carries them: "[Environment]DT_RELEASE_STAGE:canary-jenkins"

    bool isOpenAt(qint64 nowMs) const { return nowMs < endMs; }
};

// The events the simulated tenant has been sent (POST /api/v2/events/ingest), kept for the timeline.
// Bounded: beyond capacity() the events that started longest ago are dropped.
class EventStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventStore)

public:
    static constexpr qsizetype DefaultCapacity = 10'000;

    explicit EventStore(QObject *parent = nullptr);
    ~EventStore() override;

    qsizetype capacity() const { return m_capacity; }
    // Drops the oldest events at once when shrinking below the current size.
    void setCapacity(qsizetype capacity);

    // Stores the event and emits eventStored(); false (and no signal) when it is older than every event a
    // full store keeps.
    bool add(StoredEvent event);
    void clear();
    // Changes one property of a stored event (the demo history learns its own URL only once it listens);
    // false when there is no such event.
    bool setProperty(const QString &eventId, const QString &key, const QString &value);

    // Newest first by start time, as Dynatrace lists them; equal start times: the later ingest first.
    const QList<StoredEvent> &events() const { return m_events; }
    qsizetype size() const { return m_events.size(); }

    // How toJson() writes the end of an event that is still open.
    enum class OpenEnd {
        Stored, // the end it will have (start + timeout): what was ingested
        MinusOne, // -1, as tenants list open events (the schema says null)
    };

    // One v2 `Event` object as GET /api/v2/events lists it: properties as [{key,value}] sorted by key,
    // entityTags as {context,key,value,stringRepresentation}, status OPEN while `nowMs` < endTime.
    static QByteArray toJson(const StoredEvent &event, qint64 nowMs, OpenEnd openEnd = OpenEnd::Stored);

Q_SIGNALS:
    void eventStored(const canary::sim::StoredEvent &event);

private:
    QList<StoredEvent> m_events;
    qsizetype m_capacity = DefaultCapacity;
};

} // namespace canary::sim

Q_DECLARE_METATYPE(canary::sim::StoredEvent)
