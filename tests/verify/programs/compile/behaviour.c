/* AArch64-only behaviour warnings (AP102) and one warning both targets give (not reported). */
#include <stdio.h>
#include <proj/config.h>

int is_negative(char c)
{
    return c < 0; /* always false where char is unsigned */
}

int read_until_eof(void)
{
    char c = (char)getchar();
    return c == EOF; /* never true where char is unsigned */
}

int classify(char c)
{
    switch (c) {
    case -1:
        return 1;
    default:
        return 0;
    }
}

int __attribute__((ms_abi)) windows_callback(int x)
{
    return x + PROJ_BUFFER;
}

int same_everywhere(int i, unsigned u)
{
    return i < u; /* -Wsign-compare on both targets */
}
