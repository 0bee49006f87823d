/* lwIP includes <stdio.h>: the kernel library stands in for libc. */
#include "lib.h"
