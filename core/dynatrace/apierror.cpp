#include "apierror.h"
