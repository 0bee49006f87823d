/* Random bytes for AT_RANDOM, getrandom and /dev/urandom. */
#ifndef UNIKIT_RANDOM_H
#define UNIKIT_RANDOM_H

#include "types.h"

void random_init(void);
void random_bytes(void *buf, size_t len);

#endif
