#!/bin/sh
# Turns kernel/linux/ARCH.tbl into the C syscall table (written to stdout).
# Every entry refers to sys_NAME weakly: unimplemented calls stay NULL.
set -eu
tbl=$1
awk 'BEGIN { n = 0 }
/^#/ || NF < 2 { next }
{ nr[n] = $1; name[n] = $2; n++ }
END {
    print "/* Generated from " FILENAME " by scripts/gen-syscall-table.sh. */"
    print "#include \"syscalls.h\""
    for (i = 0; i < n; i++)
        printf "long sys_%s(const struct syscall_args *) __attribute__((weak));\n", name[i]
    print "const struct syscall_entry syscall_table[] = {"
    max = 0
    for (i = 0; i < n; i++) {
        printf "    [%d] = {sys_%s, \"%s\"},\n", nr[i], name[i], name[i]
        if (nr[i] + 0 > max) max = nr[i] + 0
    }
    print "};"
    printf "const size_t syscall_table_size = %d;\n", max + 1
}' "$tbl"
