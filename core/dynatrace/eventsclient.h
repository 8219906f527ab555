#pragma once
// EventsClient: being written (issue 3).
