#include "localtenant.h"

namespace canary::environment {

// Out of line, so the vtable lives in one object file.
LocalTenant::~LocalTenant() = default;

} // namespace canary::environment
