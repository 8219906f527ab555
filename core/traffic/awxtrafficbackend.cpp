#include "awxtrafficbackend.h"
