#pragma once

#include <QByteArrayView>

#include "apierror.h"
#include "event.h"
#include "util/expected.h"

namespace canary::dynatrace {

// Property values longer than this many characters are cut, ending in "…": one runaway value (a stack trace,
// a whole config file) must not blow up a timeline row or a tooltip.
inline constexpr qsizetype MaxPropertyValueChars = 64 * 1024;

// The problem and event feed (GET /api/v2/events, /api/v2/problems). Lenient about what varies between
// tenants, generations and mocks; strict only where a wrong shape means the body is not what was asked for
// (the list is not an array, an entry is not an object, startTime is not a time), with the JSON path.
//
// Events: endTime -1, null or missing is an open event; unknown event types and missing titles are kept;
// properties come as the documented [{key,value}] list or as an object map, and values of any JSON type are
// kept as text (objects as compact JSON), capped at MaxPropertyValueChars.
Expected<EventPage, ApiError> parseEventPage(QByteArrayView json);

// Problems: rootCauseEntity may be null, endTime is -1 while open.
Expected<ProblemPage, ApiError> parseProblemPage(QByteArrayView json);
// One problem, as GET /api/v2/problems/{problemId} answers.
Expected<Problem, ApiError> parseProblem(QByteArrayView json);

} // namespace canary::dynatrace
