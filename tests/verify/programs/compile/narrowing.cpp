// A C++ brace initialiser that narrows -1 into a plain char: an error only where char is
// unsigned (AP101).
char deltas[] = {-1, 0, 1};

int first_delta()
{
    return deltas[0];
}
