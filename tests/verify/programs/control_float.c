/* Same on both: correctly rounded IEEE operations (sqrt, division, single products printed
   directly) and in-range conversions. */
#include <math.h>
#include <stdio.h>

int main(void)
{
    volatile double x = 2.0, y = 3.0;
    printf("sqrt(2) = %.17g\n", sqrt(x));
    printf("2/3 = %.17g\n", x / y);
    printf("2*3 = %.17g\n", x * y);
    printf("(int)2.75 = %d\n", (int)(x + 0.75));
    fprintf(stderr, "done\n");
    return 0;
}
