// Runs every registered test; an optional argument filters by name.
#include "tiny_test.h"

int main(int argc, char** argv) { return tiny::run_all(argc > 1 ? argv[1] : nullptr); }
