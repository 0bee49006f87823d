#!/bin/sh
# check-boot-object.sh NM OBJECT NAME...: fails, naming them, when the
# kernel boot object OBJECT refers to symbols other than the NAMEs. Boot
# code runs before the packed kernel is unpacked (kernel/include/unpack.h):
# a call from it into any other code would jump into zeros.
nm=$1 obj=$2
shift 2
outside=$("$nm" -u "$obj" | awk '{print $2}' | while read -r sym; do
    case " $* " in *" $sym "*) ;; *) printf ' %s' "$sym" ;; esac
done)
if [ -n "$outside" ]; then
    echo "$obj: boot code refers to what is packed, outside the boot code:$outside" >&2
    exit 1
fi
