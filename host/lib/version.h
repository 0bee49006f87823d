/* unikit's version, shared by `unikit` and `unikit-runtime`. */
#ifndef UNIKIT_VERSION_H
#define UNIKIT_VERSION_H

#define UNIKIT_VERSION "0.1.0"

#endif
