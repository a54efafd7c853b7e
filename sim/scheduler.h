// Scheduler: the simulator's discrete-event queue, the shared BasicScheduler
// (driver/event_queue.h) over the simulator's event kinds (sim/event.h).
#pragma once

#include "driver/event_queue.h"
#include "driver/quad_heap.h"
#include "sim/event.h"

namespace ts::sim {

using Scheduler = BasicScheduler<EventKind>;
using QuadHeap = BasicQuadHeap<EventKind>;

}  // namespace ts::sim
