#include "eventstore.h"

namespace canary::sim {

EventStore::EventStore(QObject *parent)
    : QObject(parent)
{ }

EventStore::~EventStore() = default;

} // namespace canary::sim
