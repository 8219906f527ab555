#include "metricsparser.h"
