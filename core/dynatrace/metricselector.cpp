#include "metricselector.h"
