#!/bin/sh
# Turns kernel/linux/ARCH.tbl into the kernel's syscall_table_size (written
# to stdout): one more than the highest number. The handlers, their names
# and which calls the image leaves out are not here: `unikit build`
# generates them for each image from the calls its program can make
# (host/lib/spec.c), so that the linker drops the handlers nothing refers to.
set -eu
tbl=$1
awk 'BEGIN { max = -1 }
/^#/ || NF < 2 { next }
{ if ($1 + 0 > max) max = $1 + 0 }
END {
    print "/* Generated from " FILENAME " by scripts/gen-syscall-table.sh. */"
    print "#include \"syscalls.h\""
    printf "const size_t syscall_table_size = %d;\n", max + 1
}' "$tbl"
