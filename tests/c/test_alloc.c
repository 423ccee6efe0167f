#include "check.h"
void test_alloc(void) {}
