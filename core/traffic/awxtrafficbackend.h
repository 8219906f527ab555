#pragma once
// AwxTrafficBackend: being written (issue 3).
