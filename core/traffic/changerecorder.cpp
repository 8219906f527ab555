#include "changerecorder.h"
