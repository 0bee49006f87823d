// native: no
// expect-regex: warning: (fork \(system call 57\) is not implemented|clone \(system call 220\) without CLONE_VM\|CLONE_THREAD \(a new process)
// fork() needs a second address space, which a unikernel does not have:
// ENOSYS, and a warning naming the call and its number as this
// architecture's table has it (x86_64 has fork, 57; aarch64's musl calls
// clone, 220, which said "clone (system call -1)" before). The program
// goes on. Natively fork works.
#include "guest.h"
#include <sys/wait.h>

int main(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    printf("fork: %s\n", pid < 0 ? errno_name(errno) : "a child");
    if (pid > 0)
        waitpid(pid, NULL, 0);
    printf("still running\n");
    return 0;
}
