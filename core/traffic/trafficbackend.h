#pragma once

#include <functional>

#include <QObject>

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

    virtual void readSplit(const QObject *context, SplitCallback onDone) = 0;
    virtual void applySplit(const Split &split, const QObject *context, SplitCallback onDone) = 0;
};

} // namespace canary::traffic
