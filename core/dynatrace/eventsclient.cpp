#include "eventsclient.h"
