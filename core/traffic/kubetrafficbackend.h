#pragma once
// KubeTrafficBackend: being written (issue 3).
