#pragma once

#include <functional>
#include <optional>

#include <QObject>

#include "backoutaction.h"
#include "changeorigin.h"
#include "split.h"
#include "trafficerror.h"
#include "util/expected.h"

namespace canary::traffic {

using SplitResult = Expected<Split, TrafficError>;
using SplitCallback = std::function<void(const SplitResult &)>;

// Where the traffic split really lives: the simulator's router, an AWX job template, a Kubernetes object.
// Each call delivers exactly one result to `onDone` unless `context` died first. applySplit() reports
// success only once the back-end has confirmed the new split (a finished job, the patched object read
// back); its result is the confirmed split.
class TrafficBackend : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficBackend)

public:
    using QObject::QObject;
    ~TrafficBackend() override = default;

    // For people: "AWX template 'Set canary weight' (#42) on awx.example.com".
    virtual QString description() const = 0;
    // What it steers, the same however much is known about it yet (the description of an AWX template
    // gains its id once looked up): per-target rules like the cool-down match on it.
    virtual QString targetId() const { return description(); }

    virtual void readSplit(const QObject *context, SplitCallback onDone) = 0;
    virtual void applySplit(const Split &split, const QObject *context, SplitCallback onDone) = 0;

    // Who or what made the change behind the split the newest successful readSplit() returned, when the
    // back-end tells (an AWX job and its launcher, a Kubernetes field manager): TrafficController reads
    // one at a time, so this belongs to the answer it just got.
    std::optional<ChangeOrigin> lastReadOrigin() const { return m_lastReadOrigin; }

    // The back-end's own reset, where it has one it advertises (the simulator's "Reset canary weighting"):
    // recorded as the backout plan of a change when the operator configured none. Known after a read.
    std::optional<BackoutAction> ownBackout() const { return m_ownBackout; }

    // A back-end that can be told of changes (a Kubernetes watch) starts listening and returns true;
    // changeNoticed() then says when to read, and polling can rest while isWatching(). Others return false
    // and are polled (SplitWatch).
    virtual bool startWatching() { return false; }
    virtual void stopWatching() { }
    bool isWatching() const { return m_watching; }

Q_SIGNALS:
    // The back-end said its split may have changed: read it now.
    void changeNoticed();
    // The watch began, or ended (an expired or broken watch that fell back to polling).
    void watchingChanged(bool watching);

protected:
    void setLastReadOrigin(std::optional<ChangeOrigin> origin) { m_lastReadOrigin = std::move(origin); }
    void setOwnBackout(std::optional<BackoutAction> backout) { m_ownBackout = std::move(backout); }
    void setWatching(bool watching)
    {
        if (m_watching == watching)
            return;
        m_watching = watching;
        Q_EMIT watchingChanged(watching);
    }

private:
    std::optional<ChangeOrigin> m_lastReadOrigin;
    std::optional<BackoutAction> m_ownBackout;
    bool m_watching = false;
};

} // namespace canary::traffic
