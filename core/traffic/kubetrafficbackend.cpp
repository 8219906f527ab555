#include "kubetrafficbackend.h"
