/* The watchdog's record (watch.h), in a section of its own so that the
   host finds it in the image by name. */
#include "watch.h"

__attribute__((section(".unikit.watch"), aligned(64))) volatile struct watch_record watch_record = {
    .magic = WATCH_MAGIC};
