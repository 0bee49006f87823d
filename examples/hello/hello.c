/* The smallest useful unikernel: prints its arguments and a variable. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *greeting = getenv("GREETING");
    printf("%s from a unikernel!\n", greeting ? greeting : "Hello");
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    return 0;
}
