#pragma once
// ChangeRecorder: being written (issue 3).
